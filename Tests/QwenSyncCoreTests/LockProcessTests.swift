import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Lock files between real processes (`qwen-sync-stress hold-lock`): slow but alive holders
/// keep their lock, dead holders lose it after the stale time, racing takeovers never
/// remove a fresh lock.
@Suite("Locks between processes")
struct LockProcessTests {
    static func holder(
        _ directory: TemporaryDirectory, _ name: String, path: String, holdMs: Int, staleMs: Int, delayMs: Int = 100
    ) throws -> ChildProcess {
        try ChildProcess(
            product: "qwen-sync-stress",
            ["hold-lock", "--path", path, "--ms", "\(holdMs)", "--stale-ms", "\(staleMs)", "--delay-ms", "\(delayMs)"],
            logPrefix: directory.appending(name))
    }

    @Test("a holder that is alive but slower than the stale time is never taken over")
    func slowHolderKeepsLock() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            // Both start at once; each holds 4 s, so whoever comes second waits well past the
            // 2 s stale time while the first, alive and heartbeating (every 0.5 s), holds the lock.
            let first = try Self.holder(directory, "first", path: path, holdMs: 4_000, staleMs: 2_000, delayMs: 20)
            let second = try Self.holder(directory, "second", path: path, holdMs: 4_000, staleMs: 2_000, delayMs: 20)
            for holder in [first, second] {
                #expect(await holder.waitForExit(timeoutMs: 120_000) == 0, "\(holder.errorOutput)")
                #expect(holder.output == "HELD\nSTILL-OURS\nRELEASED\n", "a live lock was taken over")
            }
            #expect(!FileTools.exists(path))
        }
    }

    @Test("a waiter gives up on a live, heartbeating holder and names it")
    func waiterTimesOutOnLiveHolder() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            // The holder heartbeats every 0.2 s and holds far longer than the waiter waits,
            // however late the waiter starts; it is stopped once the waiter has given up.
            let holder = try Self.holder(directory, "slow", path: path, holdMs: 600_000, staleMs: 800)
            try await holder.waitForOutput("HELD")
            let held = try #require(FileIdentity.of(path))
            let token = FileTools.text(path)
            var waiting = LockPolicy.credentials
            waiting.staleAfter = .milliseconds(2_000)
            waiting.maxWait = .milliseconds(3_000)
            waiting.initialDelay = .milliseconds(20)
            waiting.maxDelay = .milliseconds(50)
            let policy = waiting
            let outcome = try await offPool { () -> String in
                do {
                    let lock = try LockFile(path: path, policy: policy).acquire()
                    lock.release()
                    return "acquired"
                } catch {
                    return "\(error)"
                }
            }
            // Still the holder's lock: the same file with the same token, its holder alive.
            #expect(FileIdentity.of(path)?.inode == held.inode, "a live lock was taken over")
            #expect(FileTools.text(path) == token, "a live lock was taken over")
            #expect(holder.isRunning)
            holder.kill()
            let waited = outcome.split(separator: " ").dropFirst(3).first.flatMap { Int($0) } ?? 0
            #expect(outcome.hasPrefix("timed out after \(waited) s waiting for \(path) (held by an unknown process, "), "\(outcome)")
            #expect(waited >= 3, "gave up after \(waited) s, before its 3 s: \(outcome)")
        }
    }

    @Test("a holder killed with SIGKILL loses its lock only after the stale time")
    func deadHolderTakenOver() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            let holder = try Self.holder(directory, "dead", path: path, holdMs: 60_000, staleMs: 800)
            try await holder.waitForOutput("HELD")
            let token = FileTools.text(path)
            holder.kill()
            var taking = LockPolicy.credentials
            taking.staleAfter = .milliseconds(800)
            taking.initialDelay = .milliseconds(20)
            taking.maxDelay = .milliseconds(50)
            let policy = taking
            // Right after the kill the lock is still fresh: not taken.
            #expect(try LockFile(path: path, policy: policy).tryAcquire() == nil)
            let lastTouch = try #require(FileIdentity.of(path)).modificationTimeMs
            let lock = try await offPool { try LockFile(path: path, policy: policy).acquire() }
            #expect(WallClock.nowMs() - lastTouch > 800, "taken over before the stale time")
            #expect(lock.isStillOurs)
            #expect(FileTools.text(path) != token)
            lock.release()
            #expect(FileTools.list(directory.path).filter { $0.contains(".lock") }.isEmpty)
        }
    }

    @Test("six processes race to take over one stale lock: one holder at a time, no fresh lock removed")
    func racingTakeover() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            try FileTools.write(path, "00000000-0000-4000-8000-000000000000")
            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() - 60_000)
            // Each holds 150 ms; a stale time of 3 s means only a holder starved for seconds could
            // look stale, so a lost lock can only come from a wrong takeover.
            let holders = try (0..<6).map { try Self.holder(directory, "racer\($0)", path: path, holdMs: 150, staleMs: 3_000, delayMs: 20) }
            for holder in holders {
                #expect(await holder.waitForExit(timeoutMs: 120_000) == 0, "\(holder.errorOutput)")
                // Had a fresh lock been removed, its holder would find it gone (or someone else's) at the end.
                #expect(holder.output == "HELD\nSTILL-OURS\nRELEASED\n")
            }
            #expect(FileTools.list(directory.path).filter { $0.contains(".lock") }.isEmpty)
        }
    }
}
