import ArgumentParser
import Glibc
import QwenSyncCore

/// Exit status of a usage error in every qwen-sync executable (the CLI contract's 2, not
/// ArgumentParser's `EX_USAGE` 64).
public let usageExitCode: Int32 = 2

extension ParsableArguments {
    /// Parses `arguments` (without the program name), or exits: `--help` prints the help on
    /// standard output and exits 0; a usage error (an unknown flag, a value that does not parse)
    /// prints ArgumentParser's message on standard error and exits ``usageExitCode``.
    public static func parseOrExitWithUsageCode(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Self {
        do {
            return try parse(arguments)
        } catch {
            exitReporting(error)
        }
    }

    /// Prints ArgumentParser's message for `error` and exits with its status, a usage error
    /// with ``usageExitCode``; help and version go to standard output with status 0.
    public static func exitReporting(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        let message = fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { DescriptorOutput.writeAll(message + "\n", to: STDOUT_FILENO) }
            Glibc.exit(0)
        }
        if !message.isEmpty { DescriptorOutput.writeAll(message + "\n", to: STDERR_FILENO) }
        Glibc.exit(code == .validationFailure ? usageExitCode : code.rawValue)
    }
}
