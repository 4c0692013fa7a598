/// One message of a chat-completions request, reduced to its text.
public struct ChatMessage: Sendable, Equatable {
    /// Who wrote it.
    public var role: ChatRole
    /// The optional participant name (`name` in the request).
    public var name: String?
    /// The text: the string content, or the text parts joined with newlines.
    public var text: String

    /// Creates a message.
    public init(role: ChatRole, name: String? = nil, text: String) {
        self.role = role
        self.name = name
        self.text = text
    }
}

/// The roles of a chat-completions message that a text transcript can carry.
public enum ChatRole: String, Sendable, Equatable {
    /// Instructions for the model; goes to the CLI's system prompt.
    case system
    /// OpenAI's newer name for system instructions; treated like ``system``.
    case developer
    /// A user turn.
    case user
    /// An earlier answer of the model.
    case assistant

    /// Whether the message belongs to the system prompt rather than the transcript.
    public var isInstruction: Bool { self == .system || self == .developer }
}
