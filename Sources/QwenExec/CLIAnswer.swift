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
