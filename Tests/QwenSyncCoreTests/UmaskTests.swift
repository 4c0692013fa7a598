import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Modes do not depend on the umask. The umask is process-wide, so these run one at a time
/// and restore it.
@Suite("Modes under any umask", .serialized)
struct UmaskTests {
    @Test("credentials, accounts store, sidecar, lock files and qwen dir modes", arguments: [0o000, 0o022] as [mode_t])
    func modes(mask: mode_t) async throws {
        try await withTemporaryDirectory { directory in
            let previous = umask(mask)
            defer { umask(previous) }
            let qwenDir = directory.appending("home/.qwen")
            let store = CredentialStore(settings: try settings(qwenDir))
            try store.transaction { state in
                state.credentials = TestTokens.credentials()
                state.accounts.add(StoredAccount(id: "acct_a_00000001", token: TestTokens.credentials(), nowMs: 1))
                state.sidecar.notes["acct_a_00000001"] = .init(label: "work")
            }
            #expect(FileTools.mode(qwenDir) == 0o700)
            #expect(FileTools.mode(qwenDir + "/oauth_creds.json") == 0o600)
            #expect(FileTools.mode(qwenDir + "/oauth_accounts.json") == 0o600)
            #expect(FileTools.mode(qwenDir + "/qwen-sync-accounts.json") == 0o600)

            // Rewriting a file that a peer left 0644 makes it 0600.
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            try CredentialsFile.write(TestTokens.credentials(access: "at-2"), to: qwenDir + "/oauth_creds.json")
            #expect(FileTools.mode(qwenDir + "/oauth_creds.json") == 0o600)

            let lock = try LockFile(path: qwenDir + "/oauth_creds.lock", policy: .credentials).acquire()
            #expect(FileTools.mode(lock.path) == 0o600)
            lock.release()
            #expect(!FileTools.exists(lock.path))
        }
    }

    @Test("files written by the qwen-sync CLI are 0600 under umask", arguments: [0o000, 0o022] as [mode_t])
    func cliModes(mask: mode_t) async throws {
        try await withTemporaryDirectory { directory in
            let previous = umask(mask)
            defer { umask(previous) }
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            try FileTools.write(qwenDir + "/oauth_creds.json", CredentialsFile.encode(TestTokens.credentials()), mode: 0o644)
            let imported = try await runProduct("qwen-sync", ["accounts", "import", "--label", "x", "--qwen-dir", qwenDir])
            #expect(imported.exitCode == 0, "\(imported.standardError)")
            let id = try #require(try CredentialStore(settings: try settings(qwenDir)).read().accounts.activeAccountID)
            #expect(chmod(qwenDir + "/oauth_creds.json", 0o644) == 0)
            try CredentialsFile.write(TestTokens.credentials(access: "other", refresh: "other"), to: qwenDir + "/oauth_creds.json")
            let used = try await runProduct("qwen-sync", ["accounts", "use", id, "--qwen-dir", qwenDir])
            #expect(used.exitCode == 0, "\(used.standardError)")
            for name in ["oauth_creds.json", "oauth_accounts.json", "qwen-sync-accounts.json"] {
                #expect(FileTools.mode(qwenDir + "/" + name) == 0o600, "\(name)")
            }
        }
    }
}
