import Glibc
import QwenSyncCore
import Subprocess
import SystemPackage

/// The executables SwiftPM built next to the running test bundle.
public enum BuiltProducts {
    /// The build products directory (the directory of the running test executable).
    public static let directory: String = {
        guard let executable = SymbolicLink.target(of: "/proc/self/exe") else { preconditionFailure("cannot read /proc/self/exe") }
        var directory = String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
        // On Linux the test runner is `<products>/<package>PackageTests.xctest`.
        if directory.hasSuffix(".xctest") { directory = String(directory[..<directory.lastIndex(of: "/")!]) }
        return directory
    }()

    /// The absolute path of the built executable `name`.
    public static func path(of name: String) -> String { "\(directory)/\(name)" }
}

/// What a finished child process left behind.
public struct ProcessOutcome: Sendable {
    /// The exit code, or 128 + signal number when a signal ended it.
    public let exitCode: Int32
    /// Everything written to standard output.
    public let standardOutput: String
    /// Everything written to standard error.
    public let standardError: String
}

/// Runs a built product (or any executable path) to completion and collects its output.
///
/// - Parameters:
///   - executable: a product name such as `"qwen-sync"`, or an absolute path.
///   - arguments: the arguments after the executable.
///   - environment: variables to set (`nil` removes one) on top of the test's environment.
///   - input: bytes for standard input; standard input is empty when `nil`.
public func runProduct(
    _ executable: String,
    _ arguments: [String] = [],
    environment: [String: String?] = [:],
    input: [UInt8]? = nil,
    outputLimit: Int = 64 << 20
) async throws -> ProcessOutcome {
    let path = executable.hasPrefix("/") ? executable : BuiltProducts.path(of: executable)
    var updates: [Environment.Key: String?] = [:]
    for (key, value) in environment { updates[Environment.Key(stringLiteral: key)] = value }
    let result = try await run(
        .path(FilePath(path)),
        arguments: Arguments(arguments),
        environment: .inherit.updating(updates),
        input: .array(input ?? []),
        output: .string(limit: outputLimit),
        error: .string(limit: outputLimit)
    )
    let code: Int32
    switch result.terminationStatus {
    case .exited(let status): code = Int32(status)
    case .signaled(let signal): code = 128 + Int32(signal)
    }
    return ProcessOutcome(
        exitCode: code,
        standardOutput: result.standardOutput,
        standardError: result.standardError
    )
}
