import CQwenLinux
import Glibc

/// `qwen-sync-rotations.jsonl` (0600, in the qwen directory): the write-ahead of every rotated
/// refresh token. See `docs/WRITE-AHEAD.md`.
///
/// The process that receives a token answer (the daemon's `--http-exchange` child, or a command
/// itself) appends one line, `{"account", "replaces", "at_ms", "response"}`, and fsyncs it
/// *before* handing the answer on: from then on, whatever happens to the process that asked (a
/// kill -9, a full disk, a number that does not parse, Ctrl-C), the new refresh token is on disk
/// with the account it belongs to and the fingerprint of the token it replaces. Every
/// ``CredentialStore`` transaction folds the file into the store under the locks
/// (``CredentialState/foldRotations(_:nowMs:)``): the replaced token is recorded rotated in the
/// ledger, so it is never presented again, and the account takes the new one. Once the store is
/// written the file is emptied (``compact(ifStill:)``).
///
/// While a request is in flight its process holds a shared `flock` on the file
/// (``InFlight``), so a process started after the one that asked was killed can wait for the
/// orphaned request to end (``waitForRequestsInFlight(timeoutMs:)``) instead of presenting the
/// token it is replacing.
public struct RotationJournal: Sendable {
    /// The file's name in the qwen directory.
    public static let fileName = "qwen-sync-rotations.jsonl"
    /// The largest journal read (16 MiB); a bigger one is an error, never read as empty.
    public static let readLimit = 16 << 20

    /// The file.
    public let path: String

    /// The journal at `path`.
    public init(path: String) { self.path = path }

    /// One rotation.
    public struct Entry: Sendable, Equatable {
        /// The account the presented token belonged to.
        public var accountID: String
        /// ``TokenLedger/fingerprint(of:)`` of the refresh token presented (now rotated out).
        public var replaces: String
        /// When the answer arrived (epoch ms).
        public var receivedAtMs: Int64
        /// The answer, as checked by ``TokenResponse``.
        public var response: TokenResponse

        /// An entry with these values.
        public init(accountID: String, replaces: String, receivedAtMs: Int64, response: TokenResponse) {
            self.accountID = accountID
            self.replaces = replaces
            self.receivedAtMs = receivedAtMs
            self.response = response
        }

        /// One line of the file, between newlines: the leading one ends a line a crash may
        /// have left torn, so that this entry is never glued to it.
        public var line: [UInt8] {
            let object: JSONValue = .object(
                JSONObject([
                    ("account", .string(accountID)), ("replaces", .string(replaces)), ("at_ms", .int(receivedAtMs)),
                    ("response", response.json),
                ]))
            return [UInt8(ascii: "\n")] + object.serializedBytes(.compact) + [UInt8(ascii: "\n")]
        }

        /// Reads one line; `nil` for a line that is not an entry (a line torn by a crash).
        public init?(line: some Collection<UInt8>) {
            guard let object = try? JSON.parse(Array(line)).objectValue,
                let accountID = object["account"]?.stringValue, !accountID.isEmpty,
                let replaces = object["replaces"]?.stringValue,
                let responseObject = object["response"]?.objectValue,
                let response = TokenResponse(responseObject), response.refreshToken != nil
            else { return nil }
            self.init(accountID: accountID, replaces: replaces, receivedAtMs: object["at_ms"]?.epochMilliseconds ?? 0, response: response)
        }
    }

    /// What was read: the entries, and the file's size when read (for ``compact(ifStill:)``).
    public struct Contents: Sendable, Equatable {
        /// The entries, oldest first.
        public var entries: [Entry] = []
        /// The bytes read (0 when the file does not exist).
        public var byteCount = 0

        /// Contents with these values (none by default: no file).
        public init(entries: [Entry] = [], byteCount: Int = 0) {
            self.entries = entries
            self.byteCount = byteCount
        }
    }

    /// Where a request's answer is to be recorded: the journal and the account whose token is
    /// presented. Given to ``record(presented:status:body:nowMs:)`` by the process that receives it.
    public struct Destination: Sendable, Equatable {
        /// The journal file.
        public var path: String
        /// The account.
        public var accountID: String

        /// A destination.
        public init(path: String, accountID: String) {
            self.path = path
            self.accountID = accountID
        }

        /// Appends the rotation `body` carries, if any: an HTTP 200 JSON answer with a
        /// `refresh_token` other than `presented`, whatever its other fields hold.
        ///
        /// - Returns: `true` when nothing needed recording or the entry is on disk (fsynced).
        @discardableResult
        public func record(presented: String, status: Int, body: [UInt8], nowMs: Int64) -> Bool {
            guard status == 200, let response = TokenResponse(body: body), let token = response.refreshToken, token != presented else {
                return true
            }
            let entry = Entry(accountID: accountID, replaces: TokenLedger.fingerprint(of: presented), receivedAtMs: nowMs, response: response)
            return (try? RotationJournal(path: path).append(entry)) != nil
        }
    }

    /// Appends `entry` and fsyncs the file (and, when it was just created, its directory).
    ///
    /// - Throws: ``FileError`` when the line could not be written and synced whole.
    public func append(_ entry: Entry) throws(FileError) {
        let existed = access(path, F_OK) == 0
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError.system("cannot open", path: path) }
        defer { close(fd) }
        fchmod(fd, 0o600)
        try SecureFile.writeAll(fd, entry.line, path: path)
        guard fsync(fd) == 0 else { throw FileError.system("cannot fsync", path: path) }
        if !existed { SecureFile.syncDirectory(PathNormalizer.directory(of: path)) }
    }

    /// Reads every entry; lines that are not entries are skipped.
    ///
    /// - Throws: ``FileError`` when the file exists but cannot be read whole.
    public func read() throws(FileError) -> Contents {
        guard let contents = try SecureFile.read(path, limit: Self.readLimit) else { return Contents() }
        var result = Contents(byteCount: contents.bytes.count)
        for line in contents.bytes.split(separator: UInt8(ascii: "\n")) {
            if let entry = Entry(line: line) { result.entries.append(entry) }
        }
        return result
    }

    /// Empties the journal once its entries are in the store, unless it grew since it was read
    /// (`read`) or a request is in flight (its process may append at any moment). Call with the
    /// store's locks held, after the store was written.
    ///
    /// The file is opened read-only and truncated by path, so compacting (or failing to) never
    /// raises the `IN_CLOSE_WRITE` that an append raises and that wakes the daemon to fold.
    public func compact(ifStill read: Contents) {
        guard read.byteCount > 0 else { return }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return }
        var status = stat()
        guard fstat(fd, &status) == 0, Int(status.st_size) == read.byteCount else { return }
        if truncate(path, 0) == 0 { fsync(fd) }
    }

    /// A shared `flock` on the journal, held by a process while its token request is in flight.
    public final class InFlight {
        private let descriptor: Int32

        /// Opens (creating, 0600) the journal at `path` and takes a shared lock on it; `nil`
        /// when there is no path or it cannot.
        ///
        /// - Parameter inheritable: keep the descriptor open across `exec`, so that a child
        ///   spawned now holds the lock from its first instant until it exits, whatever becomes
        ///   of this process.
        public init?(path: String?, inheritable: Bool = false) {
            guard let path else { return nil }
            let fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | (inheritable ? 0 : O_CLOEXEC), 0o600)
            guard fd >= 0 else { return nil }
            guard flock(fd, LOCK_SH) == 0 else {
                close(fd)
                return nil
            }
            descriptor = fd
        }

        deinit { close(descriptor) }
    }

    /// Waits until no process holds ``InFlight`` (a request whose asker was killed may still
    /// complete and rotate), at most `timeout`.
    ///
    /// - Returns: `true` when none is in flight (or there is no journal).
    @discardableResult
    public func waitForRequestsInFlight(timeout: Duration) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        let deadline = WallClock.monotonicMs().addingSaturated(timeout.inMilliseconds)
        while true {
            do {
                _ = try SystemCall.retrying { flock(fd, LOCK_EX | LOCK_NB) }
                flock(fd, LOCK_UN)
                return true
            } catch {
                guard error.wouldBlock, WallClock.monotonicMs() < deadline else { return false }
            }
            usleep(20_000)
        }
    }
}

extension TokenResponse {
    /// The answer as the journal keeps it (`expires_in` as interpreted).
    var json: JSONValue {
        var object = JSONObject()
        object["access_token"] = .optionalString(accessToken)
        object["refresh_token"] = .optionalString(refreshToken)
        object["token_type"] = .string(tokenType)
        object["expires_in"] = .int(lifetime.seconds)
        if let scope { object["scope"] = .string(scope) }
        if let resourceURL { object["resource_url"] = .string(resourceURL) }
        if let idToken { object["id_token"] = .string(idToken) }
        return .object(object)
    }
}

extension CredentialState {
    /// Folds rotations into the store: the journal's `entries`, then the tokens kept `unsaved`
    /// in `qwen-sync-recovered.json` after a failed store write. The replaced token is recorded
    /// rotated in the ledger; the account takes the new token when it still holds the replaced
    /// one (or one known dead); a new token the store has moved past without seeing it die, or
    /// whose account is gone, is kept in `qwen-sync-recovered.json`. Folding twice changes
    /// nothing.
    ///
    /// - Returns: the accounts whose token was replaced.
    @discardableResult
    public mutating func foldRotations(_ entries: [RotationJournal.Entry], nowMs: Int64) -> [String] {
        var updated: [String] = []
        for entry in entries {
            guard let newToken = entry.response.refreshToken else { continue }
            let adopted = adoptRotation(of: entry.accountID, replacing: entry.replaces, newRefreshToken: newToken, nowMs: nowMs) { previous in
                entry.response.credentials(
                    replacing: previous ?? OAuthCredentials(accessToken: "none", refreshToken: newToken, expiryDate: entry.receivedAtMs),
                    receivedAtMs: entry.receivedAtMs)
            }
            if adopted { updated.append(entry.accountID) }
        }
        return updated + foldRescuedTokens(nowMs: nowMs)
    }

    /// The part of ``foldRotations(_:nowMs:)`` for the tokens kept `unsaved`.
    private mutating func foldRescuedTokens(nowMs: Int64) -> [String] {
        var updated: [String] = []
        for entry in recovered.entries {
            guard let replaces = entry.replaces else { continue }
            if adoptRotation(of: entry.accountID, replacing: replaces, newRefreshToken: entry.token.refreshToken, nowMs: nowMs, { _ in entry.token }) {
                updated.append(entry.accountID)
            }
        }
        foldedRescuedTokens = foldedRescuedTokens || !updated.isEmpty
        return updated
    }

    /// One rotation: `newRefreshToken` replaced the token with fingerprint `replaces` of
    /// `accountID`; `credentials` builds the new credentials from the account's current ones.
    private mutating func adoptRotation(
        of accountID: String, replacing replaces: String, newRefreshToken newToken: String, nowMs: Int64,
        _ credentials: (OAuthCredentials?) -> OAuthCredentials
    ) -> Bool {
        sidecar.ledger.record(fingerprint: replaces, of: accountID, fate: .rotated, nowMs: nowMs)
        if sidecar.ledger.isDead(newToken) { return false }
        guard let account = accounts.account(id: accountID) else {
            if !recovered.contains(refreshToken: newToken) {
                recovered.keep(.init(accountID: accountID, label: sidecar.label(of: accountID), reason: "orphaned", savedAtMs: nowMs, token: credentials(nil)))
            }
            return false
        }
        if account.token.refreshToken == newToken {
            recovered.forget(refreshToken: newToken)
            return false
        }
        let current = account.token.refreshToken
        guard TokenLedger.fingerprint(of: current) == replaces || sidecar.ledger.isDead(current) else {
            if !recovered.contains(refreshToken: newToken) {
                recovered.keep(
                    .init(accountID: accountID, label: sidecar.label(of: accountID), reason: "superseded", savedAtMs: nowMs, token: credentials(account.token)))
            }
            return false
        }
        accounts.update(id: accountID) { $0.setToken(credentials(account.token), nowMs: nowMs) }
        if accounts.activeAccountID == accountID { mirrorActiveAccount() }
        recovered.forget(refreshToken: newToken)
        return true
    }
}

extension CredentialState {
    /// Whether the write-ahead held rotations, or tokens kept `unsaved` were put in place, when
    /// last folded in: a state from
    /// ``CredentialStore/read()`` with this set shows them in memory only, and a transaction
    /// must run to put them into the files (the daemon runs one at start and whenever the
    /// journal changes).
    public var hasUnwrittenRotations: Bool { !foldedJournal.entries.isEmpty || foldedRescuedTokens }

    /// Reads `journal` and folds every entry in (``foldRotations(_:nowMs:)``). Every
    /// ``CredentialStore`` transaction does this after taking in `oauth_creds.json`; a refresh
    /// does it again right after its request.
    ///
    /// - Throws: ``StoreError/file(_:)`` when the journal exists but cannot be read whole.
    public mutating func foldRotationJournal(_ journal: RotationJournal, nowMs: Int64) throws(StoreError) {
        let contents: RotationJournal.Contents
        do { contents = try journal.read() } catch { throw .file(error) }
        foldRotations(contents.entries, nowMs: nowMs)
        foldedJournal = contents
    }
}

extension RotationJournal {
    /// Makes the calling process (a child serving one exchange) die with its parent from now
    /// on. Called only once the answer is in the journal: a parent killed before then leaves
    /// the child to finish the request and record the rotation.
    ///
    /// - Returns: `false` when the parent has already gone (there is no one to answer).
    public static func dieWithParent(originalParent: pid_t) -> Bool {
        CQwenLinux_dieWithParent(SIGKILL, originalParent) != 1
    }
}
