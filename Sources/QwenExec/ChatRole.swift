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
