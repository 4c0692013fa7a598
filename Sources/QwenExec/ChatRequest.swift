/// A validated, text-only chat-completions request.
public struct ChatRequest: Sendable, Equatable {
    /// The conversation in order; the last non-system message is a user turn.
    public var messages: [ChatMessage]
    /// The `model` the request names, if any.
    public var model: String?
    /// Whether the caller asked for an SSE stream (`"stream": true`).
    public var stream: Bool
    /// Whether a stream ends with a usage chunk (`stream_options.include_usage`).
    public var includeUsageInStream: Bool
    /// Parts of the request that were accepted but have no effect (said on standard error).
    public var ignored: [String]

    /// Creates a request.
    public init(
        messages: [ChatMessage],
        model: String? = nil,
        stream: Bool = false,
        includeUsageInStream: Bool = false,
        ignored: [String] = []
    ) {
        self.messages = messages
        self.model = model
        self.stream = stream
        self.includeUsageInStream = includeUsageInStream
        self.ignored = ignored
    }
}
