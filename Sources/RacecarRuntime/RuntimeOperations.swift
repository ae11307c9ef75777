import RacecarInstrumentation

/// What the operations side (the HTTP endpoint, status files) shares with one consumer's
/// runtime: the board the poll loop publishes its status on, and the inbox of control commands
/// it applies. The loop never waits on either's readers.
package struct RuntimeOperations: Sendable {
    package let board: StatusBoard
    package let controls: ControlInbox
    /// The supervised worker slot this process is, named in its status.
    package let workerSlot: Int?

    package init(board: StatusBoard = StatusBoard(), controls: ControlInbox = ControlInbox(), workerSlot: Int? = nil) {
        self.board = board
        self.controls = controls
        self.workerSlot = workerSlot
    }
}
