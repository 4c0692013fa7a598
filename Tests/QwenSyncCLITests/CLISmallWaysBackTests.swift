import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The small ways back of issue 22: output that cannot be written fails the command, a mistyped
/// subcommand gets a suggestion that works, every account argument completes, `restore` takes
/// what the lists print, and each hint printed is a command that works.
@Suite("small ways back")
struct CLISmallWaysBackTests {
    /// A qwen dir with two imported accounts, `alice` (labelled `work`) and `bob`.
    struct Fixture {
        let directory: TemporaryDirectory
        var qwenDir: String { directory.appending("qwen") }
        var environment: [String: String?] { ["QWEN_HOME": qwenDir, "QWEN_SYNC_SOCKET": directory.appending("ctl.sock"), "HOME": directory.path] }
        var ids: [String] = []

        static func make() async throws -> Fixture {
            var fixture = Fixture(directory: try TemporaryDirectory())
            try SecureFile.ensureDirectory(fixture.qwenDir)
            for (name, label) in [("alice", "work"), ("bob", "home")] {
                let token = TestTokens.credentials(
                    access: TestTokens.jwt(["sub": .string(name), "email": .string("\(name)@example.com")]), refresh: "rt-SECRET-\(name)",
                    expiry: WallClock.nowMs() + 3_600_000)
                try CredentialsFile.write(token, to: fixture.qwenDir + "/oauth_creds.json")
                let imported = try await fixture.run(["accounts", "import", "--label", label])
                #expect(imported.exitCode == 0, "\(imported.standardError)")
            }
            fixture.ids = try CredentialStore(settings: Settings.resolve(qwenDir: fixture.qwenDir, environment: ProcessEnvironment([:]))).read()
                .accounts.accounts.map(\.id)
            return fixture
        }

        func run(_ arguments: [String]) async throws -> ProcessOutcome {
            try await runProduct("qwen-sync", arguments, environment: environment)
        }

        /// The first command in backquotes in `text` that starts with `qwen-sync`, as arguments after it.
        static func command(in text: String) throws -> [String] {
            let parts = text.split(separator: "`", omittingEmptySubsequences: false)
            let command = try #require(stride(from: 1, to: parts.count, by: 2).map { parts[$0] }.first { $0.hasPrefix("qwen-sync ") }, "\(text)")
            return Array(command.split(separator: " ").map(String.init).dropFirst())
        }
    }

    @Test("a write error on standard output exits 1 with a message", arguments: [["status", "--json"], ["accounts", "list"], ["doctor", "--json"]])
    func fullDisk(_ arguments: [String]) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        let command = ([BuiltProducts.path(of: "qwen-sync")] + arguments).joined(separator: " ") + " >/dev/full"
        let outcome = try await runProduct("/bin/sh", ["-c", command], environment: fixture.environment)
        #expect(outcome.exitCode == 1, "\(arguments)")
        #expect(outcome.standardError.contains("cannot write to standard output"), "\(outcome.standardError)")
    }

    @Test("a mistyped subcommand is a usage error naming the command meant, and that command works")
    func didYouMean() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        let mistyped = try await fixture.run(["acounts", "lst"])
        #expect(mistyped.exitCode == 2)
        #expect(mistyped.standardError.contains("did you mean `qwen-sync accounts`"), "\(mistyped.standardError)")
        let nested = try await fixture.run(["accounts", "lst"])
        #expect(nested.exitCode == 2)
        let suggested = try Fixture.command(in: nested.standardError)
        #expect(suggested == ["accounts", "list"])
        let works = try await fixture.run(suggested)
        #expect(works.exitCode == 0, "\(works.standardError)")
        let unknown = try await fixture.run(["xyzzy"])
        #expect(unknown.exitCode == 2, "nothing near: the parser's own message")
    }

    @Test(
        "account ids and labels complete wherever an account is named",
        arguments: [
            (["accounts", "use"], "positional@0"), (["accounts", "remove"], "positional@0"), (["accounts", "reset"], "positional@0"),
            (["accounts", "rename"], "positional@0"), (["accounts", "restore"], "positional@0"), (["refresh"], "positional@0"),
            (["login"], "--account"), (["logs"], "--account"),
        ] as [([String], String)])
    func completions(_ path: [String], _ argument: String) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        let words = ["qwen-sync"] + path + (argument.hasPrefix("--") ? [argument] : []) + ["wo"]
        let outcome = try await fixture.run(["---completion"] + path + ["--", argument, "\(words.count - 1)", "2"] + words)
        #expect(outcome.exitCode == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.split(separator: "\n") == ["work"], "\(path): \(outcome.standardOutput)")
    }

    @Test("accounts restore takes the id, the label and the masked identity that the lists print")
    func restoreByWhatIsPrinted() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        for reference in ["home", "b…@example.com", "bob@example.com"] {
            let removed = try await fixture.run(["accounts", "remove", "home", "--yes"])
            #expect(removed.exitCode == 0, "\(removed.standardError)")
            // The hint printed by `remove` works...
            let hint = try Fixture.command(in: removed.standardOutput + removed.standardError)
            #expect(hint.first == "accounts" && hint.dropFirst().first == "restore", "\(hint)")
            // ...and so does every name of the account the lists show.
            let listed = try await fixture.run(["accounts", "restore"])
            #expect(listed.standardOutput.contains("home"), "\(listed.standardOutput)")
            let restored = try await fixture.run(["accounts", "restore", reference])
            #expect(restored.exitCode == 0, "\(reference): \(restored.standardError)")
        }
        let existing = try await fixture.run(["accounts", "restore", "work"])
        #expect(existing.exitCode == 1)
        #expect(existing.standardError.contains("--replace"), "\(existing.standardError)")
    }

    /// Every backquoted command in `text`, as argument lists.
    static func commands(in text: String) -> [[String]] {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        return stride(from: 1, to: parts.count, by: 2).map { parts[$0].split(separator: " ").map(String.init) }
    }

    /// Runs a printed command: `qwen-sync …` as the product, anything else through `sh`.
    static func runPrinted(_ command: [String], _ fixture: Fixture) async throws -> ProcessOutcome {
        if command.first == "qwen-sync" { return try await fixture.run(Array(command.dropFirst())) }
        return try await runProduct("/bin/sh", ["-c", command.joined(separator: " ")], environment: fixture.environment)
    }

    @Test("after `accounts remove` of the last account, doctor's advice (`accounts import`) brings it back with its id and label")
    func importAfterRemovingTheLast() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        for label in ["work", "home"] {
            let removed = try await fixture.run(["accounts", "remove", label, "--yes"])
            #expect(removed.exitCode == 0, "\(removed.standardError)")
        }
        let doctor = try await fixture.run(["doctor"])
        let advice = Self.commands(in: doctor.standardOutput).filter { $0.starts(with: ["qwen-sync", "accounts", "import"]) }
        #expect(advice.count == 1, "\(doctor.standardOutput)")
        let imported = try await Self.runPrinted(try #require(advice.first), fixture)
        #expect(imported.exitCode == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("(\"home\""), "the removed account comes back with its label: \(imported.standardOutput)")
        let state = try CredentialStore(settings: Settings.resolve(qwenDir: fixture.qwenDir, environment: ProcessEnvironment([:]))).read()
        #expect(state.accounts.accounts.map(\.id) == [fixture.ids[1]])
    }

    @Test("for an accounts store that cannot be read, doctor's commands, run in order, recover the account")
    func corruptStoreAdvice() async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        try SecureFile.replace(fixture.qwenDir + "/oauth_accounts.json", with: Array("{garbage".utf8))
        let doctor = try await fixture.run(["doctor"])
        let line = try #require(doctor.standardOutput.split(separator: "\n").first { $0.contains("mv ") }, "\(doctor.standardOutput)")
        let commands = Self.commands(in: String(line))
        #expect(commands.count == 3, "\(line)")
        for command in commands {
            let outcome = try await Self.runPrinted(command, fixture)
            #expect(outcome.exitCode == 0, "\(command): \(outcome.standardError)")
        }
        let check = try await fixture.run(["status", "--check"])
        #expect(check.exitCode == 0, "\(check.standardError)")
    }

    @Test("docs/INTEROP.md states the default refresh lead that `daemon --help` prints")
    func leadAgreesWithHelp() async throws {
        let help = try await runProduct("qwen-sync", ["daemon", "--help"])
        let compact = help.standardOutput.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        let lead = try #require(compact.split(separator: "(default: ").last?.prefix { $0.isNumber }, "\(compact)")
        let interop = try #require(try SecureFile.read(ReadmeRecipeTests.repository + "/docs/INTEROP.md")).bytes
        let text = String(decoding: interop, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        #expect(text.contains("default lead is \(lead) s"), "INTEROP.md and --help disagree about the default lead (\(lead) s)")
    }

    /// How a doctor check is broken for `fixesRunAsPrinted`.
    enum Breakage: String, CaseIterable, Sendable {
        case credentialsDeleted, credentialsReadable, directoryListable
    }

    @Test("doctor's fix for a broken file, run as printed, clears its finding", arguments: Breakage.allCases)
    func fixesRunAsPrinted(_ breakage: Breakage) async throws {
        let fixture = try await Fixture.make()
        defer { fixture.directory.remove() }
        let check: String
        switch breakage {
        case .credentialsDeleted:
            check = "credentials_file"
            #expect(unlink(fixture.qwenDir + "/oauth_creds.json") == 0)
        case .credentialsReadable:
            check = "credentials_file"
            #expect(chmod(fixture.qwenDir + "/oauth_creds.json", 0o644) == 0)
        case .directoryListable:
            check = "qwen_dir"
            #expect(chmod(fixture.qwenDir, 0o755) == 0)
        }
        func finding() async throws -> JSONObject? {
            let doctor = try await fixture.run(["doctor", "--json"])
            let checks = try JSON.parse(doctor.standardOutput).objectValue?["checks"]?.arrayValue ?? []
            return checks.compactMap(\.objectValue).first { $0["id"]?.stringValue == check }
        }
        let broken = try #require(try await finding())
        #expect(broken["status"]?.stringValue != "ok", "\(breakage): \(broken)")
        let fix = try #require(broken["fix"]?.stringValue)
        let command = try #require(Self.commands(in: fix).first, "\(breakage): no command in \(fix)")
        let outcome = try await Self.runPrinted(command, fixture)
        #expect(outcome.exitCode == 0, "\(command): \(outcome.standardError)")
        #expect(try await finding()?["status"]?.stringValue == "ok", "\(breakage): \(command) did not fix it")
    }
}
