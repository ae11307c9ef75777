//! `RustCountingConsumer`: a racecar-host consumer written in Rust against the C ABI in
//! `SDK/CRacecarPlugin/include/racecar_plugin.h`, to show the ABI is language-neutral; the Rust
//! counterpart of `Plugins/CountingCConsumer`.
//!
//! It subscribes to `events` (from the beginning) and, for each message:
//!
//! 1. produces a copy to `events-copied` through `racecar_host_api.produce`: the same partition,
//!    key, value, timestamp and headers, plus a `copied-from: <topic>/<partition>@<offset>`
//!    header (so `events-copied` needs at least as many partitions as `events`);
//! 2. prints `<topic>/<partition>@<offset> <key> <value>` to stdout, followed by
//!    ` <name>=<value>` per header, and flushes (the same line as `CountingCConsumer`);
//!
//! and at teardown logs `RustCountingConsumer processed N messages` through `host_api.log`.
//! It reads headers on demand (`RACECAR_HEADERS_ON_DEMAND`).
//!
//! Nothing crosses the boundary as a panic: every callback runs its body inside
//! [`std::panic::catch_unwind`]. A panic in `create` or `process` becomes `RACECAR_ERROR` with the
//! panic's message in the error buffer, so the host handles it like any other failure (it exits
//! from `create`; it pauses the partition and retries the message from `process`) instead of
//! the whole process aborting; one in `teardown` is logged. That needs the default
//! `panic = "unwind"`, kept explicit in Cargo.toml. (Since Rust 1.81 an unwind that reaches an
//! `extern "C"` function aborts the process, so a path missed here would abort, never be
//! undefined behaviour.) Failures that are not panics are `Err(Failure)` values written into the
//! host's error buffer as NUL-terminated text.

#![deny(unsafe_op_in_unsafe_fn)]
// The library is named after the consumer (libRustCountingConsumer.so), like the other plugins.
#![allow(non_snake_case)]

mod abi;

use std::ffi::{c_char, c_void, CStr};
use std::io::{self, Write};
use std::mem::size_of;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use abi::*;

/// The consumer's name, as the operator passes it on the command line.
const NAME: &str = "RustCountingConsumer";
/// [`NAME`], NUL-terminated, for the descriptor.
const CONSUMER_NAME: &CStr = c"RustCountingConsumer";
/// The topic it consumes.
const INPUT_TOPIC: &CStr = c"events";
/// The topic it produces the copies to.
const OUTPUT_TOPIC: &CStr = c"events-copied";
/// The header each copy gets, naming the message it copies.
const COPIED_FROM: &CStr = c"copied-from";

/// A failure to describe in the host's error buffer.
struct Failure(String);

impl Failure {
    fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

/// One consumer instance: what `create` stores in `*instance`.
struct Consumer {
    /// The host's side of this instance, passed back to every host function.
    host: *mut RacecarHost,
    produce: ProduceFn,
    log: LogFn,
    /// `None` on a host older than ABI 1.1, which then puts the headers in every message.
    message_headers: Option<MessageHeadersFn>,
    processed: u64,
    /// The copy's header pointers, reused so that processing allocates nothing once warmed up.
    copy_headers: Vec<*const RacecarHeader>,
    /// The `copied-from` header's value, reused likewise.
    copied_from: Vec<u8>,
}

impl Consumer {
    /// Copies one message to the output topic, then prints its line.
    ///
    /// # Safety
    ///
    /// `message` is the host's pointer for the current `process` call.
    unsafe fn process(&mut self, message: *const RacecarMessage) -> Result<(), Failure> {
        // SAFETY: the host's message, valid for this call; read to the size it declares.
        let fields = unsafe { read_extensible(message) };
        // SAFETY: the message's pointers, borrowed from the host for this call (also below).
        let topic = unsafe { c_bytes(fields.topic) };
        // SAFETY: as above.
        let key = unsafe { bytes(fields.key, fields.key_length) };
        // SAFETY: as above.
        let value = unsafe { bytes(fields.value, fields.value_length) };
        // SAFETY: the host's message pointer for this call, and what it holds.
        let headers = unsafe { self.headers_of(message, &fields) }?;
        // Only in a build with the `test-panics` feature: how the end-to-end test proves a panic
        // stays on this side of the boundary.
        #[cfg(feature = "test-panics")]
        assert!(key != b"panic", "test-panics: a message keyed \"panic\"");

        self.produce_copy(&fields, topic, headers)?;

        let position = || format!("{}/{}@{}", String::from_utf8_lossy(topic), fields.partition, fields.offset);
        let mut out = io::stdout().lock();
        let mut line = || -> io::Result<()> {
            out.write_all(topic)?;
            write!(out, "/{}@{} ", fields.partition, fields.offset)?;
            out.write_all(key)?;
            out.write_all(b" ")?;
            out.write_all(value)?;
            for &header in headers.iter().filter(|header| !header.is_null()) {
                // SAFETY: the host's header, borrowed like the message.
                let header = unsafe { read_extensible(header) };
                out.write_all(b" ")?;
                // SAFETY: the header's name and value, borrowed like the message.
                out.write_all(unsafe { c_bytes(header.name) })?;
                out.write_all(b"=")?;
                // SAFETY: as above.
                out.write_all(unsafe { bytes(header.value, header.value_length) })?;
            }
            out.write_all(b"\n")?;
            out.flush()
        };
        line().map_err(|error| Failure(format!("{NAME} could not print {} to stdout: {error}", position())))?;
        self.processed += 1;
        Ok(())
    }

    /// The message's headers: asked of the host (headers on demand), or found in the message when
    /// the host is older than ABI 1.1.
    ///
    /// # Safety
    ///
    /// `message` is the host's pointer for the current call and `fields` what it holds; the
    /// slice is valid until that call returns.
    unsafe fn headers_of<'call>(
        &self,
        message: *const RacecarMessage,
        fields: &RacecarMessage,
    ) -> Result<&'call [*const RacecarHeader], Failure> {
        let (list, count) = match self.message_headers {
            Some(message_headers) => {
                let mut list: *const *const RacecarHeader = ptr::null();
                let mut count = 0usize;
                // SAFETY: the host's own message pointer, and out-parameters that live through
                // the call, as racecar_host_api.message_headers asks.
                call_host(|error| unsafe { message_headers(self.host, message, &mut list, &mut count, error) })
                    .map_err(|text| Failure(format!("{NAME} could not read the headers of a message: {text}")))?;
                (list, count)
            }
            None => (fields.headers, fields.header_count),
        };
        if list.is_null() || count == 0 {
            return Ok(&[]);
        }
        // SAFETY: the host's array of `count` header pointers, borrowed for the current call.
        Ok(unsafe { std::slice::from_raw_parts(list, count) })
    }

    /// Produces the copy of `fields` to the output topic: same partition, key, value, timestamp
    /// and headers, plus `copied-from`.
    fn produce_copy(
        &mut self,
        fields: &RacecarMessage,
        topic: &[u8],
        headers: &[*const RacecarHeader],
    ) -> Result<(), Failure> {
        self.copied_from.clear();
        self.copied_from.extend_from_slice(topic);
        // Writing into a Vec cannot fail.
        let _ = write!(self.copied_from, "/{}@{}", fields.partition, fields.offset);
        let copied_from = RacecarHeader {
            struct_size: size_of::<RacecarHeader>(),
            name: COPIED_FROM.as_ptr(),
            value: self.copied_from.as_ptr().cast(),
            value_length: self.copied_from.len(),
        };
        self.copy_headers.clear();
        self.copy_headers.extend(headers.iter().copied().filter(|header| !header.is_null()));
        self.copy_headers.push(&copied_from);
        let request = RacecarProduceRequest {
            struct_size: size_of::<RacecarProduceRequest>(),
            topic: OUTPUT_TOPIC.as_ptr(),
            key: fields.key,
            key_length: fields.key_length,
            value: fields.value,
            value_length: fields.value_length,
            headers: self.copy_headers.as_ptr(),
            header_count: self.copy_headers.len(),
            partition: fields.partition,
            partition_key: ptr::null(),
            partition_key_length: 0,
            timestamp_ms: fields.timestamp_ms.max(0),
        };
        let produce = self.produce;
        // The host's text names the output topic and the reason; the failure adds which message.
        // SAFETY: every pointer in the request (the message's borrowed bytes, the headers, the
        // `copied-from` value and the static topic name) outlives this call, which is all the
        // host needs: it copies what it keeps.
        call_host(|error| unsafe { produce(self.host, &request, error) }).map_err(|text| {
            Failure(format!(
                "{NAME} could not copy {}/{}@{}: {text}",
                String::from_utf8_lossy(topic),
                fields.partition,
                fields.offset
            ))
        })
    }

    /// Writes `text` to the host's log, tagged with the consumer's name.
    fn log(&self, level: RacecarLogLevel, text: &str) {
        let mut line = Vec::with_capacity(text.len() + 1);
        line.extend(text.bytes().filter(|&byte| byte != 0));
        line.push(0);
        // SAFETY: a NUL-terminated line that outlives the call, and the host handle from create.
        unsafe { (self.log)(self.host, level, line.as_ptr().cast()) };
    }
}

// -------------------------------------------------------------------------------------------------
// The vtable: C entry points that guard against panics and forward to Consumer.
// -------------------------------------------------------------------------------------------------

unsafe extern "C" fn create(
    _consumer: *const RacecarConsumerDescriptor,
    host: *mut RacecarHost,
    host_api: *const RacecarHostApi,
    instance: *mut *mut c_void,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus {
    guarded(error, "create", || {
        if host_api.is_null() || instance.is_null() {
            return Err(Failure::new("create needs the host API table and somewhere to store the instance"));
        }
        // SAFETY: the host's table, which lives as long as the process; read to the size it declares.
        let api = unsafe { read_extensible(host_api) };
        let (Some(produce), Some(log)) = (api.produce, api.log) else {
            return Err(Failure(format!(
                "{NAME} needs racecar_host_api.produce and .log, and this host's table (struct_size {}) lacks one",
                api.struct_size
            )));
        };
        let consumer = Box::new(Consumer {
            host,
            produce,
            log,
            message_headers: api.message_headers,
            processed: 0,
            copy_headers: Vec::new(),
            copied_from: Vec::new(),
        });
        // SAFETY: the host's out-parameter for the instance, checked non-null above.
        unsafe { instance.write(Box::into_raw(consumer).cast()) };
        Ok(())
    })
}

unsafe extern "C" fn process(
    instance: *mut c_void,
    message: *const RacecarMessage,
    error: *mut RacecarErrorBuffer,
) -> RacecarStatus {
    guarded(error, "process", || {
        // SAFETY: the instance create stored; the host never calls one instance concurrently.
        let consumer = unsafe { instance.cast::<Consumer>().as_mut() }
            .ok_or_else(|| Failure::new("process was called without an instance"))?;
        if message.is_null() {
            return Err(Failure::new("process was called without a message"));
        }
        // SAFETY: the host's message for this call.
        unsafe { consumer.process(message) }
    })
}

unsafe extern "C" fn teardown(instance: *mut c_void) {
    // SAFETY: the instance create stored, not yet destroyed.
    let Some(consumer) = (unsafe { instance.cast::<Consumer>().as_ref() }) else {
        return;
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        consumer.log(RacecarLogLevel::INFO, &format!("{NAME} processed {} messages", consumer.processed));
    }));
    if let Err(panic) = outcome {
        let text = format!("{NAME} panicked in teardown: {}", panic_text(&*panic));
        // Logging is what panicked, most likely; never let a second panic out.
        let _ = catch_unwind(AssertUnwindSafe(|| consumer.log(RacecarLogLevel::ERROR, &text)));
    }
}

unsafe extern "C" fn destroy(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    // SAFETY: the Box that create leaked into `*instance`; the host calls destroy once, last.
    let consumer = unsafe { Box::from_raw(instance.cast::<Consumer>()) };
    // Dropping a Consumer frees two Vecs and cannot panic; guarded all the same. There is no
    // host handle left to log with: the panic hook's line on stderr is all there is.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(consumer)));
}

// -------------------------------------------------------------------------------------------------
// The static descriptor
// -------------------------------------------------------------------------------------------------

static VTABLE: Static<RacecarConsumerVtable> = Static(RacecarConsumerVtable {
    struct_size: size_of::<RacecarConsumerVtable>(),
    create: Some(create),
    process: Some(process),
    process_batch: None,
    teardown: Some(teardown),
    destroy: Some(destroy),
    on_error: None,
    on_partitions_assigned: None,
    on_partitions_revoked: None,
    on_statistics: None,
});

static EVENTS: Static<RacecarSubscription> = Static(RacecarSubscription {
    struct_size: size_of::<RacecarSubscription>(),
    topic: INPUT_TOPIC.as_ptr(),
    start_from_beginning: 1,
    kafka_properties: ptr::null(),
    kafka_property_count: 0,
});

static SUBSCRIPTIONS: Static<[*const RacecarSubscription; 1]> = Static([&EVENTS.0]);

static CONSUMER: Static<RacecarConsumerDescriptor> = Static(RacecarConsumerDescriptor {
    struct_size: size_of::<RacecarConsumerDescriptor>(),
    name: CONSUMER_NAME.as_ptr(),
    subscriptions: SUBSCRIPTIONS.0.as_ptr(),
    subscription_count: SUBSCRIPTIONS.0.len(),
    group_id: ptr::null(),
    fetch_messages: 0,
    max_wait_time_ms: 0,
    vtable: &VTABLE.0,
    user_data: ptr::null(),
    flags: RACECAR_HEADERS_ON_DEMAND,
});

static CONSUMERS: Static<[*const RacecarConsumerDescriptor; 1]> = Static([&CONSUMER.0]);

static PLUGIN: Static<RacecarPluginDescriptor> = Static(RacecarPluginDescriptor {
    struct_size: size_of::<RacecarPluginDescriptor>(),
    abi_major: RACECAR_ABI_MAJOR,
    abi_minor: RACECAR_ABI_MINOR,
    sdk_version: c"rust-abi 1.1".as_ptr(),
    toolchain: c"rustc".as_ptr(),
    consumers: CONSUMERS.0.as_ptr(),
    consumer_count: CONSUMERS.0.len(),
});

/// `racecar_plugin_abi_v1`: the plugin's static descriptor. Pure: it only returns an address.
#[no_mangle]
pub extern "C" fn racecar_plugin_abi_v1() -> *const RacecarPluginDescriptor {
    &PLUGIN.0
}

// -------------------------------------------------------------------------------------------------
// Helpers at the boundary
// -------------------------------------------------------------------------------------------------

/// Runs a callback's body with panics caught, and turns its outcome into a status, describing a
/// failure or a panic in `error`.
fn guarded(error: *mut RacecarErrorBuffer, call: &str, body: impl FnOnce() -> Result<(), Failure>) -> RacecarStatus {
    // The instance is never left half-changed by a panic in a way that matters: the count is
    // only bumped at the end, and the reused buffers are cleared before each use.
    let text = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return RacecarStatus::OK,
        Ok(Err(Failure(text))) => text,
        Err(panic) => format!("{NAME} panicked in {call}: {}", panic_text(&*panic)),
    };
    // SAFETY: the host's error buffer for this call, or null.
    unsafe { write_error(error, &text) };
    RacecarStatus::ERROR
}

/// A panic's message, when it has one.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Writes `text` into the host's error buffer, truncated to fit, always NUL-terminated.
///
/// # Safety
///
/// `error` is null or the host's error buffer for the current call.
unsafe fn write_error(error: *mut RacecarErrorBuffer, text: &str) {
    if error.is_null() {
        return;
    }
    // SAFETY: the host's buffer, read to the size it declares (a capacity it lacks reads as 0).
    let buffer = unsafe { read_extensible(error) };
    if buffer.message.is_null() || buffer.capacity == 0 {
        return;
    }
    let mut length = text.len().min(buffer.capacity - 1);
    while !text.is_char_boundary(length) {
        length -= 1;
    }
    // SAFETY: `length + 1 <= capacity` bytes of the host's storage.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), buffer.message.cast::<u8>(), length);
        buffer.message.add(length).write(0);
    }
}

/// Calls a host function with an error buffer of our own, and returns what it wrote on failure.
fn call_host(call: impl FnOnce(*mut RacecarErrorBuffer) -> RacecarStatus) -> Result<(), String> {
    let mut text = [0 as c_char; 512];
    let mut buffer = RacecarErrorBuffer {
        struct_size: size_of::<RacecarErrorBuffer>(),
        message: text.as_mut_ptr(),
        capacity: text.len(),
    };
    if call(&mut buffer) == RacecarStatus::OK {
        return Ok(());
    }
    // The host always NUL-terminates within capacity; the last byte is cleared all the same.
    text[text.len() - 1] = 0;
    // SAFETY: a NUL-terminated string in `text`.
    let described = unsafe { CStr::from_ptr(text.as_ptr()) }.to_string_lossy();
    Err(if described.is_empty() { "(the host gave no reason)".to_owned() } else { described.into_owned() })
}

/// `length` bytes at `pointer`, or none for NULL.
///
/// # Safety
///
/// `pointer` is null or valid for `length` bytes for the caller's lifetime `'a`.
unsafe fn bytes<'a>(pointer: *const c_void, length: usize) -> &'a [u8] {
    if pointer.is_null() || length == 0 {
        return &[];
    }
    // SAFETY: as the caller promised.
    unsafe { std::slice::from_raw_parts(pointer.cast(), length) }
}

/// The bytes of a NUL-terminated string, without the NUL, or none for NULL.
///
/// # Safety
///
/// `pointer` is null or a NUL-terminated string valid for the caller's lifetime `'a`.
unsafe fn c_bytes<'a>(pointer: *const c_char) -> &'a [u8] {
    if pointer.is_null() {
        return &[];
    }
    // SAFETY: as the caller promised.
    unsafe { CStr::from_ptr(pointer) }.to_bytes()
}
