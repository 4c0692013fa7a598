import ArgumentParser
import Glibc
import QwenSyncCore

/// The `qwen-sync` command line: one process that owns the Qwen OAuth credentials.
@main
struct QwenSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qwen-sync",
        abstract: "Keeps Qwen OAuth credentials fresh and in sync for every client on this machine.",
        version: QwenSyncVersion.current,
        subcommands: [
            LoginCommand.self, AccountsCommand.self, RefreshCommand.self, DaemonCommand.self, StatusCommand.self, ExecCommand.self,
            DoctorCommand.self, LogsCommand.self,
        ]
    )

    /// Runs the command; a ``CommandFailure`` becomes one line on stderr and its exit code.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            printError("qwen-sync: \(failure.description)")
            Glibc.exit(failure.exitCode)
        } catch let error as SettingsError {
            printError("qwen-sync: \(error.description)")
            Glibc.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}
