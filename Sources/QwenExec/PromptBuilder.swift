/// Turns a whole conversation into a ``CLIPrompt``: system messages for the CLI's system
/// prompt, the rest as a labelled transcript on standard input with the last user turn last.
///
/// User text never goes into argv. A conversation that is a single user message (plus any
/// system messages) is passed byte for byte, with no labels, so the CLI sees exactly what the
/// caller sent. Longer conversations become:
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
///
/// System text larger than ``systemPromptArgumentLimit`` would risk the kernel's argv limits
/// (`MAX_ARG_STRLEN` is 128 KiB for one argument), so it moves into the transcript as a
/// leading `[System]` section instead.
public enum PromptBuilder {
    /// The largest system text (UTF-8 bytes) passed as a command-line argument, 64 KiB.
    public static let systemPromptArgumentLimit = 64 << 10

    /// Builds the prompt for a validated request.
    ///
    /// - Parameters:
    ///   - messages: the conversation; its last non-system message is a user message.
    ///   - systemPromptArgumentLimit: the largest system text kept in argv.
    public static func prompt(
        for messages: [ChatMessage],
        systemPromptArgumentLimit: Int = systemPromptArgumentLimit
    ) -> CLIPrompt {
        let instructions = messages.filter { $0.role.isInstruction }.map(\.text)
        let turns = messages.filter { !$0.role.isInstruction }
        var systemText: String? = instructions.isEmpty ? nil : instructions.joined(separator: "\n\n")
        var sections: [String] = []
        if let text = systemText, text.utf8.count > systemPromptArgumentLimit {
            sections.append("[System]\n" + text)
            systemText = nil
        }
        if sections.isEmpty, turns.count == 1, turns[0].name == nil {
            return CLIPrompt(systemPrompt: systemText, standardInput: Array(turns[0].text.utf8))
        }
        for turn in turns {
            sections.append("[\(label(for: turn))]\n" + turn.text)
        }
        return CLIPrompt(systemPrompt: systemText, standardInput: Array(sections.joined(separator: "\n\n").utf8))
    }

    /// The transcript label of a turn: `User`, `Assistant`, with the participant name if any.
    private static func label(for message: ChatMessage) -> String {
        let role = message.role == .assistant ? "Assistant" : "User"
        guard let name = message.name, !name.isEmpty else { return role }
        return "\(role) \(name)"
    }
}
