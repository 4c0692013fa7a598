import Glibc
@testable import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Lock files in one process: format, staleness thresholds, ownership checks.
@Suite("Lock files")
struct LockFileTests {
    /// A policy that gives up quickly.
    static func quick(_ base: LockPolicy, maxWaitMs: Int64 = 300) -> LockPolicy {
        var policy = base
        policy.maxWait = .milliseconds(maxWaitMs)
        policy.initialDelay = .milliseconds(20)
        return policy
    }

    static func isUUID(_ text: String) -> Bool {
        let characters = Array(text)
        guard characters.count == 36 else { return false }
        for (index, character) in characters.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard character == "-" else { return false }
            } else {
                guard character.isHexDigit, !character.isUppercase else { return false }
            }
        }
        return characters[14] == "4" && "89ab".contains(characters[19])
    }

    @Test("oauth_creds.lock holds a bare v4 UUID: 36 bytes, no newline; the defaults are 10 s and 30 s")
    func credentialsLockFormat() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            let lock = try LockFile(path: path, policy: .credentials).acquire()
            let bytes = try #require(FileTools.bytes(path))
            #expect(bytes.count == 36)
            #expect(Self.isUUID(String(decoding: bytes, as: UTF8.self)))
            #expect(lock.isStillOurs)
            lock.release()
            #expect(!FileTools.exists(path))
            #expect(LockPolicy.credentials.staleAfter == .seconds(10))
            #expect(LockPolicy.accounts.staleAfter == .seconds(30))
            #expect(LockPolicy.credentials.heartbeat < LockPolicy.credentials.staleAfter / 2)
            #expect(LockPolicy.accounts.heartbeat < LockPolicy.accounts.staleAfter / 2)
            #expect(LockPolicy.credentials.maxWait > .seconds(29), "never give up before qwen-code does")
            for _ in 0..<100 { #expect(Self.isUUID(RandomHex.uuid())) }
        }
    }

    @Test("oauth_accounts.lock holds <pid>-<ms>-<hex>, which the inspector reads")
    func accountsLockFormat() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_accounts.lock")
            let before = WallClock.nowMs()
            let lock = try LockFile(path: path, policy: .accounts).acquire()
            defer { lock.release() }
            let parts = try #require(FileTools.text(path)).split(separator: "-")
            #expect(parts.count == 3)
            #expect(Int32(parts[0]) == getpid())
            let stamp = try #require(Int64(parts[1]))
            #expect(stamp >= before && stamp <= WallClock.nowMs())
            #expect(parts[2].allSatisfy { $0.isHexDigit })
            let inspected = try #require(LockInspector.inspect(path))
            #expect(inspected.holderPID == getpid())
            #expect(inspected.holderDescription.hasPrefix("pid \(getpid()), "))
            #expect(LockInspector.inspect(directory.appending("none.lock")) == nil)
        }
    }

    @Test("creation is exclusive: an existing lock (or a symlink) is neither opened nor changed")
    func exclusiveCreate() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            try FileTools.write(path, "someone-else")
            let identity = FileIdentity.of(path)
            #expect(try LockFile(path: path, policy: .credentials).tryAcquire() == nil)
            #expect(FileTools.text(path) == "someone-else")
            #expect(FileIdentity.of(path) == identity)
            let link = directory.appending("other.lock")
            #expect(symlink(directory.appending("target"), link) == 0)
            #expect(try LockFile(path: link, policy: .credentials).tryAcquire() == nil)
            #expect(!FileTools.exists(directory.appending("target")))
        }
    }

    @Test("oauth_creds.lock: 9 s old is respected, 11 s old is taken over at once")
    func credentialsStaleness() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            try FileTools.write(path, "00000000-0000-4000-8000-000000000000")
            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() - 9_000)
            let error = #expect(throws: LockError.self) { try LockFile(path: path, policy: Self.quick(.credentials)).acquire() }
            guard case .timedOut(let timedOutPath, _, _)? = error else { Issue.record("expected a timeout"); return }
            #expect(timedOutPath == path)
            #expect(FileTools.text(path) == "00000000-0000-4000-8000-000000000000")

            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() - 11_000)
            let lock = try LockFile(path: path, policy: Self.quick(.credentials)).acquire()
            #expect(lock.isStillOurs)
            #expect(FileTools.text(path) != "00000000-0000-4000-8000-000000000000")
            lock.release()
            #expect(FileTools.list(directory.path).isEmpty, "no .stale. file left behind")
        }
    }

    @Test("oauth_accounts.lock: 29 s old is respected, 31 s old is taken over")
    func accountsStaleness() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_accounts.lock")
            try FileTools.write(path, "1-2-ab")
            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() - 29_000)
            #expect(throws: LockError.self) { try LockFile(path: path, policy: Self.quick(.accounts)).acquire() }
            try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() - 31_000)
            let lock = try LockFile(path: path, policy: Self.quick(.accounts)).acquire()
            #expect(lock.isStillOurs)
            lock.release()
        }
    }

    @Test("the heartbeat keeps a held lock fresh")
    func heartbeat() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            var policy = LockPolicy.credentials
            policy.heartbeat = .milliseconds(20)
            let lock = try LockFile(path: path, policy: policy).acquire()
            defer { lock.release() }
            let old = WallClock.nowMs() - 60_000
            try FileTools.setModificationTime(path, milliseconds: old)
            let deadline = WallClock.monotonicMs() + 5_000
            while (FileIdentity.of(path)?.modificationTimeMs ?? 0) <= old, WallClock.monotonicMs() < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect((FileIdentity.of(path)?.modificationTimeMs ?? 0) > WallClock.nowMs() - 5_000)
        }
    }

    @Test("a lock deleted under its holder is detected, not resurrected, and a new holder's lock survives the release")
    func deletedUnderHolder() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            var policy = LockPolicy.credentials
            policy.heartbeat = .milliseconds(10)
            let first = try LockFile(path: path, policy: policy).acquire()
            #expect(unlink(path) == 0)  // every qwen process does this on exit
            #expect(!first.isStillOurs)
            try await Task.sleep(for: .milliseconds(60))
            #expect(!FileTools.exists(path), "the heartbeat must not recreate the file")
            let second = try LockFile(path: path, policy: policy).acquire()
            first.release()
            #expect(second.isStillOurs)
            #expect(FileTools.exists(path))
            second.release()
            #expect(!FileTools.exists(path))
        }
    }

    @Test("release removes the lock only while it is still ours (same inode and token)")
    func releaseOnlyIfOurs() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            let lock = try LockFile(path: path, policy: .credentials).acquire()
            // A peer took it over and wrote its own lock at the same path.
            #expect(rename(path, directory.appending("aside")) == 0)
            try FileTools.write(path, "peer-token")
            #expect(!lock.isStillOurs)
            lock.release()
            #expect(FileTools.text(path) == "peer-token")
            lock.release()  // twice is harmless
            #expect(FileTools.text(path) == "peer-token")

            // Same inode but someone rewrote the content: not ours either.
            let path2 = directory.appending("oauth_accounts.lock")
            let lock2 = try LockFile(path: path2, policy: .accounts).acquire()
            try FileTools.write(path2, "1-1-rewritten")
            #expect(!lock2.isStillOurs)
            lock2.release()
            #expect(FileTools.text(path2) == "1-1-rewritten")
        }
    }

    @Test("stale removal racing a fresh lock: a lock created after the stale judgement is put back")
    func staleRemovalRacingFreshLock() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            let aside = directory.appending("dead-holder-lock")
            // The dead holder's lock, judged stale.
            try FileTools.write(path, "dead")
            let judged = try #require(FileIdentity.of(path))
            // Meanwhile another peer removed it (kept aside so its inode is not reused) and took the lock.
            #expect(rename(path, aside) == 0)
            let fresh = try #require(try LockFile(path: path, policy: .credentials).tryAcquire())
            LockFile.remove(path, ifStillVersion: judged)
            #expect(fresh.isStillOurs, "the fresh lock must not be removed")
            #expect(FileTools.list(directory.path) == ["dead-holder-lock", "oauth_creds.lock"])
            fresh.release()
        }
    }

    @Test("stale removal racing a fresh lock that reuses the dead lock's inode number")
    func staleRemovalRacingFreshLockSameInode() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.lock")
            // Try a few times to get the file system to hand the freed inode to the fresh lock.
            for _ in 0..<20 {
                try FileTools.write(path, "dead")
                try FileTools.setModificationTime(path, milliseconds: WallClock.nowMs() - 60_000)
                let judged = try #require(FileIdentity.of(path))
                #expect(unlink(path) == 0)  // another peer removed the stale lock…
                let fresh = try #require(try LockFile(path: path, policy: .credentials).tryAcquire())  // …and took it
                let sameInode = FileIdentity.of(path)?.inode == judged.inode
                LockFile.remove(path, ifStillVersion: judged)
                #expect(fresh.isStillOurs, "fresh lock removed (inode reused: \(sameInode))")
                fresh.release()
                if sameInode { return }
            }
        }
    }
}
