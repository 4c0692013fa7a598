import Glibc
@testable import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// A lock file whose mtime lies in the future turns stale on our clock, after the peers' own
/// stale time, instead of never.
@Suite("Lock files: an mtime in the future")
struct LockAgeTests {
    private static func identity(inode: Int, mtimeMs: Int64) -> FileIdentity {
        var status = stat()
        status.st_ino = UInt(inode)
        status.st_mtim = timespec(tv_sec: Int(mtimeMs / 1000), tv_nsec: Int(mtimeMs % 1000) * 1_000_000)
        return FileIdentity(status)
    }

    @Test("rule: a future mtime ages from when it was first seen, on the monotonic clock; a new version starts over")
    func futureVersionAgesOnOurClock() {
        var age = LockAge()
        let planted = Self.identity(inode: 1, mtimeMs: 10_000_000)
        #expect(age.ageMs(of: planted, nowMs: 1_000, monotonicMs: 500) == 0)
        #expect(age.ageMs(of: planted, nowMs: 1_000, monotonicMs: 10_501) == 10_001, "the wall clock may stand still or jump back")
        let replaced = Self.identity(inode: 2, mtimeMs: 10_000_000)
        #expect(age.ageMs(of: replaced, nowMs: 1_000, monotonicMs: 10_600) == 0)
        #expect(age.ageMs(of: replaced, nowMs: 2_000, monotonicMs: 11_600) == 1_000)
    }

    @Test("rule: an mtime in the past is aged by the wall clock, as the peers age it")
    func pastVersionAgesByModificationTime() {
        var age = LockAge()
        #expect(age.ageMs(of: Self.identity(inode: 1, mtimeMs: 4_000), nowMs: 5_000, monotonicMs: 0) == 1_000)
    }

    @Test("a real oauth_creds.lock dated an hour ahead is respected, then taken over once 10 s have passed here")
    func futureLockTakenOver() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            try FileTools.write(path, "00000000-0000-4000-8000-000000000000")
            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() + 3_600_000)
            var policy = LockPolicy.credentials
            policy.staleAfter = .milliseconds(400)  // the same rule, at test speed
            policy.maxWait = .milliseconds(10_000)
            policy.initialDelay = .milliseconds(20)
            let started = WallClock.monotonicMs()
            let lock = try LockFile(path: path, policy: policy).acquire()
            #expect(WallClock.monotonicMs() - started >= 400, "respected for the stale time first")
            #expect(lock.isStillOurs)
            lock.release()

            var quick = LockPolicy.credentials
            quick.maxWait = .milliseconds(300)
            quick.initialDelay = .milliseconds(20)
            try FileTools.write(path, "00000000-0000-4000-8000-000000000000")
            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() + 3_600_000)
            #expect(throws: LockError.self, "within the 10 s it is a held lock") { try LockFile(path: path, policy: quick).acquire() }
        }
    }
}
