import QwenSyncCore

/// What the endpoint has answered since it started, as `qwen-sync status` shows it (the
/// `serve` object). Pure counting: the clock is given, the file is written by
/// ``ServeCountsWriter``.
public struct ServeCounts: Sendable, Equatable {
    /// The classes errors are counted in, by HTTP status.
    public enum ErrorClass: String, Sendable, CaseIterable {
        /// 401: a wrong or missing key, or no usable login.
        case unauthorized
        /// 429: every account out of quota (and the CLI fallback refused or failed).
        case quota
        /// Any other 4xx: malformed, too large, unknown route.
        case badRequest = "bad_request"
        /// 500: the endpoint's own failure.
        case `internal`
        /// Any other 5xx: the upstream failed, answered badly or timed out.
        case upstream

        /// The class of `status`, `nil` for a success.
        public init?(status: Int) {
            switch status {
            case ..<400: return nil
            case 401: self = .unauthorized
            case 429: self = .quota
            case 400..<500: self = .badRequest
            case 500: self = .internal
            default: self = .upstream
            }
        }
    }

    /// When the endpoint started (ms since the epoch).
    public let startedAtMs: Int64
    /// The process id, so a reader can tell whether the endpoint still runs.
    public let pid: Int32
    /// Every request answered, errors included.
    public private(set) var requests = 0
    /// Error answers by class.
    public private(set) var errors: [ErrorClass: Int] = [:]
    /// Chat requests answered by the `qwen` CLI fallback.
    public private(set) var fallbacks = 0
    /// Upstream retries (after a refresh, a transient failure or on another account).
    public private(set) var retries = 0
    /// Times the quota rule moved a request on to another account.
    public private(set) var accountsSwitched = 0
    /// When the last request was answered (ms since the epoch).
    public private(set) var lastRequestAtMs: Int64?

    /// Counts starting at `startedAtMs` for process `pid`.
    public init(startedAtMs: Int64, pid: Int32) {
        self.startedAtMs = startedAtMs
        self.pid = pid
    }

    /// Counts one answered request.
    public mutating func request(status: Int, atMs: Int64) {
        requests += 1
        if let errorClass = ErrorClass(status: status) { errors[errorClass, default: 0] += 1 }
        lastRequestAtMs = atMs
    }

    /// Adds what one chat request did on the way to its answer.
    public mutating func chat(retries: Int, fallback: Bool, accountsSwitched: Int) {
        self.retries += retries
        if fallback { fallbacks += 1 }
        self.accountsSwitched += accountsSwitched
    }

    /// The file's document: the fields `docs/CLI.md` lists under `status`'s `serve`.
    public var document: JSONValue {
        .object(
            JSONObject([
                ("pid", .int(Int64(pid))),
                ("started_at", .string(UTCTimestamp.iso8601(ms: startedAtMs))),
                ("last_request_at", .optionalString(lastRequestAtMs.map { UTCTimestamp.iso8601(ms: $0) })),
                ("requests", .int(Int64(requests))),
                ("errors", .object(JSONObject(ErrorClass.allCases.map { ($0.rawValue, .int(Int64(errors[$0] ?? 0))) }))),
                ("fallbacks", .int(Int64(fallbacks))),
                ("retries", .int(Int64(retries))),
                ("accounts_switched", .int(Int64(accountsSwitched))),
            ]))
    }
}
