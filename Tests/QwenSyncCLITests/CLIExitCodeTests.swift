import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The contract's exit codes for every command the binary has: 0 for help and version, 2 for
/// every usage error, read from the binary's own command tree so new commands are covered too.
@Suite("qwen-sync exit codes (CLI)")
struct CLIExitCodeTests {
    /// One command of the tree: its path after `qwen-sync` and its positional arguments.
    struct Command: CustomStringConvertible {
        let path: [String]
        let positionals: [(name: String, optional: Bool)]
        var description: String { (["qwen-sync"] + path).joined(separator: " ") }
    }

    /// Runs `qwen-sync` in a scratch qwen dir, with an OAuth server that refuses connections and a
    /// socket nobody listens on, so a command that parses by mistake reaches nothing real.
    static func run(_ arguments: [String], in directory: TemporaryDirectory) async throws -> ProcessOutcome {
        try await runProduct(
            "qwen-sync", arguments,
            environment: [
                "QWEN_HOME": directory.appending("qwen"), "HOME": directory.path, "QWEN_SYNC_SOCKET": directory.appending("none.sock"),
                "QWEN_SYNC_OAUTH_BASE_URL": "http://127.0.0.1:9", "OPENCODE_QWEN_ACCOUNTS_PATH": nil, "NO_COLOR": "1",
            ])
    }

    /// Every command, from `qwen-sync --experimental-dump-help` (ArgumentParser's description of
    /// the tree the binary parses with), without ArgumentParser's own `help`.
    static func commands(in directory: TemporaryDirectory) async throws -> [Command] {
        let dump = try await run(["--experimental-dump-help"], in: directory)
        #expect(dump.exitCode == 0, "\(dump.standardError)")
        let root = try #require(try JSON.parse(dump.standardOutput).objectValue?["command"]?.objectValue)
        var found: [Command] = []
        func walk(_ command: JSONObject, path: [String]) {
            let positionals = (command["arguments"]?.arrayValue ?? []).compactMap(\.objectValue)
                .filter { $0["kind"]?.stringValue == "positional" }
                .map { (name: $0["valueName"]?.stringValue ?? "?", optional: $0["isOptional"]?.boolValue ?? false) }
            found.append(Command(path: path, positionals: positionals))
            for sub in (command["subcommands"]?.arrayValue ?? []).compactMap(\.objectValue) {
                guard let name = sub["commandName"]?.stringValue, name != "help" else { continue }
                walk(sub, path: path + [name])
            }
        }
        walk(root, path: [])
        return found
    }

    @Test("every command: --help and --version exit 0; a bogus flag, a missing or an extra argument exit 2 with a message on stderr")
    func everyCommand() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let commands = try await Self.commands(in: directory)
        let names = Set(commands.map { $0.path.joined(separator: " ") })
        for expected in ["login", "accounts list", "accounts use", "accounts remove", "accounts rename", "refresh", "status", "exec", "daemon"] {
            #expect(names.contains(expected), "the tree has no \(expected)")
        }
        for command in commands {
            let help = try await Self.run(command.path + ["--help"], in: directory)
            #expect(help.exitCode == 0, "\(command) --help: \(help.standardError)")
            #expect(help.standardOutput.contains("USAGE:"), "\(command) --help")

            let version = try await Self.run(command.path + ["--version"], in: directory)
            #expect(version.exitCode == 0, "\(command) --version")
            #expect(version.standardOutput == QwenSyncVersion.current + "\n", "\(command) --version")

            let required = command.positionals.filter { !$0.optional }
            // Required arguments are given, so the bogus flag is what the parser reports.
            let bogus = try await Self.run(command.path + required.map { _ in "some-account" } + ["--bogus-flag"], in: directory)
            #expect(bogus.exitCode == 2, "\(command) --bogus-flag: \(bogus.standardError)")
            #expect(bogus.standardError.contains("--bogus-flag"), "\(command) --bogus-flag")
            #expect(bogus.standardOutput.isEmpty, "\(command) --bogus-flag")

            if !required.isEmpty {
                let missing = try await Self.run(command.path, in: directory)
                #expect(missing.exitCode == 2, "\(command) without <\(required[0].name)>: \(missing.standardError)")
                #expect(missing.standardError.contains("Missing expected argument"), "\(command): \(missing.standardError)")
                #expect(missing.standardOutput.isEmpty, "\(command)")
            }
            if !command.path.isEmpty {
                let extra = Array(repeating: "extra-argument", count: command.positionals.count + 1)
                let unexpected = try await Self.run(command.path + extra, in: directory)
                #expect(unexpected.exitCode == 2, "\(command) \(extra): \(unexpected.standardError)")
                #expect(!unexpected.standardError.isEmpty && unexpected.standardOutput.isEmpty, "\(command) \(extra)")
            }
        }
    }

    @Test("bare qwen-sync prints the help on stderr and exits 2; help for no command exits 2")
    func bareAndHelp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let bare = try await Self.run([], in: directory)
        #expect(bare.exitCode == 2)
        #expect(bare.standardOutput.isEmpty)
        #expect(bare.standardError.contains("SUBCOMMANDS:"))

        let nosuch = try await Self.run(["help", "nosuch"], in: directory)
        #expect(nosuch.exitCode == 2)
        #expect(nosuch.standardError == "qwen-sync: no command \"nosuch\"; see `qwen-sync --help`\n")
        let deeper = try await Self.run(["help", "accounts", "nosuch"], in: directory)
        #expect(deeper.exitCode == 2)
        #expect(deeper.standardError.contains("see `qwen-sync accounts --help`"))

        let known = try await Self.run(["help", "accounts", "use"], in: directory)
        #expect(known.exitCode == 0)
        #expect(known.standardOutput.contains("USAGE: qwen-sync accounts use"))

        let unknown = try await Self.run(["nosuch"], in: directory)
        #expect(unknown.exitCode == 2)
    }

    @Test("the issue's cases: status --bogus, accounts use without an argument, refresh a --all")
    func reportedCases() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for arguments in [["status", "--bogus"], ["accounts", "use"], ["refresh", "a", "--all"]] {
            let outcome = try await Self.run(arguments, in: directory)
            #expect(outcome.exitCode == 2, "\(arguments): \(outcome.standardError)")
            #expect(outcome.standardError.hasPrefix("Error: "), "\(arguments)")
        }
    }

    @Test("global options work before the command as after it")
    func globalOptionsBeforeCommand() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let other = directory.appending("other")
        for arguments in [
            ["--qwen-dir", other, "accounts", "list"], ["--qwen-dir=\(other)", "accounts", "list"],
            ["accounts", "list", "--qwen-dir", other], ["--qwen-dir", other, "accounts"],
            ["--socket", directory.appending("x.sock"), "--qwen-dir", other, "accounts", "list"],
        ] {
            let outcome = try await Self.run(arguments, in: directory)
            #expect(outcome.exitCode == 0, "\(arguments): \(outcome.standardError)")
            #expect(outcome.standardOutput.contains("No accounts in \(other)/oauth_accounts.json"), "\(arguments): \(outcome.standardOutput)")
        }
        let status = try await Self.run(["--qwen-dir", other, "status", "--json"], in: directory)
        #expect(status.exitCode == 3, "\(status.standardError)")
        #expect(try JSON.parse(status.standardOutput).objectValue?["qwen_dir"]?.stringValue == other)

        let missingValue = try await Self.run(["--qwen-dir"], in: directory)
        #expect(missingValue.exitCode == 2)
        let noCommand = try await Self.run(["--qwen-dir", other], in: directory)
        #expect(noCommand.exitCode == 2)
    }
}
