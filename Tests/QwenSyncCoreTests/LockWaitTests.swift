import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Synchronization
import Testing

/// Waiting for a peer's lock: the waiter wakes on the lock's deletion (inotify) instead of
/// sleeping through it, still takes over a stale lock on time, and reports long waits.
@Suite("Waiting for a busy lock")
struct LockWaitTests {
    /// A peer written in Python: creates the lock with O_EXCL in the plugin's
    /// `<pid>-<ms>-<hex>` form, prints `HELD`, holds it, deletes it and prints `RELEASED <ms>`,
    /// the CLOCK_MONOTONIC milliseconds right after the unlink (the clock `WallClock.monotonicMs` reads).
    static let pythonHolder = """
        import os, sys, time
        path, hold = sys.argv[1], float(sys.argv[2])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"%d-%d-0123abcd" % (os.getpid(), time.time_ns() // 1000000))
        os.close(fd)
        print("HELD", flush=True)
        time.sleep(hold)
        os.unlink(path)
        print("RELEASED %d" % (time.monotonic_ns() // 1000000), flush=True)
        """

    static func startHolder(path: String, holdSeconds: Double) throws -> QwenSyncTestSupport.ChildProcess {
        let holder = try QwenSyncTestSupport.ChildProcess(
            "/usr/bin/env", ["python3", "-c", pythonHolder, path, String(holdSeconds)], stdout: nil)
        #expect(holder.readLine(timeoutMs: 10_000) == "HELD")
        return holder
    }

    @Test("the waiter takes the lock within milliseconds of the holder deleting it, and hears about the wait")
    func wakesOnDeletion() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_accounts.lock")
            // A 2.5 s hold. Without the inotify wakeup the waiter would look at 2.4 s (its third
            // report) and next at 3.1 s, 0.6 s late (the old 100 ms × 1.5 backoff: 3.2 s).
            let holder = try Self.startHolder(path: path, holdSeconds: 2.5)
            let reports = Mutex<[LockWait]>([])
            var policy = LockPolicy.accounts
            policy.waitObserver = LockWaitObserver(firstAfterMs: 1_000, everyMs: 700) { wait in
                reports.withLock { $0.append(wait) }
            }
            let waiting = policy
            let acquiredAtMs = try await offPool { () -> Int64 in
                let lock = try LockFile(path: path, policy: waiting).acquire()
                let at = WallClock.monotonicMs()
                lock.release()
                return at
            }
            let released = try #require(holder.readLine(timeoutMs: 5_000))
            let releasedAtMs = try #require(Int64(released.dropFirst("RELEASED ".count)), "\(released)")
            #expect(acquiredAtMs - releasedAtMs < 50, "took the lock \(acquiredAtMs - releasedAtMs) ms after its deletion")
            #expect(await holder.waitForExit() == 0)

            let seen = reports.withLock { $0 }
            #expect((2...4).contains(seen.count), "\(seen.map(\.waitedMs))")
            let first = try #require(seen.first)
            #expect(first.waitedMs >= 1_000 && first.waitedMs < 1_400)
            #expect(first.holder?.holderPID == holder.pid)
            #expect(first.path == path)
            #expect(first.description == "waiting for oauth_accounts.lock held by pid \(holder.pid) for 1 s")
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $1.waitedMs - $0.waitedMs >= 700 })
        }
    }

    @Test("a stale lock that nobody deletes is taken over when it turns stale, not a backoff step later")
    func staleLockTakenOverOnTime() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            try FileTools.write(path, "00000000-0000-4000-8000-000000000000")
            let touchedMs = try #require(FileIdentity.of(path)).modificationTimeMs
            var policy = LockPolicy.credentials
            policy.staleAfterMs = 600  // the 100 ms × 1.5 backoff would look at 475 and 812 ms
            let waiting = policy
            // Timed on the waiting thread: the test's own resumption may lag on a busy machine.
            let (lock, takenAtMs) = try await offPool { () -> (HeldLock, Int64) in
                let lock = try LockFile(path: path, policy: waiting).acquire()
                return (lock, WallClock.nowMs())
            }
            let lateMs = takenAtMs - touchedMs - 600
            #expect(lateMs >= 0 && lateMs < 100, "taken over \(lateMs) ms after it turned stale")
            #expect(lock.isStillOurs)
            lock.release()
        }
    }

    @Test("a short wait is not reported")
    func shortWaitIsQuiet() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            let holder = try Self.startHolder(path: path, holdSeconds: 0.3)
            let reports = Mutex(0)
            var policy = LockPolicy.credentials
            policy.waitObserver = LockWaitObserver(firstAfterMs: 1_000) { _ in reports.withLock { $0 += 1 } }
            let waiting = policy
            let lock = try await offPool { try LockFile(path: path, policy: waiting).acquire() }
            lock.release()
            #expect(reports.withLock { $0 } == 0)
            #expect(await holder.waitForExit() == 0)
        }
    }
}
