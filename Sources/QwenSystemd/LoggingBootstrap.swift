import Glibc
import Logging

/// Installs the process-wide swift-log backend: the journal under systemd, else standard error,
/// rate-limited per event kind (``RateLimitedLogHandler``).
///
/// The destination is, in order:
/// 1. `QWEN_SYNC_LOG=journal` or `QWEN_SYNC_LOG=stderr`, when set to one of those;
/// 2. the journal, when `JOURNAL_STREAM` (`<device>:<inode>`, set by systemd for a service
///    whose standard error goes to the journal) names the file that descriptor 2 is;
/// 3. standard error.
///
/// The level is the `level` argument when given, else `QWEN_SYNC_LOG_LEVEL` (`trace`,
/// `debug`, `info`, `notice`, `warning`, `error`, `critical`; case does not matter), else `info`.
public enum LoggingBootstrap {
    /// The environment variable that forces a destination.
    public static let destinationVariable = "QWEN_SYNC_LOG"

    /// The environment variable that sets the level.
    public static let levelVariable = "QWEN_SYNC_LOG_LEVEL"

    /// Bootstraps `LoggingSystem` once per process; call it first thing in `main`.
    ///
    /// swift-log allows a single bootstrap per process; a second call traps.
    ///
    /// - Parameter level: A level chosen on the command line; it wins over the environment.
    /// - Returns: The destination chosen, for a first log line such as "logging to journal".
    @discardableResult
    public static func bootstrap(level: Logger.Level? = nil) -> LogDestination {
        let destination = destination(environment: environmentValue, standardError: STDERR_FILENO)
        let level = level ?? self.level(environment: environmentValue)
        // One limit for every logger of the process, so a flood of one kind of event is cut
        // whichever logger it comes through.
        switch destination {
        case .journal: install(RateLimitedLogHandler(JournaldLogHandler()), level: level)
        case .stderr: install(RateLimitedLogHandler(StderrLogHandler()), level: level)
        }
        return destination
    }

    /// Makes every logger of the process a copy of `handler` at `level`.
    private static func install<Handler: LogHandler>(_ handler: Handler, level: Logger.Level) {
        LoggingSystem.bootstrap { _ in
            var copy = handler
            copy.logLevel = level
            return copy
        }
    }

    /// The destination for the given environment and standard-error descriptor.
    static func destination(environment: (String) -> String?, standardError: Int32) -> LogDestination {
        if let forced = environment(destinationVariable).flatMap({ LogDestination(rawValue: $0.lowercased()) }) {
            return forced
        }
        if let stream = environment("JOURNAL_STREAM"), isJournalStream(stream, fileDescriptor: standardError) {
            return .journal
        }
        return .stderr
    }

    /// The level for the given environment: `QWEN_SYNC_LOG_LEVEL` when valid, else `info`.
    static func level(environment: (String) -> String?) -> Logger.Level {
        environment(levelVariable).flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    }

    /// Whether a `JOURNAL_STREAM` value (`<device>:<inode>`, decimal) names the open file
    /// behind `fileDescriptor`.
    static func isJournalStream(_ value: String, fileDescriptor: Int32) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return false
        }
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }

    /// One variable of the process environment.
    private static func environmentValue(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
