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
