import QwenSyncCore

/// The answer to ``ControlRequest/status``: what the daemon knows, never a token. The daemon
/// encodes it with ``json``; `status`, `status --check` and `doctor` decode it with
/// ``init(json:)``, so the keys are written in one place.
///
/// Keys (`docs/CLI.md`, "status"): `daemon {pid, version, uptime_s}`, `qwen_dir`,
/// `active_account`, `accounts [{id, label, identity, active, state, expires_at_ms,
/// cooldown_until_ms, next_refresh_at_ms, last_refresh {at_ms, result}}]`, `counters {syncs,
/// refreshes, refresh_failures}`, `locks [{path, held, holder_pid, age_ms}]`,
/// `refresh_in_flight`, `last_event {at_ms, message}`, `credentials_problem`; and, only when
/// there is something to say, `sync_error {since_ms, message}` and `clock {last_jump_at_ms,
/// kind, action}`.
public struct DaemonStatus: Sendable, Equatable {
    /// The daemon process.
    public struct Process: Sendable, Equatable {
        public var pid: Int64
        public var version: String
        public var uptimeSeconds: Int64

        public init(pid: Int64, version: String, uptimeSeconds: Int64) {
            self.pid = pid
            self.version = version
            self.uptimeSeconds = uptimeSeconds
        }
    }

    /// One account as `status` shows it.
    public struct Account: Sendable, Equatable {
        public var id: String
        public var label: String?
        public var identity: String?
        public var active: Bool
        /// An ``AccountState`` raw value (kept as text: a newer daemon may know more states).
        public var state: String
        public var cooldownUntilMs: Int64?
        public var expiresAtMs: Int64
        public var nextRefreshAtMs: Int64?
        public var lastRefreshAtMs: Int64?
        public var lastRefreshResult: String?

        /// The account as `summary` describes it.
        public init(_ summary: AccountSummary) {
            id = summary.id
            label = summary.label
            identity = summary.identity
            active = summary.active
            state = summary.state.rawValue
            cooldownUntilMs = summary.cooldownUntilMs
            expiresAtMs = summary.expiresAtMs
            nextRefreshAtMs = summary.nextRefreshAtMs
            lastRefreshAtMs = summary.lastRefreshAtMs
            lastRefreshResult = summary.lastRefreshResult
        }
    }

    /// What the daemon counted since it started.
    public struct Counters: Sendable, Equatable {
        public var syncs: Int64
        public var refreshes: Int64
        public var refreshFailures: Int64

        public init(syncs: Int64, refreshes: Int64, refreshFailures: Int64) {
            self.syncs = syncs
            self.refreshes = refreshes
            self.refreshFailures = refreshFailures
        }
    }

    /// One of the peers' lock files.
    public struct Lock: Sendable, Equatable {
        public var path: String
        /// Present while the lock file exists.
        public var holder: Holder?

        /// Who holds a lock, as far as its file says.
        public struct Holder: Sendable, Equatable {
            public var pid: Int64?
            public var ageMs: Int64

            public init(pid: Int64?, ageMs: Int64) {
                self.pid = pid
                self.ageMs = ageMs
            }
        }

        public init(path: String, holder: Holder?) {
            self.path = path
            self.holder = holder
        }
    }

    /// Something that happened, with its wall-clock time.
    public struct Event: Sendable, Equatable {
        public var atMs: Int64
        public var message: String

        public init(atMs: Int64, message: String) {
            self.atMs = atMs
            self.message = message
        }
    }

    /// Writing the files keeps failing: since when, and the latest reason.
    public struct SyncError: Sendable, Equatable {
        public var sinceMs: Int64
        public var message: String

        public init(sinceMs: Int64, message: String) {
            self.sinceMs = sinceMs
            self.message = message
        }
    }

    /// The last time the wall clock jumped or the machine resumed, and what the daemon did.
    public struct ClockJump: Sendable, Equatable {
        public var lastJumpAtMs: Int64
        /// `resume` (the machine slept) or `step` (the wall clock was set while it ran).
        public var kind: String
        /// How far the wall clock moved against the monotonic clock, in seconds (a resume: at
        /// least the sleep).
        public var stepSeconds: Int64
        /// What the daemon did, e.g. "refreshing 2 due accounts, the active (a) first".
        public var action: String

        public init(lastJumpAtMs: Int64, kind: String, stepSeconds: Int64, action: String) {
            self.lastJumpAtMs = lastJumpAtMs
            self.kind = kind
            self.stepSeconds = stepSeconds
            self.action = action
        }
    }

    public var daemon: Process
    public var qwenDirectory: String
    public var activeAccount: String?
    public var accounts: [Account]
    public var counters: Counters
    public var locks: [Lock]
    public var refreshInFlight: String?
    public var lastEvent: Event?
    public var credentialsProblem: String?
    public var syncError: SyncError?
    public var clock: ClockJump?

    public init(
        daemon: Process, qwenDirectory: String, activeAccount: String?, accounts: [Account], counters: Counters, locks: [Lock],
        refreshInFlight: String?, lastEvent: Event?, credentialsProblem: String?, syncError: SyncError? = nil, clock: ClockJump? = nil
    ) {
        self.daemon = daemon
        self.qwenDirectory = qwenDirectory
        self.activeAccount = activeAccount
        self.accounts = accounts
        self.counters = counters
        self.locks = locks
        self.refreshInFlight = refreshInFlight
        self.lastEvent = lastEvent
        self.credentialsProblem = credentialsProblem
        self.syncError = syncError
        self.clock = clock
    }

    // MARK: Encoding

    /// The document as the daemon sends it.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            (Key.daemon, [Key.pid: .int(daemon.pid), Key.version: .string(daemon.version), Key.uptime: .int(daemon.uptimeSeconds)]),
            (Key.qwenDirectory, .string(qwenDirectory)),
            (Key.activeAccount, .optionalString(activeAccount)),
            (Key.accounts, .array(accounts.map(\.json))),
            (
                Key.counters,
                [Key.syncs: .int(counters.syncs), Key.refreshes: .int(counters.refreshes), Key.refreshFailures: .int(counters.refreshFailures)]
            ),
            (Key.locks, .array(locks.map(\.json))),
            (Key.refreshInFlight, .optionalString(refreshInFlight)),
            (Key.lastEvent, lastEvent.map { [Key.at: .int($0.atMs), Key.message: .string($0.message)] } ?? .null),
            (Key.credentialsProblem, .optionalString(credentialsProblem)),
        ]
        if let syncError { fields.append((Key.syncError, [Key.since: .int(syncError.sinceMs), Key.message: .string(syncError.message)])) }
        fields.append(
            (
                Key.clock,
                clock.map {
                    [Key.lastJump: .int($0.lastJumpAtMs), Key.kind: .string($0.kind), Key.step: .int($0.stepSeconds), Key.action: .string($0.action)]
                } ?? .null
            ))
        return .object(JSONObject(fields))
    }

    // MARK: Decoding

    /// Reads a status reply.
    ///
    /// - Throws: ``ControlProtocolError`` when it is an `{"error": …}` reply or lacks what
    ///   every daemon sends (`daemon`, `qwen_dir`, each account's `id`, `state` and
    ///   `expires_at_ms`). Absent optional keys (an older daemon) read as `nil` or empty.
    public init(json: JSONValue) throws(ControlProtocolError) {
        guard let root = json.objectValue else { throw ControlProtocolError("the status reply is not a JSON object") }
        if let message = root["error"]?.stringValue { throw ControlProtocolError("the daemon says: \(message)") }
        guard let daemon = root[Key.daemon]?.objectValue, let pid = daemon[Key.pid]?.int64Value, let qwenDirectory = root[Key.qwenDirectory]?.stringValue
        else { throw ControlProtocolError("the status reply lacks daemon.pid or qwen_dir") }
        self.daemon = Process(pid: pid, version: daemon[Key.version]?.stringValue ?? "?", uptimeSeconds: daemon[Key.uptime]?.int64Value ?? 0)
        self.qwenDirectory = qwenDirectory
        activeAccount = root[Key.activeAccount]?.stringValue
        accounts = try (root[Key.accounts]?.arrayValue ?? []).map { (value) throws(ControlProtocolError) in try Account(json: value) }
        let counters = root[Key.counters]?.objectValue
        self.counters = Counters(
            syncs: counters?[Key.syncs]?.int64Value ?? 0, refreshes: counters?[Key.refreshes]?.int64Value ?? 0,
            refreshFailures: counters?[Key.refreshFailures]?.int64Value ?? 0)
        locks = (root[Key.locks]?.arrayValue ?? []).compactMap(Lock.init(json:))
        refreshInFlight = root[Key.refreshInFlight]?.stringValue
        lastEvent = root[Key.lastEvent]?.objectValue.flatMap { event in
            event[Key.message]?.stringValue.map { Event(atMs: event[Key.at]?.int64Value ?? 0, message: $0) }
        }
        credentialsProblem = root[Key.credentialsProblem]?.stringValue
        syncError = root[Key.syncError]?.objectValue.flatMap { error in
            error[Key.message]?.stringValue.map { SyncError(sinceMs: error[Key.since]?.int64Value ?? 0, message: $0) }
        }
        clock = root[Key.clock]?.objectValue.flatMap { clock in
            clock[Key.lastJump]?.int64Value.map {
                ClockJump(
                    lastJumpAtMs: $0, kind: clock[Key.kind]?.stringValue ?? "?", stepSeconds: clock[Key.step]?.int64Value ?? 0,
                    action: clock[Key.action]?.stringValue ?? "?")
            }
        }
    }

    /// The wire names, written once.
    fileprivate enum Key {
        static let daemon = "daemon", pid = "pid", version = "version", uptime = "uptime_s"
        static let qwenDirectory = "qwen_dir", activeAccount = "active_account", accounts = "accounts"
        static let id = "id", label = "label", identity = "identity", active = "active", state = "state"
        static let cooldownUntil = "cooldown_until_ms", expiresAt = "expires_at_ms", nextRefreshAt = "next_refresh_at_ms"
        static let lastRefresh = "last_refresh", at = "at_ms", result = "result"
        static let counters = "counters", syncs = "syncs", refreshes = "refreshes", refreshFailures = "refresh_failures"
        static let locks = "locks", path = "path", held = "held", holderPID = "holder_pid", age = "age_ms"
        static let refreshInFlight = "refresh_in_flight", lastEvent = "last_event", message = "message"
        static let credentialsProblem = "credentials_problem"
        static let syncError = "sync_error", since = "since_ms"
        static let clock = "clock", lastJump = "last_jump_at_ms", kind = "kind", step = "step_s", action = "action"
    }
}

extension DaemonStatus.Account {
    /// The account's JSON form, the same as `accounts list --json` gives (``AccountSummary/json``).
    public var json: JSONValue {
        typealias Key = DaemonStatus.Key
        return .object(
            JSONObject([
                (Key.id, .string(id)),
                (Key.label, .optionalString(label)),
                (Key.identity, .optionalString(identity)),
                (Key.active, .bool(active)),
                (Key.state, .string(state)),
                (Key.cooldownUntil, cooldownUntilMs.map { .int($0) } ?? .null),
                (Key.expiresAt, .int(expiresAtMs)),
                (Key.nextRefreshAt, nextRefreshAtMs.map { .int($0) } ?? .null),
                (
                    Key.lastRefresh,
                    lastRefreshAtMs.map { at in [Key.at: .int(at), Key.result: .optionalString(lastRefreshResult)] } ?? .null
                ),
            ]))
    }

    init(json: JSONValue) throws(ControlProtocolError) {
        typealias Key = DaemonStatus.Key
        guard let object = json.objectValue, let id = object[Key.id]?.stringValue, let state = object[Key.state]?.stringValue,
            let expiresAtMs = object[Key.expiresAt]?.int64Value
        else { throw ControlProtocolError("an account in the status reply lacks id, state or expires_at_ms") }
        self.id = id
        self.state = state
        self.expiresAtMs = expiresAtMs
        label = object[Key.label]?.stringValue
        identity = object[Key.identity]?.stringValue
        active = object[Key.active]?.boolValue ?? false
        cooldownUntilMs = object[Key.cooldownUntil]?.int64Value
        nextRefreshAtMs = object[Key.nextRefreshAt]?.int64Value
        let last = object[Key.lastRefresh]?.objectValue
        lastRefreshAtMs = last?[Key.at]?.int64Value
        lastRefreshResult = last?[Key.result]?.stringValue
    }
}

extension DaemonStatus.Lock {
    fileprivate var json: JSONValue {
        typealias Key = DaemonStatus.Key
        guard let holder else { return [Key.path: .string(path), Key.held: false] }
        return [Key.path: .string(path), Key.held: true, Key.holderPID: holder.pid.map { .int($0) } ?? .null, Key.age: .int(holder.ageMs)]
    }

    fileprivate init?(json: JSONValue) {
        typealias Key = DaemonStatus.Key
        guard let object = json.objectValue, let path = object[Key.path]?.stringValue else { return nil }
        self.path = path
        holder = object[Key.held]?.boolValue == true ? Holder(pid: object[Key.holderPID]?.int64Value, ageMs: object[Key.age]?.int64Value ?? 0) : nil
    }
}
