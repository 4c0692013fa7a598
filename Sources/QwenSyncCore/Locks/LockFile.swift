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

    /// Takes the lock, waiting for the holder to delete it and taking over a stale lock.
    ///
    /// A busy lock is watched with inotify and tried again as soon as its name is deleted or
    /// moved away; between deletions it is looked at again on the policy's backoff (and when
    /// it turns stale), so a lock nobody deletes is still taken over on time. The policy's
    /// observer (or the process default) hears about a long wait.
    ///
    /// - Throws: ``LockError/timedOut(path:waited:holder:)`` after `maxWait`, or
    ///   ``LockError/file(_:)`` when the file cannot be created at all.
    public func acquire() throws(LockError) -> HeldLock {
        let started = WallClock.monotonicMs()
        let observer = policy.waitObserver ?? LockWaitObserver.processDefault
        var nextReportMs = observer.map { started.addingSaturated($0.firstAfter.inMilliseconds) } ?? Int64.max
        var delay = policy.initialDelay.inMilliseconds
        var deletionWatch: LockDeletionWatch?
        var watchTried = false
        var age = LockAge()
        while true {
            if let held = try tryAcquire() { return held }
            if let stale = staleLock(&age) {
                Self.remove(path, ifStillVersion: stale)
                continue
            }
            let now = WallClock.monotonicMs()
            let waited = now - started
            if waited >= policy.maxWait.inMilliseconds {
                throw .timedOut(path: path, waited: .milliseconds(waited), holder: LockInspector.inspect(path)?.holderDescription)
            }
            if !watchTried {
                // Watch first, then try again: a deletion after this point wakes the wait below.
                watchTried = true
                deletionWatch = LockDeletionWatch(path: path)
                continue
            }
            if let observer, now >= nextReportMs {
                observer.report(LockWait(path: path, waited: .milliseconds(waited), holder: LockInspector.inspect(path)))
                nextReportMs = now.addingSaturated(observer.every.inMilliseconds)
            }
            let timeout = min(delay, policy.maxWait.inMilliseconds - waited, nextReportMs - now, untilStaleMs(&age))
            if let deletionWatch {
                _ = deletionWatch.waitForDeletion(timeoutMs: timeout)
            } else {
                WallClock.sleep(milliseconds: timeout)
            }
            delay = min(Int64(Double(delay) * policy.backoffFactor), policy.maxDelay.inMilliseconds)
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
        return HeldLock(path: path, token: token, descriptor: fd, inode: UInt64(status.st_ino), heartbeatMs: policy.heartbeat.inMilliseconds)
    }

    /// The identity of the lock file if it is stale now: its mtime is older than the stale
    /// time, or (after a second) it names a holder pid that no longer exists. Only the
    /// plugin's and qwen-sync's `<pid>-<ms>-<hex>` locks name their holder; qwen-code's bare
    /// UUID locks go stale by age alone. A lock whose mtime lies in the future is aged by
    /// ``LockAge``.
    private func staleLock(_ age: inout LockAge) -> FileIdentity? {
        guard let identity = FileIdentity.of(path) else { return nil }
        let ageMs = age.ageMs(of: identity, nowMs: WallClock.nowMs(), monotonicMs: WallClock.monotonicMs())
        if ageMs > policy.staleAfter.inMilliseconds { return identity }
        if ageMs > 1_000, let pid = LockInspector.inspect(path)?.holderPID, kill(pid, 0) != 0, errno == ESRCH {
            return identity
        }
        return nil
    }

    /// Milliseconds until the current lock file turns stale by age (at least 1).
    private func untilStaleMs(_ age: inout LockAge) -> Int64 {
        guard let identity = FileIdentity.of(path) else { return 1 }
        return max(1, policy.staleAfter.inMilliseconds - age.ageMs(of: identity, nowMs: WallClock.nowMs(), monotonicMs: WallClock.monotonicMs()) + 1)
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

/// How old a lock file is. Normally its mtime's age on the wall clock; but a lock whose mtime
/// lies in the future (the clock was stepped back while it was held, or someone set it) would
/// never turn stale that way and block every client for good. Such a file is aged on our
/// monotonic clock from the moment we first saw it, so it turns stale once the peers' own
/// stale time has passed here. A holder's heartbeat sets the mtime to the present, which
/// makes it a different version and ages it by its mtime again.
struct LockAge {
    private var futureVersion: (identity: FileIdentity, firstSeenMonotonicMs: Int64)?

    /// The age of `identity` in milliseconds at wall-clock `nowMs` and monotonic `monotonicMs`.
    mutating func ageMs(of identity: FileIdentity, nowMs: Int64, monotonicMs: Int64) -> Int64 {
        let byModificationTime = nowMs - identity.modificationTimeMs
        guard byModificationTime < 0 else {
            futureVersion = nil
            return byModificationTime
        }
        if futureVersion?.identity != identity { futureVersion = (identity, monotonicMs) }
        return monotonicMs - (futureVersion?.firstSeenMonotonicMs ?? monotonicMs)
    }
}
