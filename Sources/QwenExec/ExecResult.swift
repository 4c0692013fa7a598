/// What `qwen-sync exec` prints and how it exits.
public struct ExecResult: Sendable {
    /// The process exit code: 0, or that of the ``ExecFailure``.
    public var exitCode: Int32
    /// The `chat.completion` JSON, the SSE stream, or the error document.
    public var standardOutput: String
    /// Remarks for standard error, such as tools that were offered and ignored.
    public var notes: [String]

    /// Creates a result.
    public init(exitCode: Int32, standardOutput: String, notes: [String] = []) {
        self.exitCode = exitCode
        self.standardOutput = standardOutput
        self.notes = notes
    }
}
