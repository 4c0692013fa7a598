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
    static func main() {
        let arguments = CommandLineArguments.hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst()), root: self)
        do {
            try CommandLineArguments.checkHelpTopic(arguments, root: self)
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(reporting: error)
        }
    }

    /// Prints what `error` means and exits with its status.
    private static func exit(reporting error: any Error) -> Never {
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
