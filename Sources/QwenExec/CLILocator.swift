import Glibc
import QwenSyncCore

/// Finds the `qwen` executable: `$QWEN_CLI_PATH`, else `qwen` on `$PATH`.
public enum CLILocator {
    /// The absolute path of the CLI.
    ///
    /// - Parameter environment: where `QWEN_CLI_PATH` and `PATH` are read.
    /// - Throws: ``ExecFailure`` (exit 6) when no executable is found.
    public static func locate(environment: ProcessEnvironment) throws(ExecFailure) -> String {
        if let override = environment["QWEN_CLI_PATH"] {
            let path = override.contains("/") ? PathNormalizer.absolute(override) : ExecutableSearch.find(override, inPath: environment["PATH"])
            guard let path, ExecutableSearch.isExecutableFile(path) else {
                throw .cliFailed("cli_not_found", "QWEN_CLI_PATH=\(override) is not an executable file")
            }
            return path
        }
        guard let path = ExecutableSearch.find("qwen", inPath: environment["PATH"]) else {
            throw .cliFailed(
                "cli_not_found",
                "the qwen CLI is not on PATH (install it with `npm install -g @qwen-code/qwen-code` or set QWEN_CLI_PATH)"
            )
        }
        return path
    }
}
