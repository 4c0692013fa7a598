import Logging
import QwenSyncCore
import Synchronization

/// A token bucket per kind of line (the `event` metadata and the level): a burst of
/// ``burst`` lines, then one line per ``refillEveryMs``. What it drops is counted, and the
/// next line of that kind that passes is preceded by "N similar messages suppressed". A peer
/// rewriting a file 10,000 times in place thus costs about a hundred lines, not thousands,
/// and a flood of debug lines never hides a warning.
struct LogRateLimit: Sendable {
    /// Lines of one kind that may pass at once.
    let burst: Int
    /// One more line of a kind may pass per this many milliseconds.
    let refillEveryMs: Int64

    /// What to do with one line.
    enum Decision: Equatable {
        /// Drop it (it is counted).
        case drop
        /// Write it, after a summary line when `suppressedBefore` lines were dropped.
        case pass(suppressedBefore: Int)
    }

    private struct Bucket {
        var tokens: Int
        var refilledAtMs: Int64
        var suppressed = 0
    }

    private var buckets: [String: Bucket] = [:]

    init(burst: Int = 50, refillEveryMs: Int64 = 200) {
        self.burst = burst
        self.refillEveryMs = refillEveryMs
    }

    /// Takes a token for a line of `kind` at monotonic `nowMs`.
    mutating func admit(kind: String, nowMs: Int64) -> Decision {
        var bucket = buckets[kind] ?? Bucket(tokens: burst, refilledAtMs: nowMs)
        let refills = max(0, nowMs - bucket.refilledAtMs) / refillEveryMs
        if refills > 0 {
            bucket.tokens = Int(min(Int64(burst), Int64(bucket.tokens) + refills))
            bucket.refilledAtMs += refills * refillEveryMs
        }
        defer { buckets[kind] = bucket }
        guard bucket.tokens > 0 else {
            bucket.suppressed += 1
            return .drop
        }
        bucket.tokens -= 1
        let suppressed = bucket.suppressed
        bucket.suppressed = 0
        return .pass(suppressedBefore: suppressed)
    }
}

/// Passes log lines to `Upstream` within a ``LogRateLimit`` shared by every copy of the
/// handler (every `Logger` of the process). Critical lines always pass.
public struct RateLimitedLogHandler<Upstream: LogHandler>: LogHandler {
    private var upstream: Upstream
    private let limit: Shared

    /// The limit, shared by the copies swift-log makes of a handler.
    private final class Shared: Sendable {
        let state: Mutex<LogRateLimit>
        init(_ limit: LogRateLimit) { state = Mutex(limit) }
    }

    /// Wraps `upstream` with a burst of 50 lines per event kind and level, then five a second.
    public init(_ upstream: Upstream) { self.init(upstream, limit: LogRateLimit()) }

    init(_ upstream: Upstream, limit: LogRateLimit) {
        self.upstream = upstream
        self.limit = Shared(limit)
    }

    public var logLevel: Logger.Level {
        get { upstream.logLevel }
        set { upstream.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { upstream.metadata }
        set { upstream.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { upstream.metadataProvider }
        set { upstream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { upstream[metadataKey: key] }
        set { upstream[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        guard event.level < .critical else { return upstream.log(event: event) }
        let kind = ((event.metadata?["event"] ?? upstream.metadata["event"]).map { "\($0)" } ?? "") + " " + event.level.rawValue
        let decision = limit.state.withLock { $0.admit(kind: kind, nowMs: WallClock.monotonicMs()) }
        guard case .pass(let suppressed) = decision else { return }
        if suppressed > 0 {
            var summary = event
            summary.message = "\(suppressed) similar messages suppressed"
            upstream.log(event: summary)
        }
        upstream.log(event: event)
    }
}
