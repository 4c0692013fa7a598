import QwenSyncCore

/// A chat-completions request body as the endpoint forwards it: parsed once, shaped the way the
/// accounts plugin shapes it (`docs/INTEROP.md` §10), and judged for the CLI fallback.
public struct ChatPayload: Sendable, Equatable {
    /// The models the OAuth accounts can use, with their output caps in tokens.
    public static let models: [(id: String, maxOutputTokens: Int64)] = [("coder-model", 65_536), ("vision-model", 8_192)]

    /// The body fields the plugin removes before forwarding.
    public static let strippedFields = ["reasoning", "reasoningEffort", "reasoning_effort"]

    /// The shaped body, in the client's field order.
    public private(set) var body: JSONObject
    /// The requested model (`coder-model` when the client named none).
    public let model: String
    /// Whether the client asked for server-sent events.
    public let stream: Bool
    /// Whether a message carries anything but text (images, audio, files): the `qwen` CLI
    /// fallback refuses those.
    public let isMultimodal: Bool

    /// Parses and shapes `bytes`.
    ///
    /// - Throws: ``ServeError`` 400 `invalid_request_error` when the body is not a JSON object
    ///   with a `messages` array, or a field has the wrong type.
    public init(bytes: [UInt8]) throws(ServeError) {
        let value: JSONValue
        do { value = try JSON.parse(bytes) } catch {
            throw .badRequest("the request body is not valid JSON: \(error.description)")
        }
        guard var object = value.objectValue else { throw .badRequest("the request body must be a JSON object") }
        guard let messages = object["messages"]?.arrayValue, !messages.isEmpty else {
            throw .badRequest("`messages` must be a non-empty array", param: "messages")
        }
        let model: String
        switch object["model"] {
        case nil, .null?: model = "coder-model"
        case .string(let name)?: model = name
        default: throw .badRequest("`model` must be a string", param: "model")
        }
        switch object["stream"] {
        case nil, .null?: stream = false
        case .bool(let value)?: stream = value
        default: throw .badRequest("`stream` must be a boolean", param: "stream")
        }
        for field in Self.strippedFields { object[field] = nil }
        if let cap = Self.models.first(where: { $0.id == model })?.maxOutputTokens {
            for field in ["max_tokens", "max_completion_tokens"] {
                guard let requested = object[field] else { continue }
                guard let number = requested.int64Value else {
                    if requested.isNull { continue }
                    throw .badRequest("`\(field)` must be a whole number", param: field)
                }
                if number > cap { object[field] = .int(cap) }
            }
        }
        self.body = object
        self.model = model
        self.isMultimodal = messages.contains { message in
            guard let parts = message.objectValue?["content"]?.arrayValue else { return false }
            return parts.contains { $0.objectValue?["type"]?.stringValue != "text" }
        }
    }

    /// The shaped body as bytes for the upstream request.
    public var bytes: [UInt8] { Array(JSONValue.object(body).serialized(.compact).utf8) }
}
