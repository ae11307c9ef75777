/// How log lines are written (`log_format`).
package enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-25T21:15:54.078 INFO racecar consumer=... group=...: message`, for people.
    case text
    /// One JSON object per line, for log pipelines (``JSONLogHandler``).
    case json
}
