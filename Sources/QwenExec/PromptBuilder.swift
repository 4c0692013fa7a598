/// Turns a whole conversation into a ``CLIPrompt``: system messages become the system text
/// (written to a private file, never argv), the rest a labelled transcript on standard input
/// with the last user turn last.
///
/// A conversation that is a single user message (plus any system messages) is passed byte for
/// byte, with no labels, so the CLI sees exactly what the caller sent. Longer conversations
/// become:
///
/// ```
/// [User]
/// …
///
/// [Assistant]
/// …
///
/// [User]
/// <the last user turn>
/// ```
public enum PromptBuilder {
    /// Builds the prompt for a validated request.
    ///
    /// - Parameter messages: the conversation; its last non-system message is a user message.
    public static func prompt(for messages: [ChatMessage]) -> CLIPrompt {
        let instructions = messages.filter { $0.role.isInstruction }.map(\.text)
        let turns = messages.filter { !$0.role.isInstruction }
        let systemText: String? = instructions.isEmpty ? nil : instructions.joined(separator: "\n\n")
        if turns.count == 1, turns[0].name == nil {
            return CLIPrompt(systemPrompt: systemText, standardInput: Array(turns[0].text.utf8))
        }
        let sections = turns.map { "[\(label(for: $0))]\n" + $0.text }
        return CLIPrompt(systemPrompt: systemText, standardInput: Array(sections.joined(separator: "\n\n").utf8))
    }

    /// The transcript label of a turn: `User`, `Assistant`, with the participant name if any.
    private static func label(for message: ChatMessage) -> String {
        let role = message.role == .assistant ? "Assistant" : "User"
        guard let name = message.name, !name.isEmpty else { return role }
        return "\(role) \(name)"
    }
}

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
