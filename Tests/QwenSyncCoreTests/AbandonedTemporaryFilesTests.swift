import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("Abandoned temporary files")
struct AbandonedTemporaryFilesTests {
    /// The pid of a process that has already exited.
    private func deadPID() async throws -> pid_t {
        let outcome = try await runProduct("/bin/sh", ["-c", "echo $$"])
        return try #require(pid_t(outcome.standardOutput.split(separator: "\n").first ?? ""))
    }

    @Test("only our own temporary files whose writer is dead are removed")
    func removesOnlyAbandoned() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dead = try await deadPID()
        let names = [
            "oauth_creds.json.tmp.\(dead).0a1b2c",  // ours, writer dead: goes
            "oauth_accounts.json.tmp.\(dead).ff00",  // ours, writer dead: goes
            "oauth_creds.json.tmp.\(getpid()).0a1b2c",  // ours, writer alive: stays
            "oauth_creds.json.tmp.6f1c3e0a-9d7b-4c1e-8f2a-1b2c3d4e5f60",  // qwen-code's: stays
            "oauth_creds.json.0123456789ab.tmp",  // another peer's: stays
            "notes.txt.tmp.\(dead).00",  // not a credential file: stays
            "oauth_creds.json",
        ]
        for name in names { #expect(creat(directory.appending(name), 0o600) >= 0) }
        let removed = AbandonedTemporaryFiles.remove(in: directory.path, for: ["oauth_creds.json", "oauth_accounts.json"])
        #expect(Set(removed) == Set(names.prefix(2)))
        for name in names.dropFirst(2) { #expect(access(directory.appending(name), F_OK) == 0, "\(name) must stay") }
    }
}
