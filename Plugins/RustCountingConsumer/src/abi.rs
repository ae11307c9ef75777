//! A by-hand `#[repr(C)]` mirror of `SDK/CRacecarPlugin/include/racecar_plugin.h`, ABI 1.1.
//!
//! The header is the contract; this file only repeats it in Rust, type for type and field for
//! field, in the header's order. Read the header for who owns what, for how long and from which
//! thread: the doc comments here are short and point back at it.
//!
//! How C maps to Rust here:
//!
//! - `size_t` is `usize`, `int` is `c_int`, `intN_t` / `uintN_t` are `iN` / `uN`.
//! - A C enum (`racecar_status`, `racecar_log_level`) is an `int`-sized integer. It is mirrored
//!   as a `#[repr(transparent)]` newtype over `c_int` with associated constants, not as a Rust
//!   `enum`: a value the other side sends that a Rust `enum` does not list would be undefined
//!   behaviour.
//! - A nullable C function pointer is `Option<unsafe extern "C" fn(..)>`, which Rust guarantees
//!   has the layout of a C function pointer with `None` as NULL.
//! - Every struct starts with `struct_size`, set to `size_of` of the struct as its writer was
//!   compiled; [`read_extensible`] reads a struct the host wrote the way the header says to.
//!
//! The layout is checked at compile time against the sizes and offsets the C compiler gives
//! for the header on 64-bit Linux (the same figures as `SDK/CRacecarPlugin/abi_layout.c`).

#![allow(dead_code)] // A whole mirror: the plugin does not use every field or constant.

use std::ffi::{c_char, c_int, c_void};
use std::marker::{PhantomData, PhantomPinned};
use std::mem::{offset_of, size_of, MaybeUninit};

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

/// `RACECAR_ABI_MAJOR`: bumped when a change breaks existing plugins; part of the symbol names.
pub const RACECAR_ABI_MAJOR: u32 = 1;
/// `RACECAR_ABI_MINOR`: the minor version this mirror was written against.
pub const RACECAR_ABI_MINOR: u32 = 1;

// ---------------------------------------------------------------------------------------------
// Status codes and errors
// ---------------------------------------------------------------------------------------------

/// `racecar_status`: what a plugin or host function reports.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RacecarStatus(pub c_int);

impl RacecarStatus {
    /// `RACECAR_OK`: the call did what it was asked to do.
    pub const OK: Self = Self(0);
    /// `RACECAR_ERROR`: the call failed and may succeed later; for `process` the host pauses
    /// the partition and retries the same message after `pause_timeout`.
    pub const ERROR: Self = Self(1);
}

/// `racecar_error_buffer`: host-provided storage for a NUL-terminated failure description of
/// at most `capacity` bytes, including the NUL. Borrowed for the duration of the call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarErrorBuffer {
    pub struct_size: usize,
    pub message: *mut c_char,
    pub capacity: usize,
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// `racecar_header`: one Kafka header, borrowed like the message it belongs to.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarHeader {
    pub struct_size: usize,
    /// NUL-terminated header name.
    pub name: *const c_char,
    /// Header value bytes; NULL for a null value. Not NUL-terminated.
    pub value: *const c_void,
    pub value_length: usize,
}

/// `racecar_message`: a consumed message. Every pointer is borrowed from librdkafka's buffers
/// and valid only until `process` / `process_batch` returns.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarMessage {
    pub struct_size: usize,
    /// NUL-terminated topic name.
    pub topic: *const c_char,
    pub partition: i32,
    pub offset: i64,
    /// Key bytes, or NULL when the message has no key.
    pub key: *const c_void,
    pub key_length: usize,
    /// Value bytes, or NULL for a tombstone.
    pub value: *const c_void,
    pub value_length: usize,
    /// Milliseconds since the Unix epoch, or -1 when the broker gave none.
    pub timestamp_ms: i64,
    /// Failures in a row of this partition just before this call (0 on a first attempt).
    pub retries_count: i32,
    /// The headers in order; NULL and 0 for a consumer with `RACECAR_HEADERS_ON_DEMAND`.
    pub headers: *const *const RacecarHeader,
    pub header_count: usize,
}

// ---------------------------------------------------------------------------------------------
// The host API
// ---------------------------------------------------------------------------------------------

/// `racecar_host`: opaque, the host's side of one consumer instance (the nomicon's pattern for
/// an opaque C type: not constructible, not `Send`, `Sync` or `Unpin`).
#[repr(C)]
pub struct RacecarHost {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `racecar_log_level`: severity for `racecar_host_api.log`.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct RacecarLogLevel(pub c_int);

impl RacecarLogLevel {
    pub const DEBUG: Self = Self(0);
    pub const INFO: Self = Self(1);
    pub const WARNING: Self = Self(2);
    pub const ERROR: Self = Self(3);
}

/// `RACECAR_PARTITION_ANY`: lets the partitioner pick the partition of a produced message.
pub const RACECAR_PARTITION_ANY: i32 = -1;

/// `racecar_produce_request`: a message to produce. Every pointer is borrowed for the duration
/// of the `produce` call only; the host copies what it needs.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarProduceRequest {
    pub struct_size: usize,
    /// NUL-terminated topic name. Required.
    pub topic: *const c_char,
    pub key: *const c_void,
    pub key_length: usize,
    pub value: *const c_void,
    pub value_length: usize,
    pub headers: *const *const RacecarHeader,
    pub header_count: usize,
    /// An explicit partition, or [`RACECAR_PARTITION_ANY`].
    pub partition: i32,
    /// Bytes hashed by the partitioner instead of the key, or NULL to hash the key.
    pub partition_key: *const c_void,
    pub partition_key_length: usize,
    /// Milliseconds since the Unix epoch, or 0 for "now".
    pub timestamp_ms: i64,
}

/// `racecar_host_api.produce`: enqueues a message; does not wait for the broker.
pub type ProduceFn = unsafe extern "C" fn(
    host: *mut RacecarHost,
    request: *const RacecarProduceRequest,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus;
/// `racecar_host_api.deliver`: blocks until everything the instance produced is acknowledged.
pub type DeliverFn = unsafe extern "C" fn(host: *mut RacecarHost, error: *mut RacecarErrorBuffer) -> RacecarStatus;
/// `racecar_host_api.log`: writes a line to the host's log, tagged with the consumer's name.
pub type LogFn = unsafe extern "C" fn(host: *mut RacecarHost, level: RacecarLogLevel, message: *const c_char);
/// `racecar_host_api.message_headers` (since ABI 1.1): the headers of a message of the current
/// call, for consumers with `RACECAR_HEADERS_ON_DEMAND`.
pub type MessageHeadersFn = unsafe extern "C" fn(
    host: *mut RacecarHost,
    message: *const RacecarMessage,
    headers: *mut *const *const RacecarHeader,
    count: *mut usize,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus;

/// `racecar_host_api`: the functions the host offers each consumer instance. Call them only
/// from inside a call the host made into that instance. The table lives as long as the process.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarHostApi {
    pub struct_size: usize,
    pub produce: Option<ProduceFn>,
    pub deliver: Option<DeliverFn>,
    pub log: Option<LogFn>,
    /// Since ABI 1.1.
    pub message_headers: Option<MessageHeadersFn>,
}

// ---------------------------------------------------------------------------------------------
// Consumers
// ---------------------------------------------------------------------------------------------

/// `racecar_topic_partition`: a partition, for the rebalance hooks. Borrowed for the call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarTopicPartition {
    pub struct_size: usize,
    pub topic: *const c_char,
    pub partition: i32,
}

/// `racecar_error_info`: what failed, for `on_error`. Borrowed for the duration of the call.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarErrorInfo {
    pub struct_size: usize,
    /// The error message `process` / `process_batch` (or delivery) reported.
    pub message: *const c_char,
    pub topic: *const c_char,
    pub partition: i32,
    /// The message that failed: for a batch, the first one not processed.
    pub offset: i64,
    pub first_offset: i64,
    pub last_offset: i64,
    /// Non-zero when the failure came from `process_batch`.
    pub is_batch: c_int,
    /// Consecutive failures of this partition before this one (0 on the first).
    pub retries_count: i32,
    /// One of the `RACECAR_RECOVERY_*` constants: what the host does next.
    pub recovery: c_int,
}

pub const RACECAR_RECOVERY_RETRY: c_int = 0;
pub const RACECAR_RECOVERY_PAUSE: c_int = 1;
pub const RACECAR_RECOVERY_STOP: c_int = 2;
pub const RACECAR_RECOVERY_DEAD_LETTER: c_int = 3;

/// `racecar_consumer_vtable.create`.
pub type CreateFn = unsafe extern "C" fn(
    consumer: *const RacecarConsumerDescriptor,
    host: *mut RacecarHost,
    host_api: *const RacecarHostApi,
    instance: *mut *mut c_void,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus;
/// `racecar_consumer_vtable.process`.
pub type ProcessFn = unsafe extern "C" fn(
    instance: *mut c_void,
    message: *const RacecarMessage,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus;
/// `racecar_consumer_vtable.process_batch`.
pub type ProcessBatchFn = unsafe extern "C" fn(
    instance: *mut c_void,
    messages: *const *const RacecarMessage,
    count: usize,
    processed_count: *mut usize,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus;
/// `racecar_consumer_vtable.teardown` and `.destroy`.
pub type InstanceFn = unsafe extern "C" fn(instance: *mut c_void);
/// `racecar_consumer_vtable.on_error`.
pub type OnErrorFn = unsafe extern "C" fn(instance: *mut c_void, error: *const RacecarErrorInfo);
/// `racecar_consumer_vtable.on_partitions_assigned` and `.on_partitions_revoked`.
pub type PartitionsFn =
    unsafe extern "C" fn(instance: *mut c_void, partitions: *const *const RacecarTopicPartition, count: usize);
/// `racecar_consumer_vtable.on_statistics`.
pub type StatisticsFn = unsafe extern "C" fn(instance: *mut c_void, json: *const c_char, length: usize);

/// `racecar_consumer_vtable`: the functions of one consumer. `process` or `process_batch` must
/// be set; unused entries are `None`. One instance is never called concurrently.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarConsumerVtable {
    pub struct_size: usize,
    pub create: Option<CreateFn>,
    pub process: Option<ProcessFn>,
    pub process_batch: Option<ProcessBatchFn>,
    pub teardown: Option<InstanceFn>,
    pub destroy: Option<InstanceFn>,
    pub on_error: Option<OnErrorFn>,
    pub on_partitions_assigned: Option<PartitionsFn>,
    pub on_partitions_revoked: Option<PartitionsFn>,
    pub on_statistics: Option<StatisticsFn>,
}

/// `racecar_subscription`: a topic the consumer subscribes to.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarSubscription {
    pub struct_size: usize,
    /// NUL-terminated topic name.
    pub topic: *const c_char,
    /// Non-zero: a group with no committed offset starts at the oldest message.
    pub start_from_beginning: c_int,
    /// Extra librdkafka consumer properties as NUL-terminated "name=value" strings, or NULL.
    pub kafka_properties: *const *const c_char,
    pub kafka_property_count: usize,
}

/// `RACECAR_HEADERS_ON_DEMAND`, for `racecar_consumer_descriptor.flags`: messages come without
/// headers and the consumer asks `racecar_host_api.message_headers` for them.
pub const RACECAR_HEADERS_ON_DEMAND: u32 = 0x1;

/// `racecar_consumer_descriptor`: one consumer a plugin offers, with its compiled-in defaults.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarConsumerDescriptor {
    pub struct_size: usize,
    /// The name the operator passes on the command line.
    pub name: *const c_char,
    pub subscriptions: *const *const RacecarSubscription,
    pub subscription_count: usize,
    /// Consumer group id, or NULL to derive one from `name`.
    pub group_id: *const c_char,
    /// Largest batch for `process_batch`, or 0 for the host's default.
    pub fetch_messages: i32,
    /// Longest broker wait for a fetch in milliseconds, or 0 for the default.
    pub max_wait_time_ms: i32,
    pub vtable: *const RacecarConsumerVtable,
    /// Anything the plugin wants to find again in `create`; the host never reads it.
    pub user_data: *const c_void,
    /// Since ABI 1.1: [`RACECAR_HEADERS_ON_DEMAND`] or 0.
    pub flags: u32,
}

/// `racecar_plugin_descriptor`: what a plugin is, returned by `racecar_plugin_abi_v1`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RacecarPluginDescriptor {
    pub struct_size: usize,
    pub abi_major: u32,
    pub abi_minor: u32,
    /// Free-form version of the SDK the plugin was built with, or NULL.
    pub sdk_version: *const c_char,
    /// Compiler/toolchain the plugin was built with, or NULL.
    pub toolchain: *const c_char,
    pub consumers: *const *const RacecarConsumerDescriptor,
    pub consumer_count: usize,
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// `racecar_plugin_abi_v1`: required, returns the plugin's static descriptor. Must be pure.
pub type PluginAbiFn = unsafe extern "C" fn() -> *const RacecarPluginDescriptor;
/// `racecar_plugin_init_v1`: optional, called once before any consumer is created.
pub type PluginInitFn =
    unsafe extern "C" fn(host_api: *const RacecarHostApi, error: *mut RacecarErrorBuffer) -> RacecarStatus;

// ---------------------------------------------------------------------------------------------
// Rust-side helpers for the header's rules
// ---------------------------------------------------------------------------------------------

/// Immutable data in static storage that holds raw pointers: descriptors, vtables, arrays of
/// pointers.
///
/// Raw pointers make a type neither `Send` nor `Sync`, so a `static` of an ABI struct does not
/// compile on its own. Wrapped in `Static`, it does. That is sound for what this crate puts in
/// it: every pointer points at other `'static` data (C string literals, other statics, functions),
/// nothing is ever written after compile time, and the host only reads through the pointers,
/// from any thread. Never wrap anything with interior mutability.
#[repr(transparent)]
pub struct Static<T>(pub T);

// SAFETY: see the type's documentation: immutable, 'static, only ever read.
unsafe impl<T> Sync for Static<T> {}

/// Marks the ABI structs, for which every field is valid when all its bytes are zero (null
/// pointers, `None` function pointers, zero integers): what the header's "treat the rest as
/// zero" rule needs.
///
/// # Safety
///
/// Implement only for `#[repr(C)]` structs whose first field is `struct_size: usize` and for
/// which the all-zero bit pattern is a valid value.
pub unsafe trait Extensible: Copy {}

// SAFETY: repr(C), starts with struct_size, holds only raw pointers, optional function pointers, integers.
unsafe impl Extensible for RacecarErrorBuffer {}
// SAFETY: repr(C), starts with struct_size, holds only raw pointers, optional function pointers, integers.
unsafe impl Extensible for RacecarHeader {}
// SAFETY: repr(C), starts with struct_size, holds only raw pointers, optional function pointers, integers.
unsafe impl Extensible for RacecarMessage {}
// SAFETY: repr(C), starts with struct_size, holds only raw pointers, optional function pointers, integers.
unsafe impl Extensible for RacecarHostApi {}
// SAFETY: repr(C), starts with struct_size, holds only raw pointers, optional function pointers, integers.
unsafe impl Extensible for RacecarTopicPartition {}
// SAFETY: repr(C), starts with struct_size, holds only raw pointers, optional function pointers, integers.
unsafe impl Extensible for RacecarErrorInfo {}

/// Reads a struct the other side wrote, as the header's rule says: only the bytes its
/// `struct_size` covers, with every field past them zero. A host built against a newer header
/// (a bigger struct) and an older one (a smaller struct) are both read correctly.
///
/// # Safety
///
/// `pointer` must be non-null and point at a struct the host wrote, valid for at least
/// `min(its struct_size, size_of::<T>())` bytes, for the duration of this call.
pub unsafe fn read_extensible<T: Extensible>(pointer: *const T) -> T {
    // SAFETY: every ABI struct starts with struct_size, and the caller promised it is readable.
    let declared = unsafe { pointer.cast::<usize>().read() };
    let count = declared.min(size_of::<T>());
    let mut copy = MaybeUninit::<T>::zeroed();
    // SAFETY: `count` bytes the caller promised are readable, into a local of at least that size.
    unsafe { std::ptr::copy_nonoverlapping(pointer.cast::<u8>(), copy.as_mut_ptr().cast::<u8>(), count) };
    // SAFETY: all-zero is a valid T (Extensible), and the bytes copied over it came from a valid
    // value of the same layout.
    unsafe { copy.assume_init() }
}

// ---------------------------------------------------------------------------------------------
// Layout checks: the figures the C compiler gives for racecar_plugin.h (ABI 1.1) on 64-bit
// Linux. A field out of place fails the build here rather than corrupting memory at run time.
// ---------------------------------------------------------------------------------------------

#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<RacecarStatus>() == 4 && size_of::<RacecarLogLevel>() == 4);
    assert!(size_of::<RacecarErrorBuffer>() == 24 && offset_of!(RacecarErrorBuffer, capacity) == 16);
    assert!(size_of::<RacecarHeader>() == 32 && offset_of!(RacecarHeader, value_length) == 24);
    assert!(size_of::<RacecarMessage>() == 96);
    assert!(offset_of!(RacecarMessage, timestamp_ms) == 64 && offset_of!(RacecarMessage, retries_count) == 72);
    assert!(offset_of!(RacecarMessage, headers) == 80 && offset_of!(RacecarMessage, header_count) == 88);
    assert!(size_of::<RacecarProduceRequest>() == 96 && offset_of!(RacecarProduceRequest, partition) == 64);
    assert!(offset_of!(RacecarProduceRequest, partition_key) == 72);
    assert!(offset_of!(RacecarProduceRequest, timestamp_ms) == 88);
    assert!(size_of::<RacecarHostApi>() == 40 && offset_of!(RacecarHostApi, message_headers) == 32);
    assert!(size_of::<RacecarTopicPartition>() == 24);
    assert!(size_of::<RacecarErrorInfo>() == 72 && offset_of!(RacecarErrorInfo, is_batch) == 56);
    assert!(offset_of!(RacecarErrorInfo, recovery) == 64);
    assert!(size_of::<RacecarConsumerVtable>() == 80 && offset_of!(RacecarConsumerVtable, on_statistics) == 72);
    assert!(size_of::<RacecarSubscription>() == 40 && offset_of!(RacecarSubscription, kafka_properties) == 24);
    assert!(size_of::<RacecarConsumerDescriptor>() == 72);
    assert!(offset_of!(RacecarConsumerDescriptor, fetch_messages) == 40);
    assert!(offset_of!(RacecarConsumerDescriptor, vtable) == 48);
    assert!(offset_of!(RacecarConsumerDescriptor, flags) == 64);
    assert!(size_of::<RacecarPluginDescriptor>() == 48 && offset_of!(RacecarPluginDescriptor, consumers) == 32);
};
