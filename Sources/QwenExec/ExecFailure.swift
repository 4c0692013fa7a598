import QwenSyncCore

/// Why `qwen-sync exec` did not answer: the OpenAI-style error it prints and its exit code.
///
/// Printed on standard output as `{"error": {"message", "type", "code", "param"}}`. The exit
/// codes are the ones `docs/CLI.md` fixes for `exec`: 4 refused input, 5 no healthy account,
/// 6 the CLI failed or timed out, and 1 for anything else (such as an unreadable accounts store).
public struct ExecFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The process exit code.
    public let exitCode: Int32
    /// The OpenAI error `type`, such as `invalid_request_error`.
    public let type: String
    /// A stable machine-readable `code`, such as `unsupported_content`.
    public let code: String
    /// A one-line human-readable explanation; never holds prompt text, answers or secrets.
    public let message: String
    /// The request field at fault (`messages[2].content[1]`), when there is one.
    public let param: String?

    /// Creates a failure.
    public init(exitCode: Int32, type: String, code: String, message: String, param: String? = nil) {
        self.exitCode = exitCode
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    /// A refused request (exit 4): malformed, too large, multimodal or requiring tools.
    public static func refused(_ code: String, _ message: String, param: String? = nil) -> ExecFailure {
        ExecFailure(exitCode: 4, type: "invalid_request_error", code: code, message: message, param: param)
    }

    /// The `qwen` CLI failed, timed out or could not be run (exit 6).
    public static func cliFailed(_ code: String, _ message: String, type: String = "api_error") -> ExecFailure {
        ExecFailure(exitCode: 6, type: type, code: code, message: message)
    }

    /// No account is healthy (exit 5).
    public static func noHealthyAccount(_ message: String) -> ExecFailure {
        ExecFailure(exitCode: 5, type: "insufficient_quota", code: "no_healthy_account", message: message)
    }

    /// Anything else that stopped the run (exit 1).
    public static func internalError(_ message: String) -> ExecFailure {
        ExecFailure(exitCode: 1, type: "server_error", code: "internal_error", message: message)
    }

    /// The OpenAI error document.
    public var document: JSONValue {
        [
            "error": [
                "message": .string(message),
                "type": .string(type),
                "code": .string(code),
                "param": .optionalString(param),
            ]
        ]
    }

    public var description: String { "\(code): \(message)" }
}
