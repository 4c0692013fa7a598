import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Synchronization
import Testing

/// Waiting for a peer's lock: the waiter wakes on the lock's deletion (inotify) instead of
/// sleeping through it, still takes over a stale lock on time, and reports long waits.
@Suite("Waiting for a busy lock")
struct LockWaitTests {
    @Test("the waiter takes the lock right after the holder deletes it, not at its next look, and hears about the wait")
    func wakesOnDeletion() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_accounts.lock")
            // The holder deletes the lock when the waiter reports for the second time (at 1.7 s):
            // a waiter without the inotify wakeup would look again only at its next report,
            // 0.7 s later. The release follows what the waiter saw, not how fast this test runs.
            let holder = try await PythonLockHolder.start(path: path)
            let reports = Mutex<[LockWait]>([])
            let secondReportAtMs = Mutex<Int64>(0)
            var policy = LockPolicy.accounts
            policy.waitObserver = LockWaitObserver(firstAfter: .seconds(1), every: .milliseconds(700)) { wait in
                let reportedAtMs = WallClock.monotonicMs()
                let count = reports.withLock {
                    $0.append(wait)
                    return $0.count
                }
                guard count == 2 else { return }
                secondReportAtMs.withLock { $0 = reportedAtMs }
                PythonLockHolder.release(holder)
            }
            let waiting = policy
            let acquiredAtMs = try await offPool { () -> Int64 in
                let lock = try LockFile(path: path, policy: waiting).acquire()
                let at = WallClock.monotonicMs()
                lock.release()
                return at
            }
            let released = try #require(await holder.readLine(timeoutMs: 30_000))
            let releasedAtMs = try #require(Int64(released.dropFirst("RELEASED ".count)), "\(released)")
            // Taken after the deletion and well before the next look a waiter without the wakeup
            // would take, 700 ms after the second report (typically within a few ms of the
            // deletion; a busy machine only delays the thread's turn for a core).
            let reportedAtMs = secondReportAtMs.withLock { $0 }
            let timing = "released \(releasedAtMs - reportedAtMs) ms after the second report, taken \(acquiredAtMs - releasedAtMs) ms later"
            #expect(acquiredAtMs >= releasedAtMs && acquiredAtMs < reportedAtMs + 650, "\(timing)")
            #expect(await holder.waitForExit(timeoutMs: 30_000) == 0)

            let seen = reports.withLock { $0 }
            #expect((2...4).contains(seen.count), "\(seen.map(\.waited))")
            let first = try #require(seen.first)
            #expect(first.waited >= .seconds(1) && first.waited < .milliseconds(1_400))
            #expect(first.holder?.holderPID == holder.pid)
            #expect(first.path == path)
            #expect(first.description == "waiting for oauth_accounts.lock held by pid \(holder.pid) for 1 s")
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $1.waited - $0.waited >= .milliseconds(700) })
        }
    }

    @Test("a stale lock that nobody deletes is taken over when it turns stale, not a backoff step later")
    func staleLockTakenOverOnTime() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            var policy = LockPolicy.credentials
            // The 100 ms × 1.5 backoff looks at 812 ms, just before the lock turns stale, and next
            // at 1318 ms: a waiter that only followed it would take the lock about 500 ms late.
            policy.staleAfter = .milliseconds(820)
            let waiting = policy
            // Written and timed on the waiting thread, right before it waits, so the backoff's
            // looks fall where they should however late this test resumes on a busy machine.
            let (lock, touchedMs, takenAtMs) = try await offPool { () -> (HeldLock, Int64, Int64) in
                try FileTools.write(path, "00000000-0000-4000-8000-000000000000")
                let touchedMs = FileIdentity.of(path)?.modificationTimeMs ?? 0
                let lock = try LockFile(path: path, policy: waiting).acquire()
                return (lock, touchedMs, WallClock.nowMs())
            }
            // After it turned stale and well before the backoff's next look (typically within a
            // few ms; a busy machine only delays the thread's turn for a core).
            let lateMs = takenAtMs - touchedMs - 820
            #expect(lateMs >= 0 && lateMs < 1318 - 820 - 50, "taken over \(lateMs) ms after it turned stale")
            #expect(lock.isStillOurs)
            lock.release()
        }
    }

    @Test("a short wait is not reported")
    func shortWaitIsQuiet() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            let holder = try await PythonLockHolder.start(path: path, holdSeconds: 0.3)
            let reports = Mutex(0)
            var policy = LockPolicy.credentials
            policy.waitObserver = LockWaitObserver(firstAfter: .seconds(1)) { _ in reports.withLock { $0 += 1 } }
            let waiting = policy
            let lock = try await offPool { try LockFile(path: path, policy: waiting).acquire() }
            lock.release()
            #expect(reports.withLock { $0 } == 0)
            #expect(await holder.waitForExit() == 0)
        }
    }
}
