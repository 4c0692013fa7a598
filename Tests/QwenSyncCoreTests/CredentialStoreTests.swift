import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `CredentialStore.transaction`: both locks, write only what changed, CAS, retries, and
/// good data left untouched when something is wrong.
@Suite("Credential store")
struct CredentialStoreTests {
    struct Refused: Error {}

    @Test(
        "a store, sidecar, kept-tokens file or journal another user owns is refused whole: never read into the state, never written over",
        .enabled(if: getuid() == 0, "chowning a file to another user needs root"))
    func foreignFilesRefused() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending(".qwen")
            let store = CredentialStore(settings: try settings(qwenDir))
            try store.transaction { state in
                state.accounts.add(StoredAccount(id: "acct_1", token: TestTokens.credentials(), nowMs: 5))
                state.accounts.activeAccountID = "acct_1"
            }
            for name in ["oauth_accounts.json", "qwen-sync-accounts.json"] {
                let path = qwenDir + "/" + name
                let before = try #require(try SecureFile.read(path)).bytes
                #expect(chown(path, 65_534, 65_534) == 0)
                #expect(throws: StoreError.self) { try store.read() }
                #expect(throws: StoreError.self) { try store.transaction { state in state.accounts.activeAccountID = nil } }
                do {
                    _ = try store.read()
                } catch {
                    #expect("\(error)".contains("owned by uid 65534"), "\(error)")
                }
                #expect(try #require(try SecureFile.read(path)).bytes == before, "\(name) was written over")
                #expect(chown(path, 0, 0) == 0)
            }
            #expect(try store.read().accounts.activeAccountID == "acct_1")
        }
    }

    @Test("a missing qwen dir is created 0700; the transaction writes all three files and releases both locks")
    func firstTransaction() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("a/b/.qwen")
            let store = CredentialStore(settings: try settings(qwenDir))
            let state = try store.read()
            #expect(state.accounts.accounts.isEmpty)
            #expect(state.credentials == nil)
            #expect(!state.credentialsFileExists)
            try store.transaction { state in
                state.credentials = TestTokens.credentials()
                state.accounts.add(StoredAccount(id: "acct_1", token: TestTokens.credentials(), nowMs: 5))
                state.accounts.activeAccountID = "acct_1"
                state.sidecar.notes["acct_1"] = .init(label: "home")
            }
            #expect(FileTools.mode(qwenDir) == 0o700)
            #expect(FileTools.list(qwenDir) == ["oauth_accounts.json", "oauth_creds.json", "qwen-sync-accounts.json"])
            let reread = try store.read()
            #expect(reread.credentials == TestTokens.credentials())
            #expect(reread.accounts.activeAccount?.id == "acct_1")
            #expect(reread.displayLabel(of: try #require(reread.accounts.activeAccount)) == "home")
            guard case .found(let byLabel) = reread.lookUpAccount("home"), case .found(let byPrefix) = reread.lookUpAccount("acct_") else {
                Issue.record("the label and the id prefix name no single account")
                return
            }
            #expect(byLabel.id == "acct_1" && byPrefix.id == "acct_1")
        }
    }

    @Test("only changed files are rewritten")
    func writesOnlyChanges() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try store.transaction { state in
                state.credentials = TestTokens.credentials()
                state.accounts.add(StoredAccount(id: "acct_1", token: TestTokens.credentials(), nowMs: 5))
            }
            let credentials = FileIdentity.of(store.settings.credentialsPath)
            let accounts = FileIdentity.of(store.settings.accountsPath)
            try store.transaction { _ in }
            #expect(FileIdentity.of(store.settings.accountsPath) == accounts)
            try store.transaction { state in state.accounts.activeAccountID = "acct_1" }
            #expect(FileIdentity.of(store.settings.credentialsPath) == credentials)
            #expect(FileIdentity.of(store.settings.accountsPath) != accounts)
        }
    }

    @Test("a body that throws writes nothing")
    func abortedTransaction() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            #expect(throws: StoreError.self) {
                try store.transaction { state in
                    state.credentials = TestTokens.credentials()
                    throw Refused()
                }
            }
            #expect(FileTools.list(directory.path).isEmpty)
        }
    }

    @Test("a lock unlinked under the transaction while nobody holds it is taken again: the write lands in one run")
    func lockUnlinkedDuringTransaction() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            var runs = 0
            try store.transaction { state in
                runs += 1
                unlink(store.settings.credentialsLockPath)  // a qwen process exiting unlinks it, held or not
                state.credentials = TestTokens.credentials(access: "at-\(runs)")
            }
            #expect(runs == 1)
            #expect(CredentialsFile.read(store.settings.credentialsPath).credentials?.accessToken == "at-1")
            #expect(FileTools.list(directory.path) == ["oauth_creds.json"], "the lock taken again was released")
        }
    }

    @Test("a lock someone else took under the transaction makes it retry from a fresh read instead of writing blindly")
    func lockTakenDuringTransaction() async throws {
        try await withTemporaryDirectory { directory in
            var store = CredentialStore(settings: try settings(directory.path))
            store.credentialsLockPolicy.staleAfter = .milliseconds(300)  // the intruder's lock goes stale quickly
            var runs = 0
            try store.transaction { state in
                runs += 1
                if runs == 1 {
                    unlink(store.settings.credentialsLockPath)
                    try SecureFile.replace(store.settings.credentialsLockPath, with: Array("11111111-2222-3333-4444-555555555555".utf8))
                }
                state.credentials = TestTokens.credentials(access: "at-\(runs)")
            }
            #expect(runs == 2)
            #expect(CredentialsFile.read(store.settings.credentialsPath).credentials?.accessToken == "at-2")
            #expect(FileTools.list(directory.path) == ["oauth_creds.json"])
        }
    }

    @Test("a file changed under the transaction (CAS) makes it retry and keeps the other writer's data")
    func fileChangedDuringTransaction() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try store.transaction { state in state.credentials = TestTokens.credentials() }
            var runs = 0
            try store.transaction { state in
                runs += 1
                if runs == 1 {
                    // A peer that ignores locks (qwen-code's login ≤ 0.15) writes meanwhile.
                    try CredentialsFile.write(TestTokens.credentials(access: "peer", refresh: "peer-rt"), to: store.settings.credentialsPath)
                }
                guard var credentials = state.credentials else { throw Refused() }
                credentials.extraFields["seen"] = .string(credentials.accessToken)
                state.credentials = credentials
            }
            #expect(runs == 2)
            let final = try #require(CredentialsFile.read(store.settings.credentialsPath).credentials)
            #expect(final.accessToken == "peer")
            #expect(final.extraFields["seen"] == "peer")
        }
    }

    @Test(
        "a corrupt accounts store stops the transaction and leaves every file untouched",
        arguments: [
            "garbage \u{0}\u{1}",
            #"{"version":1,"accounts":{"not":"an array"}}"#,
            #"{"version":7,"accounts":[]}"#,
            "[1,2,3]",
        ])
    func corruptAccountsStore(text: String) async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try CredentialsFile.write(TestTokens.credentials(), to: store.settings.credentialsPath)
            try FileTools.write(store.settings.accountsPath, text)
            let before = [store.settings.credentialsPath, store.settings.accountsPath].map(FileIdentity.of)
            let error = #expect(throws: StoreError.self) {
                try store.transaction { state in state.credentials = TestTokens.credentials(access: "new") }
            }
            #expect(error?.description.contains("left untouched") == true)
            #expect(throws: StoreError.self) { try store.read() }
            #expect([store.settings.credentialsPath, store.settings.accountsPath].map(FileIdentity.of) == before)
            #expect(FileTools.text(store.settings.accountsPath) == text)
            #expect(FileTools.list(directory.path) == ["oauth_accounts.json", "oauth_creds.json"])
        }
    }

    @Test("hostile accounts store paths: 100 MB file, FIFO, symlink loop, directory", arguments: ["huge", "fifo", "loop", "directory"])
    func hostileAccountsStore(kind: String) async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try CredentialsFile.write(TestTokens.credentials(), to: store.settings.credentialsPath)
            let path = store.settings.accountsPath
            let expected: String
            switch kind {
            case "huge":
                try FileTools.write(path, "{")
                #expect(truncate(path, 100 << 20) == 0)
                expected = "too large"
            case "fifo":
                #expect(mkfifo(path, 0o600) == 0)
                expected = "not a regular file (a FIFO)"
            case "loop":
                #expect(symlink(path, path) == 0)
                expected = "symlink loop"
            default:
                #expect(mkdir(path, 0o700) == 0)
                expected = "not a regular file (a directory)"
            }
            let credentialsBefore = FileIdentity.of(store.settings.credentialsPath)
            let accountsBefore = FileIdentity.of(path)
            let error = #expect(throws: StoreError.self) {
                try store.transaction { state in state.credentials = TestTokens.credentials(access: "new") }
            }
            #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
            #expect(error?.description.contains(path) == true)
            #expect(FileIdentity.of(store.settings.credentialsPath) == credentialsBefore)
            #expect(FileIdentity.of(path) == accountsBefore)
        }
    }

    @Test("an invalid oauth_creds.json is reported and replaced only when the body sets credentials")
    func invalidCredentialsFile() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.path))
            try FileTools.write(store.settings.credentialsPath, #"{"access_token":"a","expiry_date":"x"}"#)
            let state = try store.read()
            #expect(state.credentials == nil)
            #expect(state.credentialsFileExists)
            #expect(state.credentialsProblem == #"the field "refresh_token" is missing"#)
            try store.transaction { state in state.accounts.setUnknownField("note", "x") }
            #expect(FileTools.text(store.settings.credentialsPath) == #"{"access_token":"a","expiry_date":"x"}"#)
            try store.transaction { state in state.credentials = TestTokens.credentials() }
            #expect(CredentialsFile.read(store.settings.credentialsPath).credentials == TestTokens.credentials())
        }
    }

    @Test("a symlinked oauth_creds.json is replaced by a regular file through a transaction, its target untouched")
    func symlinkedCredentials() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.appending("qwen")))
            try SecureFile.ensureDirectory(store.settings.qwenDirectory)
            let target = directory.appending("dotfiles-creds.json")
            try CredentialsFile.write(TestTokens.credentials(access: "old"), to: target)
            let targetBytes = FileTools.bytes(target)
            #expect(symlink(target, store.settings.credentialsPath) == 0)
            #expect(try store.read().credentials?.accessToken == "old")
            try store.transaction { state in state.credentials = TestTokens.credentials(access: "new") }
            #expect(FileTools.isRegularFile(store.settings.credentialsPath))
            #expect(CredentialsFile.read(store.settings.credentialsPath).credentials?.accessToken == "new")
            #expect(FileTools.bytes(target) == targetBytes)
        }
    }

    @Test("a symlinked oauth_accounts.json is replaced by a regular file through a transaction, its target untouched")
    func symlinkedAccountsStore() async throws {
        try await withTemporaryDirectory { directory in
            let store = CredentialStore(settings: try settings(directory.appending("qwen")))
            try SecureFile.ensureDirectory(store.settings.qwenDirectory)
            let target = directory.appending("dotfiles-accounts.json")
            try SecureFile.replace(target, with: AccountsDocument().encoded())
            let targetBytes = FileTools.bytes(target)
            #expect(symlink(target, store.settings.accountsPath) == 0)
            try store.transaction { state in state.accounts.setUnknownField("changed", true) }
            #expect(FileTools.isRegularFile(store.settings.accountsPath))
            #expect(try store.read().accounts.unknownField("changed") == true)
            #expect(FileTools.bytes(target) == targetBytes)
        }
    }

    @Test("OPENCODE_QWEN_ACCOUNTS_PATH moves the store and its lock (inside the qwen dir only)")
    func accountsPathOverride() async throws {
        try await withTemporaryDirectory { directory in
            let inside = try Settings.resolve(
                qwenDir: directory.path,
                environment: ProcessEnvironment(["OPENCODE_QWEN_ACCOUNTS_PATH": directory.appending("sub/../custom.json")]))
            #expect(inside.accountsPath == directory.appending("custom.json"))
            #expect(inside.accountsLockPath == directory.appending("custom.json.lock"))
            #expect(inside.warnings.isEmpty)
            let store = CredentialStore(settings: inside)
            try store.transaction { state in state.accounts.setUnknownField("x", 1) }
            #expect(FileTools.list(directory.path) == ["custom.json"])

            let outside = try Settings.resolve(
                qwenDir: directory.path, environment: ProcessEnvironment(["OPENCODE_QWEN_ACCOUNTS_PATH": "/etc/passwd"]))
            #expect(outside.accountsPath == directory.appending("oauth_accounts.json"))
            #expect(outside.warnings.count == 1)
        }
    }
}
