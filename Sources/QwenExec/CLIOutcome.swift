/// What one `qwen` run means for the request.
public enum CLIOutcome: Sendable, Equatable {
    /// The CLI answered.
    case answered(CLIAnswer)
    /// The account is out of quota (`docs/INTEROP.md`, "Quota errors"); another account may answer.
    case quotaExceeded(String)
    /// The run failed for a reason another account would not fix.
    case failed(ExecFailure)
}

/// The text the `qwen` CLI answered with, and what it reported about it.
public struct CLIAnswer: Sendable, Equatable {
    /// The answer (`result` of the last `result` element).
    public var text: String
    /// Token counts, when the CLI reported them.
    public var usage: TokenUsage?

    /// Creates an answer.
    public init(text: String, usage: TokenUsage?) {
        self.text = text
        self.usage = usage
    }
}
