import Glibc

/// A cross-process lock file in the format the other qwen clients use: created with
/// `O_CREAT|O_EXCL`, holding an owner token, abandoned once its mtime is older than the
/// policy's stale time.
///
/// qwen-sync does better than the peers in three ways:
/// - a stale lock is taken over by renaming it aside and checking that what was moved is the
///   very file judged stale; a fresh lock created in between is put back, never removed;
/// - while held, the lock's mtime is refreshed by ``HeldLock``'s heartbeat, so no peer
///   judges a slow but alive holder stale;
/// - release removes the file only while it is still ours (same inode and token).
public struct LockFile: Sendable {
    /// The lock file's path.
    public let path: String
    /// How to take it.
    public let policy: LockPolicy

    /// A lock at `path` taken according to `policy`.
    public init(path: String, policy: LockPolicy) {
        self.path = path
        self.policy = policy
    }

    /// Takes the lock, waiting with the policy's backoff and taking over a stale lock.
    ///
    /// - Throws: ``LockError/timedOut(path:waitedMs:holder:)`` after `maxWaitMs`, or
    ///   ``LockError/file(_:)`` when the file cannot be created at all.
    public func acquire() throws(LockError) -> HeldLock {
        let started = WallClock.monotonicMs()
        var delay = policy.initialDelayMs
        while true {
            if let held = try tryAcquire() { return held }
            if let stale = staleLock() {
                Self.remove(path, ifStillVersion: stale)
                continue
            }
            let waited = WallClock.monotonicMs() - started
            if waited >= policy.maxWaitMs {
                throw .timedOut(path: path, waitedMs: waited, holder: LockInspector.inspect(path)?.holderDescription)
            }
            WallClock.sleep(milliseconds: min(delay, policy.maxWaitMs - waited))
            delay = min(Int64(Double(delay) * policy.backoffFactor), policy.maxDelayMs)
        }
    }

    /// One attempt: creates the lock file, or returns `nil` when it exists.
    public func tryAcquire() throws(LockError) -> HeldLock? {
        let token = policy.content.makeToken()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return nil }
            throw .file(.system("cannot create lock file", path: path))
        }
        do {
            try SecureFile.writeAll(fd, Array(token.utf8), path: path)
        } catch {
            close(fd)
            unlink(path)
            throw .file(error)
        }
        var status = stat()
        fstat(fd, &status)
        return HeldLock(path: path, token: token, descriptor: fd, inode: UInt64(status.st_ino), heartbeatMs: policy.heartbeatMs)
    }

    /// The identity of the lock file if it is stale now: its mtime is older than the stale
    /// time, or (after a second) it names a holder pid that no longer exists. Only the
    /// plugin's and qwen-sync's `<pid>-<ms>-<hex>` locks name their holder; qwen-code's bare
    /// UUID locks go stale by age alone.
    private func staleLock() -> FileIdentity? {
        guard let identity = FileIdentity.of(path) else { return nil }
        let ageMs = WallClock.nowMs() - identity.modificationTimeMs
        if ageMs > policy.staleAfterMs { return identity }
        if ageMs > 1_000, let pid = LockInspector.inspect(path)?.holderPID, kill(pid, 0) != 0, errno == ESRCH {
            return identity
        }
        return nil
    }

    /// Removes the lock at `path` only if it is still the version `expected`.
    ///
    /// The file is renamed aside first (as qwen-code does, to `<lock>.stale.<uuid>`), then the
    /// moved file is compared with `expected`. If someone replaced the lock in between, the
    /// moved file is linked back (which fails harmlessly if yet another lock exists) and nothing
    /// of theirs is lost.
    static func remove(_ path: String, ifStillVersion expected: FileIdentity) {
        let aside = "\(path).stale.\(RandomHex.uuid())"
        guard rename(path, aside) == 0 else { return }
        let moved = FileIdentity.of(aside)
        if moved != expected {
            link(aside, path)
        }
        unlink(aside)
    }
}
