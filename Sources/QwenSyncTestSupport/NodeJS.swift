import Glibc
import QwenSyncCore

/// The `node` executable, when installed (CI may not have it; tests using it are then skipped).
public enum NodeJS {
    /// The absolute path of `node` on `$PATH`, or `nil`.
    public static let path: String? = ExecutableSearch.find("node", inPath: getenv("PATH").map { String(cString: $0) })

    /// Whether node can be used.
    public static var isAvailable: Bool { path != nil }

    /// Runs `node -e script` with `arguments` and returns its stdout.
    public static func run(_ script: String, _ arguments: [String]) async throws -> String {
        guard let path else { throw TestSupportError("node is not installed") }
        let outcome = try await runProduct(path, ["-e", script] + arguments)
        guard outcome.exitCode == 0 else { throw TestSupportError("node failed: \(outcome.standardError)") }
        return outcome.standardOutput
    }

    /// `JSON.stringify(JSON.parse(<file>), null, 2)` as node computes it.
    public static func stringifyPretty(file: String) async throws -> String {
        try await run(
            "process.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')), null, 2))",
            [file]
        )
    }
}
