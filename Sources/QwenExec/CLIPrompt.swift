/// What the `qwen` CLI receives for one request: an optional system prompt for argv and the
/// transcript for standard input.
public struct CLIPrompt: Sendable, Equatable {
    /// The text for the CLI's system-prompt option, or `nil` for none.
    public var systemPrompt: String?
    /// The exact bytes written to the CLI's standard input.
    public var standardInput: [UInt8]

    /// Creates a prompt.
    public init(systemPrompt: String?, standardInput: [UInt8]) {
        self.systemPrompt = systemPrompt
        self.standardInput = standardInput
    }
}
