/// Where ``LoggingBootstrap`` sends the process's log entries.
public enum LogDestination: String, Sendable, CaseIterable {
    /// The systemd journal, through ``JournaldLogHandler``.
    case journal
    /// Standard error, through ``StderrLogHandler``.
    case stderr
}
