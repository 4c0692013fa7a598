/// What the `qwen` CLI receives for one request: the system text for its system-prompt file
/// and the transcript for standard input. Neither ever goes into argv.
public struct CLIPrompt: Sendable, Equatable {
    /// The text that replaces the CLI's system prompt (see ``CLIInvocation``), or `nil` to keep
    /// the CLI's own.
    public var systemPrompt: String?
    /// The exact bytes written to the CLI's standard input.
    public var standardInput: [UInt8]

    /// Creates a prompt.
    public init(systemPrompt: String?, standardInput: [UInt8]) {
        self.systemPrompt = systemPrompt
        self.standardInput = standardInput
    }
}
