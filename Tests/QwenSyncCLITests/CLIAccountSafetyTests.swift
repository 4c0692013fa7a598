import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Labels, ambiguity, masked identities, confirmation and `--json` of the accounts commands,
/// as a user runs them: real processes over real files.
@Suite("qwen-sync accounts safety (CLI)")
struct CLIAccountSafetyTests {
    static let carolToken = TestTokens.jwt(["sub": "carol-0003", "email": "carol@example.com"])

    /// `util-linux`'s `script`, which runs a command on a pseudo-terminal.
    static let script: String? = ["/usr/bin/script", "/bin/script"].first { access($0, X_OK) == 0 }

    /// Runs `qwen-sync accounts <arguments> --qwen-dir <dir>` on a pseudo-terminal (stdin and
    /// stdout), typing `input`.
    static func onTerminal(_ qwenDir: String, _ arguments: [String], input: String = "", environment: [String: String?] = [:]) async throws -> ProcessOutcome {
        let command = ([BuiltProducts.path(of: "qwen-sync"), "accounts"] + arguments + ["--qwen-dir", qwenDir]).map { "'\($0)'" }.joined(separator: " ")
        return try await runProduct(
            try #require(script), ["-q", "-e", "-c", command, "/dev/null"],
            environment: ["QWEN_HOME": nil, "HOME": "/nonexistent", "NO_COLOR": nil, "TERM": "xterm"].merging(environment) { $1 }, input: Array(input.utf8))
    }

    /// Every file of the qwen dir, byte for byte.
    static func snapshot(_ qwenDir: String) -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in FileTools.list(qwenDir) { files[name] = FileTools.bytes(qwenDir + "/" + name) }
        return files
    }

    /// Adds an account straight into the store, with `label` written as given (as an older
    /// version or another tool could have).
    static func addAccount(_ qwenDir: String, id: String, access: String, refresh: String, label: String? = nil) throws {
        try CredentialStore(settings: try settings(qwenDir)).transaction { state in
            state.accounts.add(StoredAccount(id: id, token: TestTokens.credentials(access: access, refresh: refresh), nowMs: 1))
            if let label { state.sidecar.notes[id] = .init(label: label) }
        }
    }

    @Test("labels must be printable (usage error 2) and unique (1, naming the other account); nothing changes")
    func labelRules() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await CLIAccountsTests.twoAccounts(qwenDir)
            let before = Self.snapshot(qwenDir)
            for bad in ["tab\there", "esc\u{1B}[31m", "", " padded", String(repeating: "x", count: 65)] {
                let imported = try await CLIAccountsTests.accounts(qwenDir, ["import", "--label", bad])
                #expect(imported.exitCode == 2, "import --label \(bad.debugDescription): \(imported.standardError)")
                #expect(imported.standardError.contains("--label: a label"), "\(imported.standardError)")
                if !bad.isEmpty {
                    let renamed = try await CLIAccountsTests.accounts(qwenDir, ["rename", ids.alice, bad])
                    #expect(renamed.exitCode == 2, "rename to \(bad.debugDescription): \(renamed.standardError)")
                }
            }
            let taken = try await CLIAccountsTests.accounts(qwenDir, ["rename", ids.alice, "bob-work"])
            #expect(taken.exitCode == 1)
            #expect(taken.standardError == "qwen-sync: the label \"bob-work\" is already taken by \(ids.bob) (\"bob-work\", b…@example.com); choose another\n")
            for other in [ids.bob, "bob@example.com", "b…@example.com"] {
                let confusing = try await CLIAccountsTests.accounts(qwenDir, ["rename", ids.alice, other])
                #expect(confusing.exitCode == 1, "a label equal to \(other) was accepted")
                #expect(confusing.standardError.contains("already taken by \(ids.bob)"))
            }
            try CredentialsFile.write(TestTokens.credentials(access: Self.carolToken, refresh: "rt-carol"), to: qwenDir + "/oauth_creds.json")
            let beforeImport = Self.snapshot(qwenDir)
            let importTaken = try await CLIAccountsTests.accounts(qwenDir, ["import", "--label", "bob-work"])
            #expect(importTaken.exitCode == 1)
            #expect(importTaken.standardError.contains("already taken by \(ids.bob)"))
            #expect(Self.snapshot(qwenDir) == beforeImport)
            #expect(before["oauth_accounts.json"] == beforeImport["oauth_accounts.json"])

            // Renaming to its own label, or clearing a label, is fine.
            let same = try await CLIAccountsTests.accounts(qwenDir, ["rename", "bob-work", "bob-work"])
            #expect(same.exitCode == 0, "\(same.standardError)")
            let renamed = try await CLIAccountsTests.accounts(qwenDir, ["rename", "bob-work", "bob-home", "--json"])
            #expect(renamed.exitCode == 0, "\(renamed.standardError)")
            let document = try #require(try JSON.parse(renamed.standardOutput).objectValue)
            #expect(document["account"]?.objectValue?["label"] == "bob-home")
            #expect(document["previous_label"] == "bob-work")
            let cleared = try await CLIAccountsTests.accounts(qwenDir, ["rename", "bob-home", ""])
            #expect(cleared.exitCode == 0, "\(cleared.standardError)")
            #expect(cleared.standardOutput == "Renamed \(ids.bob) (no label, b…@example.com) (was \"bob-home\").\n")
            #expect(try CredentialStore(settings: try settings(qwenDir)).read().sidecar.label(of: ids.bob) == nil)
        }
    }

    @Test("a label or id prefix naming several accounts is an error listing them; nothing changes")
    func ambiguity() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            // Duplicate labels, as versions without the uniqueness rule could write them.
            try Self.addAccount(qwenDir, id: "acct_a1", access: TestTokens.jwt(["sub": "u1", "email": "jon@example.com"]), refresh: "rt-1", label: "work")
            try Self.addAccount(qwenDir, id: "acct_a2", access: TestTokens.jwt(["sub": "u2", "email": "jan@example.com"]), refresh: "rt-2", label: "work")
            try Self.addAccount(qwenDir, id: "acct_b3", access: "opaque-token", refresh: "rt-3")
            let before = Self.snapshot(qwenDir)
            for command in ["use", "remove", "reset"] {
                let outcome = try await CLIAccountsTests.accounts(qwenDir, [command, "work", "--yes"].filter { command == "remove" || $0 != "--yes" })
                #expect(outcome.exitCode == 1, "\(command): \(outcome.standardError)")
                #expect(
                    outcome.standardError == """
                        qwen-sync: "work" matches 2 accounts: acct_a1 ("work", j…@example.com); acct_a2 ("work", j…@example.com); give the id

                        """, "\(command)")
            }
            let masked = try await CLIAccountsTests.accounts(qwenDir, ["use", "j…@example.com"])
            #expect(masked.exitCode == 1)
            #expect(masked.standardError.contains("matches 2 accounts: acct_a1"))
            let prefix = try await CLIAccountsTests.accounts(qwenDir, ["use", "acct_a"])
            #expect(prefix.exitCode == 1)
            #expect(prefix.standardError.contains("\"acct_a\" matches 2 accounts: acct_a1"))
            let renameAmbiguous = try await CLIAccountsTests.accounts(qwenDir, ["rename", "work", "other"])
            #expect(renameAmbiguous.exitCode == 1)
            #expect(Self.snapshot(qwenDir) == before)

            // What is shown, when it names one account, is accepted; so are the full email and a unique prefix.
            for (reference, id) in [("jan@example.com", "acct_a2"), ("acct_b", "acct_b3"), ("acct_a1", "acct_a1")] {
                let outcome = try await CLIAccountsTests.accounts(qwenDir, ["use", reference])
                #expect(outcome.exitCode == 0, "\(reference): \(outcome.standardError)")
                #expect(try CredentialStore(settings: try settings(qwenDir)).read().accounts.activeAccountID == id, "\(reference)")
            }
        }
    }

    @Test("identity is shown masked the same way in list, use and remove; a claim-less token shows unknown; labels are escaped")
    func maskedIdentity() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            try SecureFile.ensureDirectory(qwenDir)
            try Self.addAccount(qwenDir, id: "acct_e1", access: TestTokens.jwt(["sub": "user-0001", "email": "alice@example.com"]), refresh: "rt-1")
            try Self.addAccount(qwenDir, id: "acct_s2", access: TestTokens.jwt(["sub": "subject-0002"]), refresh: "rt-2", label: "evil\u{1B}[2J\nlabel")
            try Self.addAccount(qwenDir, id: "acct_u3", access: "opaque", refresh: "rt-3")
            let list = try await CLIAccountsTests.accounts(qwenDir, ["list"])
            #expect(list.exitCode == 0)
            let lines = list.standardOutput.split(separator: "\n").map(String.init)
            #expect(lines.count == 4, "a label broke the table: \(list.standardOutput)")
            #expect(lines.contains { $0.contains("acct_e1") && $0.contains("a…e@example.com") && !$0.contains("alice@") })
            #expect(lines.contains { $0.contains("acct_s2") && $0.contains("sub:sub…02") && $0.contains(#"evil\u{1B}[2J\nlabel"#) })
            #expect(lines.contains { $0.contains("acct_u3") && $0.contains("unknown") })
            #expect(!list.standardOutput.contains("\u{1B}"))
            let json = try await CLIAccountsTests.accounts(qwenDir, ["list", "--json"])
            let accounts = try #require(try JSON.parse(json.standardOutput).objectValue?["accounts"]?.arrayValue)
            #expect(accounts.map { $0.objectValue?["identity"] ?? .null } == ["a…e@example.com", "sub:sub…02", .null])
            #expect(accounts.first?.objectValue?["label"] == .null, "the email is no longer shown as a label")

            let use = try await CLIAccountsTests.accounts(qwenDir, ["use", "a…e@example.com"])
            #expect(use.standardOutput == "Active account: acct_e1 (no label, a…e@example.com)\n", "\(use.standardError)")
            let useLabel = try await CLIAccountsTests.accounts(qwenDir, ["use", "sub:sub…02"])
            #expect(useLabel.standardOutput == "Active account: acct_s2 (\"evil\\u{1B}[2J\\nlabel\", sub:sub…02)\n", "\(useLabel.standardError)")
            let remove = try await CLIAccountsTests.accounts(qwenDir, ["remove", "--yes", "acct_u3"])
            #expect(remove.standardOutput.hasPrefix("Removed acct_u3 (no label, unknown).\n"), "\(remove.standardError)")
        }
    }

    @Test("remove needs --yes off a terminal (exit 2), asks on one, and says how to undo")
    func removeConfirmation() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await CLIAccountsTests.twoAccounts(qwenDir)
            let before = Self.snapshot(qwenDir)
            let refused = try await CLIAccountsTests.accounts(qwenDir, ["remove", "bob-work"])
            #expect(refused.exitCode == 2)
            #expect(refused.standardError == "qwen-sync: standard input is not a terminal; add --yes to remove without asking\n")
            #expect(Self.snapshot(qwenDir) == before)

            if Self.script != nil {
                let declined = try await Self.onTerminal(qwenDir, ["remove", "bob-work"], input: "n\n")
                #expect(declined.exitCode == 1, "\(declined.standardOutput)")
                #expect(declined.standardOutput.contains("Remove \(ids.bob) (\"bob-work\", b…@example.com)? [y/N]"))
                #expect(declined.standardOutput.contains("nothing removed"))
                #expect(Self.snapshot(qwenDir) == before)
                let confirmed = try await Self.onTerminal(qwenDir, ["remove", "bob-work"], input: "y\n")
                #expect(confirmed.exitCode == 0, "\(confirmed.standardOutput)")
                #expect(confirmed.standardOutput.contains("undo: qwen-sync accounts restore \(ids.bob)"))
                #expect(try CredentialStore(settings: try settings(qwenDir)).read().accounts.account(id: ids.bob) == nil)
            } else {
                Issue.record("skipped the terminal half: util-linux `script` is not installed")
            }

            let removed = try await CLIAccountsTests.accounts(qwenDir, ["remove", ids.alice, "--yes", "--json"])
            #expect(removed.exitCode == 0, "\(removed.standardError)")
            let document = try #require(try JSON.parse(removed.standardOutput).objectValue)
            #expect(document["removed"]?.objectValue?["id"] == .string(ids.alice))
            #expect(document["undo"] == .string("qwen-sync accounts restore \(ids.alice)"))
            #expect(!removed.standardOutput.contains("rt-"))
        }
    }

    @Test("use and remove keep a login in oauth_creds.json that no account holds instead of overwriting it")
    func keepUnstoredLogin() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await CLIAccountsTests.twoAccounts(qwenDir)
            let credentialsPath = qwenDir + "/oauth_creds.json"
            try CredentialsFile.write(TestTokens.credentials(access: Self.carolToken, refresh: "rt-carol"), to: credentialsPath)
            let use = try await CLIAccountsTests.accounts(qwenDir, ["use", ids.alice, "--json"])
            #expect(use.exitCode == 0, "\(use.standardError)")
            #expect(use.standardError.contains("oauth_creds.json held a login no account had; it is kept as acct_"))
            let state = try CredentialStore(settings: try settings(qwenDir)).read()
            #expect(state.accounts.accounts.contains { $0.token.refreshToken == "rt-carol" }, "carol's refresh token was lost")
            let document = try #require(try JSON.parse(use.standardOutput).objectValue)
            #expect(document["active"] == true)
            #expect(document["account"]?.objectValue?["id"] == .string(ids.alice))
            #expect(document["adopted_account"]?.stringValue?.hasPrefix("acct_") == true)
            #expect(CredentialsFile.read(credentialsPath).credentials?.refreshToken == "rt-alice")

            try CredentialsFile.write(TestTokens.credentials(access: TestTokens.jwt(["sub": "dave-4"]), refresh: "rt-dave"), to: credentialsPath)
            let remove = try await CLIAccountsTests.accounts(qwenDir, ["remove", "--yes", ids.bob])
            #expect(remove.exitCode == 0, "\(remove.standardError)")
            #expect(try CredentialStore(settings: try settings(qwenDir)).read().accounts.accounts.contains { $0.token.refreshToken == "rt-dave" })
        }
    }

    @Test("--json on every command that changes something: one document on stdout, never a token")
    func jsonDocuments() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await CLIAccountsTests.twoAccounts(qwenDir)
            try CredentialsFile.write(TestTokens.credentials(access: Self.carolToken, refresh: "rt-carol"), to: qwenDir + "/oauth_creds.json")
            let cases: [([String], String)] = [
                (["import", "--label", "carol", "--json"], "account"), (["use", "carol", "--json"], "account"),
                (["reset", "carol", "--json"], "account"), (["rename", "carol", "caro", "--json"], "account"),
                (["remove", "caro", "--yes", "--json"], "removed"),
            ]
            for (arguments, key) in cases {
                let outcome = try await CLIAccountsTests.accounts(qwenDir, arguments)
                #expect(outcome.exitCode == 0, "\(arguments): \(outcome.standardError)")
                let document = try JSON.parse(outcome.standardOutput).objectValue
                #expect(document?[key]?.objectValue?["identity"] == "c…l@example.com", "\(arguments): \(outcome.standardOutput)")
                for secret in ["rt-", Self.carolToken, CLIAccountsTests.aliceToken] {
                    #expect(!outcome.standardOutput.contains(secret), "\(arguments) printed a token")
                }
            }
            _ = ids
        }
    }

    @Test(
        "colour on a terminal only, and never with NO_COLOR or TERM=dumb",
        .enabled(if: script != nil, "util-linux `script` is not installed; no pseudo-terminal to test colour on"))
    func colour() async throws {
        try await withTemporaryDirectory { directory in
            let qwenDir = directory.appending("qwen")
            let ids = try await CLIAccountsTests.twoAccounts(qwenDir)
            _ = try CredentialStore(settings: try settings(qwenDir)).transaction { state in
                state.accounts.update(id: ids.alice) {
                    $0.markExhausted(until: WallClock.nowMs() + 3_600_000, code: AccountErrorCode.authInvalid, nowMs: WallClock.nowMs())
                }
            }
            let terminal = try await Self.onTerminal(qwenDir, ["list"])
            #expect(terminal.standardOutput.contains("\u{1B}[31mauth_invalid"), "\(terminal.standardOutput)")
            #expect(terminal.standardOutput.contains("\u{1B}[32mhealthy"))
            let noColour = try await Self.onTerminal(qwenDir, ["list"], environment: ["NO_COLOR": "1"])
            #expect(noColour.standardOutput.contains("auth_invalid") && !noColour.standardOutput.contains("\u{1B}["))
            let dumb = try await Self.onTerminal(qwenDir, ["list"], environment: ["TERM": "dumb"])
            #expect(dumb.standardOutput.contains("auth_invalid") && !dumb.standardOutput.contains("\u{1B}["), "TERM=dumb gets no colour")
            let emptyNoColour = try await Self.onTerminal(qwenDir, ["list"], environment: ["NO_COLOR": ""])
            #expect(emptyNoColour.standardOutput.contains("\u{1B}[31mauth_invalid"), "an empty NO_COLOR does not count")
            let piped = try await CLIAccountsTests.accounts(qwenDir, ["list"])
            #expect(piped.standardOutput.contains("auth_invalid") && !piped.standardOutput.contains("\u{1B}["))
        }
    }
}
