import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Modes do not depend on the umask. The umask is process-wide, so the test process never
/// changes its own: each writer runs in a child started by `sh` after `umask` (``Umask``).
@Suite("Modes under any umask")
struct UmaskTests {
    @Test("the store's transaction: qwen dir, credentials, accounts store and lock files", arguments: [0o000, 0o022] as [mode_t])
    func storeModes(mask: mode_t) async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("home/.qwen")
            let first = try await Umask.run(mask, "qwen-sync-stress", ["rmw", "--qwen-dir", qwenDir, "--cycles", "1"])
            #expect(first.exitCode == 0, "\(first.standardError)")
            #expect(FileTools.mode(qwenDir) == 0o700)
            #expect(FileTools.mode(qwenDir + "/oauth_creds.json") == 0o600)
            #expect(FileTools.mode(qwenDir + "/oauth_accounts.json") == 0o600)

            // Rewriting a file that a peer left 0644 makes it 0600.
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            let second = try await Umask.run(mask, "qwen-sync-stress", ["rmw", "--qwen-dir", qwenDir, "--cycles", "1"])
            #expect(second.exitCode == 0, "\(second.standardError)")
            #expect(FileTools.mode(qwenDir + "/oauth_creds.json") == 0o600)

            // Held until told, not for a fixed time: a starved test process still looks while it is held.
            let lockPath = qwenDir + "/oauth_creds.lock"
            let holder = try QwenSyncTestSupport.ChildProcess(
                "/bin/sh", Umask.shellArguments(mask, "qwen-sync-stress", ["hold-lock", "--path", lockPath, "--until-input"]),
                stdout: nil, stdinPipe: true)
            #expect(await holder.readLine(timeoutMs: 30_000) == "HELD")
            #expect(FileTools.mode(lockPath) == 0o600)
            #expect(write(try #require(holder.stdinWriter), "\n", 1) == 1)
            #expect(await holder.waitForExit(timeoutMs: 60_000) == 0)
            #expect(!FileTools.exists(lockPath))
        }
    }
}
