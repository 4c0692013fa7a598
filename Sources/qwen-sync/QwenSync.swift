import ArgumentParser
import Glibc
import QwenCommandLine
import QwenSyncCore

/// The `qwen-sync` command line: one process that owns the Qwen OAuth credentials.
///
/// The entry point is synchronous: no command needs Swift concurrency, so the binary never
/// starts its executor threads.
@main
struct QwenSync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qwen-sync",
        abstract: "Keeps Qwen OAuth credentials fresh and in sync for every client on this machine.",
        discussion: """
            The options --qwen-dir, --socket, --oauth-base-url and --oauth-client-id may come \
            before or after the command. Exit status: 0 success; 1 failure (one line on standard \
            error); 2 usage error; 3 `status` found no daemon; 4 `token`: login required; 4, 5, 6 see `qwen-sync exec --help`.
            """,
        version: QwenSyncVersion.current,
        subcommands: [
            LoginCommand.self, AccountsCommand.self, RefreshCommand.self, DaemonCommand.self, StatusCommand.self, ExecCommand.self,
            DoctorCommand.self, LogsCommand.self,
            TokenCommand.self, ServeCommand.self,
        ]
    )

    /// Exit status of a usage error (the contract's 2, not ArgumentParser's `EX_USAGE`).
    static let usageExitCode = QwenCommandLine.usageExitCode

    /// Without a command: the help on standard error, and a usage error.
    func run() throws {
        printError(Self.helpMessage())
        throw ExitCode(Self.usageExitCode)
    }

    /// Parses and runs the command; every way out ends in the contract's exit status.
    ///
    /// The hot paths, `--version`, a plain `status [--json]` and a plain `token`
    /// (``TokenCommand/plainInvocation(_:)``), are answered before any argument-parser work
    /// (building the parser's view of every command costs milliseconds), with the same output
    /// and exit status as through the parser.
    static func main() {
        let given = Array(CommandLine.arguments.dropFirst())
        if given == ["--version"] {
            print(QwenSyncVersion.current)
            return
        }
        // Before any command reads a token: no core file, no ptrace by other processes.
        ProcessHardening.forbidCoreDumps()
        if let json = StatusCommand.plainInvocation(given) {
            do {
                LockWaitNotice.installIfTerminal()
                try StatusCommand.report(try Settings.resolve(environment: .process), json: json)
                return
            } catch {
                exit(reporting: error)
            }
        }
        if let plain = TokenCommand.plainInvocation(given) {
            do {
                LockWaitNotice.installIfTerminal()
                try TokenCommand.printToken(
                    settings: try Settings.resolve(environment: .process), account: plain.account, minTTL: plain.minTTL, format: plain.format)
                try flushStandardOutput()
                return
            } catch {
                exit(reporting: error)
            }
        }
        let arguments = CommandLineArguments.hoistingGlobalOptions(given, root: self)
        do {
            try CommandLineArguments.checkHelpTopic(arguments, root: self)
            if let problem = CommandSuggestion.problem(in: arguments, root: self) { throw CommandFailure(problem, exitCode: usageExitCode) }
            var command = try parseAsRoot(arguments)
            try command.run()
            try flushStandardOutput()
        } catch {
            exit(reporting: error)
        }
    }

    /// Prints what `error` means and exits with its status.
    private static func exit(reporting error: any Error) -> Never {
        // Output that could not be written fails the command, whatever else happened.
        do { try flushStandardOutput() } catch { Self.exit(reporting: error) }
        switch error {
        case let failure as CommandFailure:
            printError("qwen-sync: \(failure.description)")
            Glibc.exit(failure.exitCode)
        case let error as SettingsError:
            printError("qwen-sync: \(error.description)")
            Glibc.exit(1)
        default:
            exitReporting(error)
        }
    }
}
