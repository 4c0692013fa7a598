import Glibc

/// The one way qwen-sync reads and changes the credential files.
///
/// ``transaction(_:)`` takes `oauth_accounts.lock` then `oauth_creds.lock` (the plugin's
/// order), reads all files, first takes in what `oauth_creds.json` holds (by lineage, see
/// ``CredentialState/reconcileCredentialsFile(nowMs:)``) and the rotations the write-ahead
/// holds (``RotationJournal``), lets the body change a copy, keeps
/// every refresh token the change would drop without knowing it dead, and writes back only
/// what changed, each write a compare-and-swap against the version read. A lock unlinked
/// under us while nobody else holds it (every exiting qwen process unlinks
/// `oauth_creds.lock`) is taken again; a lock someone else now holds, or a file changed under
/// us, retries the whole transaction from a fresh read instead of overwriting their write.
public struct CredentialStore: Sendable {
    /// Where the files are.
    public let settings: Settings
    /// Lock policy for `oauth_creds.lock`.
    public var credentialsLockPolicy = LockPolicy.credentials
    /// Lock policy for the accounts store's lock.
    public var accountsLockPolicy = LockPolicy.accounts
    /// How many times a transaction is tried before it gives up with ``StoreError/conflict(_:)``.
    public var maxAttempts = 5
    /// Told, in a sentence without secrets, whenever a token is kept in `qwen-sync-recovered.json`.
    public var notice: (@Sendable (String) -> Void)?

    /// The largest `qwen-sync-accounts.json` or `qwen-sync-recovered.json` read (64 MiB: 64
    /// kept accounts with large unknown fields fit); a larger one is an error, never empty.
    public static let ownFileReadLimit = 64 << 20

    /// A store over the files named by `settings`.
    public init(settings: Settings) { self.settings = settings }

    /// Reads the files without locking (for listing and status), with the rotations of the
    /// write-ahead not yet in the store folded in (in memory). Every write is atomic, so each
    /// file is seen whole, though two files may be from different moments.
    ///
    /// - Throws: ``StoreError`` when a file exists but cannot be read whole.
    public func read() throws(StoreError) -> CredentialState {
        var state = try readFiles().state
        try state.foldRotationJournal(RotationJournal(path: settings.rotationJournalPath), nowMs: WallClock.nowMs())
        return state
    }

    /// Runs `body` on the current state under both locks and writes back what it changed.
    ///
    /// - Throws: ``StoreError`` for lock timeouts, an unusable accounts store, write failures,
    ///   or whatever `body` throws (wrapped as ``StoreError/aborted(_:)``); nothing is written then.
    public func transaction<T>(_ body: (inout CredentialState) throws -> T) throws(StoreError) -> T {
        try steppedTransaction { state in .commit(try body(&state)) }
    }

    /// What the body of a ``steppedTransaction(_:)`` asks for.
    public enum Step<T> {
        /// Write back what the body changed, and return this.
        case commit(T)
        /// Write nothing, and run the body again on a fresh read of the files (the locks are
        /// released and taken again in between).
        case readAgain
    }

    /// ``transaction(_:)`` whose body may ask for a fresh read instead of a write
    /// (``Step/readAgain``), e.g. when it sees that a peer wrote a file under the locks.
    public func steppedTransaction<T>(_ body: (inout CredentialState) throws -> Step<T>) throws(StoreError) -> T {
        try SecureFile.ensureDirectory(settings.qwenDirectory, or: StoreError.file)
        let journal = RotationJournal(path: settings.rotationJournalPath)
        var conflicts = 0
        while true {
            var accountsLock: HeldLock
            var credentialsLock: HeldLock
            do {
                accountsLock = try LockFile(path: settings.accountsLockPath, policy: accountsLockPolicy).acquire()
            } catch { throw .lock(error) }
            defer { accountsLock.release() }
            do {
                credentialsLock = try LockFile(path: settings.credentialsLockPath, policy: credentialsLockPolicy).acquire()
            } catch { throw .lock(error) }
            defer { credentialsLock.release() }

            let snapshot = try readFiles()
            var state = snapshot.state
            state.reconcileCredentialsFile(nowMs: WallClock.nowMs())
            try state.foldRotationJournal(journal, nowMs: WallClock.nowMs())
            let step: Step<T>
            do { step = try body(&state) } catch { throw .aborted(error) }
            guard case .commit(let result) = step else { continue }
            var kept = state.recordLineage(since: snapshot.state, nowMs: WallClock.nowMs())
            if snapshot.state.credentialsProblem != nil, state.credentials != nil, let salvaged = CredentialsFile.salvage(settings.credentialsPath),
                let entry = state.keepWrittenOver(salvaged, nowMs: WallClock.nowMs())
            {
                kept.append(entry)
            }

            do {
                try write(state, over: snapshot, accountsLock: &accountsLock, credentialsLock: &credentialsLock)
            } catch StoreError.conflict where conflicts < maxAttempts - 1 {
                conflicts += 1
                continue
            }
            journal.compact(ifStill: state.foldedJournal)
            for entry in kept {
                notice?(
                    "kept a refresh token of \(entry.accountID) (\(entry.reason)) in \(PathNormalizer.fileName(of: settings.recoveredPath)); "
                        + "`qwen-sync accounts restore \(entry.accountID)\(state.accounts.account(id: entry.accountID) == nil ? "" : " --replace")` brings it back"
                )
            }
            return result
        }
    }

    private struct Snapshot {
        var state: CredentialState
        var accountsBytes: [UInt8]?
        var accountsIdentity: FileIdentity?
        var credentialsIdentity: FileIdentity?
        var sidecarBytes: [UInt8]?
        var recoveredBytes: [UInt8]?
    }

    private func readFiles() throws(StoreError) -> Snapshot {
        // A file another user put in the qwen dir is neither used nor written over: the store,
        // the sidecar, the kept tokens and the journal are refused whole (`oauth_creds.json` is
        // reported as unusable by ``CredentialsFile/read(_:)``).
        for path in [settings.accountsPath, settings.sidecarPath, settings.recoveredPath, settings.rotationJournalPath] {
            if let owner = CredentialsFile.foreignOwner(of: path) {
                throw .file(
                    FileError(
                        path: path,
                        reason:
                            "owned by uid \(owner), not by you (uid \(getuid())); a file another user put in your qwen dir is never used or written over (remove it)"
                    ))
            }
        }
        let accountsContents: SecureFile.Contents?
        do { accountsContents = try SecureFile.read(settings.accountsPath, limit: 16 << 20) } catch { throw .accounts(.file(error)) }
        let accounts: AccountsDocument
        if let accountsContents, accountsContents.bytes.contains(where: { $0 > 0x20 }) {
            do { accounts = try AccountsDocument(bytes: accountsContents.bytes) } catch { throw .accounts(error) }
        } else {
            accounts = AccountsDocument()
        }
        let credentials = CredentialsFile.read(settings.credentialsPath)
        // A file that cannot be read whole is an error, never "empty": it would be written over.
        let sidecarBytes: [UInt8]?
        let recoveredBytes: [UInt8]?
        do {
            sidecarBytes = try SecureFile.read(settings.sidecarPath, limit: Self.ownFileReadLimit)?.bytes
            recoveredBytes = try SecureFile.read(settings.recoveredPath, limit: Self.ownFileReadLimit)?.bytes
        } catch {
            throw .file(error)
        }
        var problem: String?
        if case .invalid(let reason, _) = credentials { problem = reason }
        let state = CredentialState(
            accounts: accounts,
            credentials: credentials.credentials,
            credentialsProblem: problem,
            credentialsFileExists: credentials != .missing,
            sidecar: sidecarBytes.map(SidecarDocument.init(bytes:)) ?? SidecarDocument(),
            recovered: recoveredBytes.map(RecoveredTokens.init(bytes:)) ?? RecoveredTokens()
        )
        return Snapshot(
            state: state, accountsBytes: accountsContents?.bytes, accountsIdentity: accountsContents?.identity,
            credentialsIdentity: credentials.identity, sidecarBytes: sidecarBytes,
            recoveredBytes: recoveredBytes
        )
    }

    /// Writes what changed: the kept tokens first (so nothing is dropped before it is kept),
    /// then `oauth_creds.json` (the file a peer may have written under an unlinked lock: if its
    /// compare-and-swap fails, nothing else was written and the retry starts from what the peer
    /// left), then the store and the sidecar.
    private func write(_ state: CredentialState, over snapshot: Snapshot, accountsLock: inout HeldLock, credentialsLock: inout HeldLock) throws(StoreError) {
        if state.recovered != snapshot.state.recovered {
            try replace(settings.recoveredPath, state.recovered.encoded())
        }
        if let credentials = state.credentials, state.credentials != snapshot.state.credentials {
            try keepHolding(&credentialsLock, policy: credentialsLockPolicy)
            try replace(settings.credentialsPath, CredentialsFile.encode(credentials), expected: .matching(snapshot.credentialsIdentity))
        }
        let accountsBytes = state.accounts.encoded()
        if state.accounts != snapshot.state.accounts, accountsBytes != snapshot.accountsBytes {
            try keepHolding(&accountsLock, policy: accountsLockPolicy)
            try replace(settings.accountsPath, accountsBytes, expected: .matching(snapshot.accountsIdentity))
        }
        let sidecarBytes = state.sidecar.encoded()
        if state.sidecar != snapshot.state.sidecar, sidecarBytes != snapshot.sidecarBytes {
            try replace(settings.sidecarPath, sidecarBytes)
        }
    }

    /// Makes sure `lock` is still ours before a write. A lock that vanished (a qwen process
    /// unlinked it on exit) is created again; the compare-and-swap of the write then catches
    /// anyone who wrote while it was missing. A lock someone else holds now is a conflict.
    private func keepHolding(_ lock: inout HeldLock, policy: LockPolicy) throws(StoreError) {
        guard !lock.isStillOurs else { return }
        guard let again = try? LockFile(path: lock.path, policy: policy).tryAcquire() else {
            throw .conflict("lost \(lock.path)")
        }
        lock.release()
        lock = again
    }

    /// Replaces `path`, as a compare-and-swap when `expected` is given.
    private func replace(_ path: String, _ bytes: [UInt8], expected: ExpectedVersion? = nil) throws(StoreError) {
        guard let expected else {
            do { return try SecureFile.replace(path, with: bytes) } catch { throw .file(error) }
        }
        do { try SecureFile.replace(path, with: bytes, expected: expected) } catch {
            switch error {
            case .conflict: throw .conflict(error.description)
            case .file(let error): throw .file(error)
            }
        }
    }
}

extension SecureFile {
    /// ``ensureDirectory(_:)`` with its error mapped by `wrap`.
    static func ensureDirectory<E: Error>(_ path: String, or wrap: (FileError) -> E) throws(E) {
        do { try ensureDirectory(path) } catch { throw wrap(error) }
    }
}
