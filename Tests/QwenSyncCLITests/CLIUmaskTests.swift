import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The files the qwen-sync CLI writes are 0600 whatever the umask. Each command runs in a child
/// started by `sh` after `umask` (``Umask``): the test process never changes its own.
@Suite("qwen-sync: modes under any umask (CLI)")
struct CLIUmaskTests {
    @Test("files written by the qwen-sync CLI are 0600 under umask", arguments: [0o000, 0o022] as [mode_t])
    func cliModes(mask: mode_t) async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            try FileTools.write(qwenDir + "/oauth_creds.json", CredentialsFile.encode(TestTokens.credentials()), mode: 0o644)
            let imported = try await Umask.run(mask, "qwen-sync", ["accounts", "import", "--label", "x", "--qwen-dir", qwenDir])
            #expect(imported.exitCode == 0, "\(imported.standardError)")
            let id = try #require(try CredentialStore(settings: try settings(qwenDir)).read().accounts.activeAccountID)
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            // Another person's login (its claims name nobody in the store): `use` keeps it as an
            // account and writes the chosen one over it.
            try CredentialsFile.write(TestTokens.credentials(access: TestTokens.jwt(["sub": "other"]), refresh: "other"), to: qwenDir + "/oauth_creds.json")
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            let used = try await Umask.run(mask, "qwen-sync", ["accounts", "use", id, "--qwen-dir", qwenDir])
            #expect(used.exitCode == 0, "\(used.standardError)")
            for name in ["oauth_creds.json", "oauth_accounts.json", "qwen-sync-accounts.json"] {
                #expect(FileTools.mode(qwenDir + "/" + name) == 0o600, "\(name)")
            }
        }
    }
}
