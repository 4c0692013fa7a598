import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Atomic replace, strictly newer mtimes, symlinks replaced not followed, CAS, hostile reads.
@Suite("Secure files")
struct SecureFileTests {
    @Test("replace writes exactly the bytes, mode 0600, and leaves no temporary file")
    func replaceWritesBytes() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.json")
            try FileTools.write(path, "old", mode: 0o644)
            try SecureFile.replace(path, with: Array("new content".utf8))
            #expect(FileTools.text(path) == "new content")
            #expect(FileTools.mode(path) == 0o600)
            #expect(FileTools.list(directory.path) == ["oauth_creds.json"])
            let read = try #require(try SecureFile.read(path))
            #expect(read.bytes == Array("new content".utf8))
            #expect(read.identity == FileIdentity.of(path))
        }
    }

    @Test("mtime is strictly greater than the old one, even when the old one is in the future")
    func strictlyNewerModificationTime() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.json")
            try SecureFile.replace(path, with: [0x31])
            // Same millisecond: the old mtime is ahead of the clock, as after a write within one tick.
            let future = WallClock.nowMs() + 5_000
            try FileTools.setModificationTime(path, milliseconds: future)
            try SecureFile.replace(path, with: [0x32])
            let first = try #require(FileIdentity.of(path))
            #expect(first.modificationTimeMs > future)
            var previous = first.modificationTimeNs
            for round in 0..<50 {
                try SecureFile.replace(path, with: Array("round \(round)".utf8))
                let current = try #require(FileIdentity.of(path)).modificationTimeNs
                #expect(current / 1_000_000 > previous / 1_000_000, "round \(round): mtime ms did not grow")
                previous = current
            }
        }
    }

    @Test("a symlink at the path is replaced by a regular file; its target is untouched")
    func symlinkReplacedNotFollowed() async throws {
        try await withTemporaryDirectory { directory in
            let target = directory.appending("elsewhere.json")
            let path = directory.appending("oauth_creds.json")
            try FileTools.write(target, "target", mode: 0o644)
            #expect(symlink(target, path) == 0)
            try SecureFile.replace(path, with: Array("replaced".utf8))
            #expect(FileTools.isRegularFile(path))
            #expect(FileTools.text(path) == "replaced")
            #expect(FileTools.text(target) == "target")
            #expect(FileTools.mode(target) == 0o644)
        }
    }

    @Test("compare-and-swap: replace with a stale expected version fails with a conflict and changes nothing")
    func compareAndSwap() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_accounts.json")
            try SecureFile.replace(path, with: Array("v1".utf8))
            let seen = try #require(try SecureFile.read(path)).identity
            try SecureFile.replace(path, with: Array("v2 by someone else".utf8))
            #expect(throws: SecureFile.ReplaceError.conflict(path: path)) { try SecureFile.replace(path, with: Array("v3".utf8), expected: .version(seen)) }
            #expect(FileTools.text(path) == "v2 by someone else")
            #expect(FileTools.list(directory.path) == ["oauth_accounts.json"])

            // Expected "absent" while a file exists: refused too.
            #expect(throws: SecureFile.ReplaceError.conflict(path: path)) { try SecureFile.replace(path, with: [0x31], expected: .absent) }

            // The current version: accepted.
            let current = try #require(try SecureFile.read(path)).identity
            try SecureFile.replace(path, with: Array("v3".utf8), expected: .version(current))
            #expect(FileTools.text(path) == "v3")

            // Expected absent and absent: accepted.
            let fresh = directory.appending("fresh.json")
            try SecureFile.replace(fresh, with: [0x31], expected: .absent)
            #expect(FileTools.text(fresh) == "1")
        }
    }

    @Test("a missing file reads as nil; a missing directory too")
    func missing() async throws {
        try await withTemporaryDirectory { directory in
            let file = try SecureFile.read(directory.appending("nothing.json"))
            let inMissingDirectory = try SecureFile.read(directory.appending("no/such/dir/file.json"))
            #expect(file == nil)
            #expect(inMissingDirectory == nil)
        }
    }

    @Test("writing into a missing directory fails with a clear error naming it")
    func writeIntoMissingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("gone/oauth_creds.json")
            let error = #expect(throws: FileError.self) { try SecureFile.replace(path, with: [0x31]) }
            #expect(error?.code == ENOENT)
            #expect(error?.description.contains(directory.appending("gone/")) == true)
            #expect(error?.description.contains("no such file or directory") == true)
        }
    }

    @Test("hostile reads: FIFO, directory, symlink loop, 100 MB file and a file over the limit are refused clearly")
    func hostileReads() async throws {
        try await withTemporaryDirectory { directory in
            let fifo = directory.appending("fifo.json")
            #expect(mkfifo(fifo, 0o600) == 0)
            let fifoError = #expect(throws: FileError.self) { try SecureFile.read(fifo) }
            #expect(fifoError?.reason == "not a regular file (a FIFO)")

            let folder = directory.appending("folder.json")
            #expect(mkdir(folder, 0o700) == 0)
            let folderError = #expect(throws: FileError.self) { try SecureFile.read(folder) }
            #expect(folderError?.reason == "not a regular file (a directory)")

            let loop = directory.appending("loop.json")
            #expect(symlink(loop, loop) == 0)
            let loopError = #expect(throws: FileError.self) { try SecureFile.read(loop) }
            #expect(loopError?.code == ELOOP)
            #expect(loopError?.reason.contains("symlink loop") == true)

            let huge = directory.appending("huge.json")
            try FileTools.write(huge, "{")
            #expect(truncate(huge, 100 << 20) == 0)
            let hugeError = #expect(throws: FileError.self) { try SecureFile.read(huge) }
            #expect(hugeError?.reason.contains("too large") == true)
            #expect(hugeError?.description.contains(huge) == true)

            let small = directory.appending("small.json")
            try FileTools.write(small, String(repeating: "x", count: 300))
            #expect(throws: FileError.self) { try SecureFile.read(small, limit: 299) }
            #expect(try SecureFile.read(small, limit: 300)?.bytes.count == 300)
        }
    }

    @Test("ensureDirectory creates missing parents and the directory with mode 0700")
    func ensureDirectoryCreates() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("home/.qwen")
            let warnings = try SecureFile.ensureDirectory(path)
            #expect(warnings.isEmpty)
            #expect(FileTools.mode(path) == 0o700)
            #expect(try SecureFile.ensureDirectory(path).isEmpty)
        }
    }

    @Test("ensureDirectory reports a looser existing mode and leaves it as it is")
    func ensureDirectoryReportsLooseMode() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending(".qwen")
            #expect(mkdir(path, 0o700) == 0)
            #expect(chmod(path, 0o755) == 0)
            let warnings = try SecureFile.ensureDirectory(path)
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("755") == true)
            #expect(warnings.first?.contains("chmod 700") == true)
            #expect(FileTools.mode(path) == 0o755)

            let file = directory.appending("file")
            try FileTools.write(file, "x")
            let error = #expect(throws: FileError.self) { try SecureFile.ensureDirectory(file) }
            #expect(error?.reason == "exists but is not a directory")
        }
    }
}
