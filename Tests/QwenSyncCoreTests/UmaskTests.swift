import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Modes do not depend on the umask. The umask is process-wide, so the test process never
/// changes its own: each writer runs in a child started by `sh` after `umask`.
@Suite("Modes under any umask")
struct UmaskTests {
    /// Runs a built product under `mask`, to completion.
    static func run(umask mask: mode_t, _ product: String, _ arguments: [String]) async throws -> ProcessOutcome {
        try await runProduct("/bin/sh", shellArguments(umask: mask, product, arguments))
    }

    /// `sh -c 'umask M && exec PRODUCT ARGS…'`, the product and its arguments passed as `$0 $@`.
    static func shellArguments(umask mask: mode_t, _ product: String, _ arguments: [String]) -> [String] {
        ["-c", "umask \(String(mask, radix: 8)) && exec \"$0\" \"$@\"", BuiltProducts.path(of: product)] + arguments
    }

    @Test("the store's transaction: qwen dir, credentials, accounts store and lock files", arguments: [0o000, 0o022] as [mode_t])
    func storeModes(mask: mode_t) async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("home/.qwen")
            let first = try await Self.run(umask: mask, "qwen-sync-stress", ["rmw", "--qwen-dir", qwenDir, "--cycles", "1"])
            #expect(first.exitCode == 0, "\(first.standardError)")
            #expect(FileTools.mode(qwenDir) == 0o700)
            #expect(FileTools.mode(qwenDir + "/oauth_creds.json") == 0o600)
            #expect(FileTools.mode(qwenDir + "/oauth_accounts.json") == 0o600)

            // Rewriting a file that a peer left 0644 makes it 0600.
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            let second = try await Self.run(umask: mask, "qwen-sync-stress", ["rmw", "--qwen-dir", qwenDir, "--cycles", "1"])
            #expect(second.exitCode == 0, "\(second.standardError)")
            #expect(FileTools.mode(qwenDir + "/oauth_creds.json") == 0o600)

            let lockPath = qwenDir + "/oauth_creds.lock"
            let holder = try QwenSyncTestSupport.ChildProcess(
                "/bin/sh", Self.shellArguments(umask: mask, "qwen-sync-stress", ["hold-lock", "--path", lockPath, "--ms", "1000"]),
                stdout: nil)
            #expect(holder.readLine(timeoutMs: 10_000) == "HELD")
            #expect(FileTools.mode(lockPath) == 0o600)
            #expect(await holder.waitForExit() == 0)
            #expect(!FileTools.exists(lockPath))
        }
    }

    @Test("files written by the qwen-sync CLI are 0600 under umask", arguments: [0o000, 0o022] as [mode_t])
    func cliModes(mask: mode_t) async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            try FileTools.write(qwenDir + "/oauth_creds.json", CredentialsFile.encode(TestTokens.credentials()), mode: 0o644)
            let imported = try await Self.run(umask: mask, "qwen-sync", ["accounts", "import", "--label", "x", "--qwen-dir", qwenDir])
            #expect(imported.exitCode == 0, "\(imported.standardError)")
            let id = try #require(try CredentialStore(settings: try settings(qwenDir)).read().accounts.activeAccountID)
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            // Another person's login (its claims name nobody in the store): `use` keeps it as an
            // account and writes the chosen one over it.
            try CredentialsFile.write(TestTokens.credentials(access: TestTokens.jwt(["sub": "other"]), refresh: "other"), to: qwenDir + "/oauth_creds.json")
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            let used = try await Self.run(umask: mask, "qwen-sync", ["accounts", "use", id, "--qwen-dir", qwenDir])
            #expect(used.exitCode == 0, "\(used.standardError)")
            for name in ["oauth_creds.json", "oauth_accounts.json", "qwen-sync-accounts.json"] {
                #expect(FileTools.mode(qwenDir + "/" + name) == 0o600, "\(name)")
            }
        }
    }
}
