import Glibc
import QwenProcess
import QwenSyncCore

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
/// The child runs with ``ChildProcessRunner`` (its own process group, ended whole after the
/// child exits) on a thread of its own, so waiting holds none of the test runner's small pool.
///
/// - Parameters:
///   - executable: a product name such as `"qwen-sync"`, or an absolute path.
///   - arguments: the arguments after the executable.
///   - environment: variables to set (`nil` removes one) on top of the test's environment.
///   - input: bytes for standard input; standard input is empty when `nil`.
///   - outputLimit: the most standard output and standard error kept.
public func runProduct(
    _ executable: String,
    _ arguments: [String] = [],
    environment: [String: String?] = [:],
    input: [UInt8]? = nil,
    outputLimit: Int = 64 << 20
) async throws -> ProcessOutcome {
    var variables = ProcessEnvironment.current
    for (name, value) in environment { variables.variables[name] = value }
    let runner = ChildProcessRunner(
        executable: executable.hasPrefix("/") ? executable : BuiltProducts.path(of: executable),
        arguments: arguments,
        environment: variables.assignments,
        workingDirectory: nil,
        timeout: .seconds(600),
        outputLimit: outputLimit,
        errorLimit: outputLimit
    )
    let result = await withCheckedContinuation { continuation in
        PosixThread.runDetached { continuation.resume(returning: Result { () throws(ChildProcessError) in try runner.run(input: input ?? []) }) }
    }
    let outcome = try result.get()
    if let interruption = outcome.interruption { throw TestSupportError("\(executable) \(arguments): \(interruption)") }
    let code: Int32
    switch outcome.termination {
    case .exited(let status): code = status
    case .signaled(let signal): code = 128 + signal
    }
    return ProcessOutcome(
        exitCode: code,
        standardOutput: String(decoding: outcome.standardOutput, as: UTF8.self),
        standardError: String(decoding: outcome.standardError, as: UTF8.self)
    )
}
