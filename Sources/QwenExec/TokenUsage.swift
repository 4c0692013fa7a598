import QwenSyncCore

/// Token counts as OpenAI reports them.
public struct TokenUsage: Sendable, Equatable {
    /// Tokens of the prompt.
    public var promptTokens: Int64
    /// Tokens of the answer.
    public var completionTokens: Int64
    /// Both together.
    public var totalTokens: Int64

    /// Creates usage counts.
    public init(promptTokens: Int64, completionTokens: Int64, totalTokens: Int64) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens
    }

    /// Reads the CLI's `usage` object (`input_tokens`/`output_tokens`, or the OpenAI names);
    /// `nil` when it lacks either count.
    init?(cliUsage: JSONObject) {
        guard let prompt = (cliUsage["input_tokens"] ?? cliUsage["prompt_tokens"])?.int64Value,
            let completion = (cliUsage["output_tokens"] ?? cliUsage["completion_tokens"])?.int64Value
        else { return nil }
        self.init(
            promptTokens: prompt,
            completionTokens: completion,
            totalTokens: cliUsage["total_tokens"]?.int64Value ?? prompt + completion
        )
    }

    /// The OpenAI `usage` object.
    public var document: JSONValue {
        [
            "prompt_tokens": .int(promptTokens),
            "completion_tokens": .int(completionTokens),
            "total_tokens": .int(totalTokens),
        ]
    }
}
