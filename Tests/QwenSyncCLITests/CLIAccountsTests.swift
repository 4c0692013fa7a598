import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync accounts …` as a user runs it: real processes over real files.
@Suite("qwen-sync accounts (CLI)")
struct CLIAccountsTests {
    static let aliceToken = TestTokens.jwt(["sub": "alice-0001", "email": "alice@example.com"])
    static let bobToken = TestTokens.jwt(["sub": "bob-0002", "email": "bob@example.com"])

    /// Runs `qwen-sync accounts <arguments> --qwen-dir <dir>` without any qwen-related environment.
    static func accounts(_ qwenDir: String, _ arguments: [String]) async throws -> ProcessOutcome {
        try await runProduct(
            "qwen-sync", ["accounts"] + arguments + ["--qwen-dir", qwenDir],
            environment: ["QWEN_HOME": nil, "OPENCODE_QWEN_ACCOUNTS_PATH": nil, "HOME": "/nonexistent"])
    }

    /// A qwen dir holding Alice (imported first, so active) and Bob (label `bob-work`), with
    /// unknown fields at the top, entry and token levels. Returns their ids.
    static func twoAccounts(_ qwenDir: String) async throws -> (alice: String, bob: String) {
        let credentialsPath = qwenDir + "/oauth_creds.json"
        try SecureFile.ensureDirectory(qwenDir)
        try CredentialsFile.write(TestTokens.credentials(access: aliceToken, refresh: "rt-alice"), to: credentialsPath)
        let first = try await accounts(qwenDir, ["import"])
        #expect(first.exitCode == 0, "\(first.standardError)")
        try CredentialsFile.write(TestTokens.credentials(access: bobToken, refresh: "rt-bob"), to: credentialsPath)
        let second = try await accounts(qwenDir, ["import", "--label", "bob-work"])
        #expect(second.exitCode == 0, "\(second.standardError)")
        let store = CredentialStore(settings: try settings(qwenDir))
        try store.transaction { state in state.accounts.setUnknownField("pluginTop", ["x": 1]) }
        let storeBytes = try #require(FileTools.bytes(store.settings.accountsPath))
        var root = try #require(try JSON.parse(storeBytes).objectValue)
        var entries = try #require(root["accounts"]?.arrayValue)
        for index in entries.indices {
            var entry = try #require(entries[index].objectValue)
            entry["pluginEntry"] = "kept"
            var token = try #require(entry["token"]?.objectValue)
            token["pluginToken"] = 7
            entry["token"] = .object(token)
            entries[index] = .object(entry)
        }
        root["accounts"] = .array(entries)
        try SecureFile.replace(store.settings.accountsPath, with: JSONValue.object(root).serializedBytes())
        let state = try store.read()
        let alice = try #require(state.accounts.accounts.first { $0.token.refreshToken == "rt-alice" }).id
        let bob = try #require(state.accounts.accounts.first { $0.token.refreshToken == "rt-bob" }).id
        return (alice, bob)
    }

    @Test("import adopts oauth_creds.json once per identity and never rewrites the credentials")
    func importAccounts() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            let credentialsPath = qwenDir + "/oauth_creds.json"
            try CredentialsFile.write(TestTokens.credentials(access: Self.aliceToken, refresh: "rt-alice"), to: credentialsPath)
            let credentialsBefore = FileIdentity.of(credentialsPath)
            let first = try await Self.accounts(qwenDir, ["import", "--label", "alice"])
            #expect(first.exitCode == 0, "\(first.standardError)")
            #expect(first.standardOutput.hasPrefix("Imported as acct_"))
            let again = try await Self.accounts(qwenDir, ["import"])
            #expect(again.exitCode == 0, "\(again.standardError)")
            #expect(again.standardOutput.hasPrefix("Already account acct_"))
            #expect(FileIdentity.of(credentialsPath) == credentialsBefore)
            let state = try CredentialStore(settings: try settings(qwenDir)).read()
            #expect(state.accounts.accounts.count == 1)
            let account = try #require(state.accounts.accounts.first)
            #expect(state.accounts.activeAccountID == account.id)
            #expect(state.sidecar.label(of: account.id) == "alice")
            #expect(account.raw["accountKey"] == "sub:alice-0001")
            let store = try #require(FileTools.text(qwenDir + "/oauth_accounts.json"))
            #expect(!store.contains("refresh:"))
            #expect(FileTools.mode(qwenDir + "/oauth_accounts.json") == 0o600)
            #expect(FileTools.mode(qwenDir + "/qwen-sync-accounts.json") == 0o600)
        }
    }

    @Test("import without usable credentials fails with one clear line and writes nothing")
    func importInvalid() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            try FileTools.write(qwenDir + "/oauth_creds.json", #"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expiry_date":"1"}"#)
            let outcome = try await Self.accounts(qwenDir, ["import"])
            #expect(outcome.exitCode == 1)
            #expect(outcome.standardError.split(separator: "\n").count == 1)
            #expect(outcome.standardError.contains(#"the field "expiry_date" must be a number of milliseconds, not a string"#))
            #expect(FileTools.list(qwenDir) == ["oauth_creds.json"])
        }
    }

    @Test("use mirrors the account into oauth_creds.json exactly as qwen-code writes it; unknown fields survive")
    func useAccount() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await Self.twoAccounts(qwenDir)
            let outcome = try await Self.accounts(qwenDir, ["use", ids.alice])
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput == "Active account: \(ids.alice) (no label, a…e@example.com)\n")
            let credentialsPath = qwenDir + "/oauth_creds.json"
            let expected = """
                {
                  "access_token": "\(Self.aliceToken)",
                  "token_type": "Bearer",
                  "refresh_token": "rt-alice",
                  "resource_url": "portal.qwen.ai",
                  "expiry_date": 1795321151953,
                  "pluginToken": 7
                }
                """
            #expect(FileTools.text(credentialsPath) == expected)
            #expect(FileTools.mode(credentialsPath) == 0o600)
            let storeBytes = try #require(FileTools.bytes(qwenDir + "/oauth_accounts.json"))
            let root = try #require(try JSON.parse(storeBytes).objectValue)
            #expect(root["activeAccountId"] == .string(ids.alice))
            #expect(root["pluginTop"] == ["x": 1])
            for entry in root["accounts"]?.arrayValue ?? [] {
                #expect(entry.objectValue?["pluginEntry"] == "kept")
                #expect(entry.objectValue?["token"]?.objectValue?["pluginToken"] == 7)
            }
            let byLabel = try await Self.accounts(qwenDir, ["use", "bob-work"])
            #expect(byLabel.exitCode == 0, "\(byLabel.standardError)")
            #expect(CredentialsFile.read(credentialsPath).credentials?.refreshToken == "rt-bob")
        }
    }

    @Test(
        "qwen-sync's files equal JSON.stringify(JSON.parse(file), null, 2) byte for byte",
        .enabled(if: NodeJS.isAvailable, "node is not installed; the JSON.stringify comparison is skipped"))
    func filesMatchNode() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await Self.twoAccounts(qwenDir)
            #expect(try await Self.accounts(qwenDir, ["use", ids.bob]).exitCode == 0)
            for name in ["oauth_creds.json", "oauth_accounts.json", "qwen-sync-accounts.json"] {
                let path = qwenDir + "/" + name
                #expect(try await NodeJS.stringifyPretty(file: path) == FileTools.text(path), "\(name)")
            }
        }
    }

    @Test("use waits while another process holds oauth_creds.lock, then succeeds")
    func useWaitsForLock() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await Self.twoAccounts(qwenDir)
            let credentialsPath = qwenDir + "/oauth_creds.json"
            let before = FileTools.bytes(credentialsPath)
            let holder = try ChildProcess(
                product: "qwen-sync-stress", ["hold-lock", "--path", qwenDir + "/oauth_creds.lock", "--ms", "3000"],
                logPrefix: directory.appending("holder"))
            try await holder.waitForOutput("HELD")
            let cli = try ChildProcess(product: "qwen-sync", ["accounts", "use", ids.alice, "--qwen-dir", qwenDir], logPrefix: directory.appending("cli"))
            #expect(await cli.waitForExit(timeoutMs: 120_000) == 0, "\(cli.errorOutput)")
            #expect(await holder.waitForExit(timeoutMs: 120_000) == 0)
            #expect(holder.output == "HELD\nSTILL-OURS\nRELEASED\n", "the CLI took a live lock")
            // The holder's log was last written when it printed RELEASED: the CLI wrote after that.
            let released = try #require(FileIdentity.of(holder.stdoutPath ?? "")).modificationTimeNs
            let written = try #require(FileIdentity.of(credentialsPath)).modificationTimeNs
            #expect(written >= released, "oauth_creds.json was written while the lock was held")
            #expect(FileTools.bytes(credentialsPath) != before)
            #expect(CredentialsFile.read(credentialsPath).credentials?.refreshToken == "rt-alice")
            #expect(FileTools.list(qwenDir).filter { $0.contains(".lock") }.isEmpty)
        }
    }

    @Test("list shows states and labels, never a token; --json is one document; rejected entries are reported, not deleted")
    func list() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await Self.twoAccounts(qwenDir)
            let store = CredentialStore(settings: try settings(qwenDir))
            _ = try store.transaction { state in
                state.accounts.update(id: ids.alice) {
                    $0.markExhausted(until: WallClock.nowMs() + 3_600_000, code: AccountErrorCode.authInvalid, nowMs: WallClock.nowMs())
                }
            }
            let storeBytes = try #require(FileTools.bytes(store.settings.accountsPath))
            var root = try #require(try JSON.parse(storeBytes).objectValue)
            let broken: JSONValue = ["id": "acct_broken", "token": ["access_token": "x"]]
            root["accounts"] = .array((root["accounts"]?.arrayValue ?? []) + [broken])
            try SecureFile.replace(store.settings.accountsPath, with: JSONValue.object(root).serializedBytes())
            let storeBefore = FileTools.bytes(store.settings.accountsPath)

            let json = try await Self.accounts(qwenDir, ["list", "--json"])
            #expect(json.exitCode == 0, "\(json.standardError)")
            let document = try #require(try JSON.parse(json.standardOutput).objectValue)
            let listed = try #require(document["accounts"]?.arrayValue)
            #expect(listed.count == 2)
            let alice = try #require(listed.first { $0.objectValue?["id"] == .string(ids.alice) }?.objectValue)
            #expect(alice["state"] == "auth_invalid")
            #expect(alice["identity"] == "a…e@example.com")
            let bob = try #require(listed.first { $0.objectValue?["id"] == .string(ids.bob) }?.objectValue)
            #expect(bob["state"] == "healthy")
            #expect(bob["label"] == "bob-work")
            #expect(document["rejected_entries"]?.arrayValue?.first?.objectValue?["id"] == "acct_broken")

            let table = try await Self.accounts(qwenDir, ["list"])
            #expect(table.exitCode == 0, "\(table.standardError)")
            #expect(table.standardOutput.contains(ids.alice) && table.standardOutput.contains("auth_invalid"))
            #expect(table.standardError.contains("acct_broken"))
            for output in [json.standardOutput, table.standardOutput, table.standardError] {
                for secret in ["rt-alice", "rt-bob", Self.aliceToken, Self.bobToken] {
                    #expect(!output.contains(secret))
                }
            }
            #expect(FileTools.bytes(store.settings.accountsPath) == storeBefore, "listing must not rewrite the store")
        }
    }

    @Test("remove and reset change only their account; unknown accounts fail with one line")
    func removeAndReset() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await Self.twoAccounts(qwenDir)
            let store = CredentialStore(settings: try settings(qwenDir))
            _ = try store.transaction { state in
                state.accounts.update(id: ids.bob) {
                    $0.markExhausted(until: WallClock.nowMs() + 3_600_000, code: AccountErrorCode.insufficientQuota, nowMs: 1)
                }
            }
            let reset = try await Self.accounts(qwenDir, ["reset", "bob-work"])
            #expect(reset.exitCode == 0, "\(reset.standardError)")
            #expect(try store.read().accounts.account(id: ids.bob)?.state(nowMs: WallClock.nowMs()) == .healthy)

            let missing = try await Self.accounts(qwenDir, ["remove", "nobody"])
            #expect(missing.exitCode == 1)
            #expect(missing.standardError == "qwen-sync: no account matches \"nobody\"; see `qwen-sync accounts list`\n")

            let removed = try await Self.accounts(qwenDir, ["remove", "--yes", ids.alice])
            #expect(removed.exitCode == 0, "\(removed.standardError)")
            let after = try store.read()
            #expect(after.accounts.accounts.map(\.id) == [ids.bob])
            #expect(after.accounts.activeAccountID == ids.bob, "the active account was removed: the next healthy one takes over")
            #expect(after.credentials?.refreshToken == "rt-bob")
            #expect(after.accounts.unknownField("pluginTop") == ["x": 1])
        }
    }

    @Test("a corrupt accounts store makes every command fail with one line and leaves the files untouched")
    func corruptStore() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            try CredentialsFile.write(TestTokens.credentials(), to: qwenDir + "/oauth_creds.json")
            try FileTools.write(qwenDir + "/oauth_accounts.json", "{\"version\": 1, \"accounts\": [")
            let paths = [qwenDir + "/oauth_creds.json", qwenDir + "/oauth_accounts.json"]
            let before = paths.map(FileIdentity.of)
            for arguments in [["import"], ["use", "x"], ["reset", "x"], ["remove", "x"], ["list"]] {
                let outcome = try await Self.accounts(qwenDir, arguments)
                #expect(outcome.exitCode == 1, "\(arguments)")
                #expect(outcome.standardError.contains("not valid JSON"), "\(arguments): \(outcome.standardError)")
                #expect(outcome.standardError.split(separator: "\n").count == 1, "\(arguments)")
            }
            #expect(paths.map(FileIdentity.of) == before)
        }
    }
}
