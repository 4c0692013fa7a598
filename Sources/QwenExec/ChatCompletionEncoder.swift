import QwenSyncCore

/// Writes an answer as an OpenAI `chat.completion` object or as a stream of
/// `chat.completion.chunk` server-sent events ending in `data: [DONE]`.
public struct ChatCompletionEncoder: Sendable {
    /// The completion id (`chatcmpl-…`).
    public var id: String
    /// Seconds since the epoch.
    public var created: Int64
    /// The model reported to the caller.
    public var model: String

    /// Creates an encoder.
    public init(id: String, created: Int64, model: String) {
        self.id = id
        self.created = created
        self.model = model
    }

    /// A fresh `chatcmpl-` id with 24 random alphanumerics.
    public static func makeID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var generator = SystemRandomNumberGenerator()
        return "chatcmpl-" + String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The `chat.completion` document.
    public func completion(_ answer: CLIAnswer) -> JSONValue {
        var object: JSONObject = JSONObject([
            ("id", .string(id)),
            ("object", "chat.completion"),
            ("created", .int(created)),
            ("model", .string(model)),
            (
                "choices",
                [
                    [
                        "index": 0,
                        "message": ["role": "assistant", "content": .string(answer.text)],
                        "finish_reason": "stop",
                    ]
                ]
            ),
        ])
        if let usage = answer.usage { object["usage"] = usage.document }
        return .object(object)
    }

    /// The SSE stream: a role chunk, a content chunk, a finish chunk, a usage chunk when
    /// asked for (and known), then `data: [DONE]`. Each event is `data: <json>` and a blank line.
    ///
    /// - Parameters:
    ///   - answer: the answer.
    ///   - includeUsage: whether the caller set `stream_options.include_usage`.
    public func stream(_ answer: CLIAnswer, includeUsage: Bool) -> String {
        var chunks: [JSONValue] = [
            chunk(delta: ["role": "assistant", "content": ""], finishReason: nil)
        ]
        if !answer.text.isEmpty {
            chunks.append(chunk(delta: ["content": .string(answer.text)], finishReason: nil))
        }
        chunks.append(chunk(delta: [:], finishReason: "stop"))
        if includeUsage {
            var last = JSONObject([
                ("id", .string(id)),
                ("object", "chat.completion.chunk"),
                ("created", .int(created)),
                ("model", .string(model)),
                ("choices", []),
            ])
            last["usage"] = answer.usage?.document ?? .null
            chunks.append(.object(last))
        }
        var text = ""
        for chunk in chunks {
            text += "data: " + chunk.serialized(.compact) + "\n\n"
        }
        return text + "data: [DONE]\n\n"
    }

    /// One `chat.completion.chunk` with a single choice.
    private func chunk(delta: JSONValue, finishReason: String?) -> JSONValue {
        .object(
            JSONObject([
                ("id", .string(id)),
                ("object", "chat.completion.chunk"),
                ("created", .int(created)),
                ("model", .string(model)),
                (
                    "choices",
                    [
                        [
                            "index": 0,
                            "delta": delta,
                            "finish_reason": .optionalString(finishReason),
                        ]
                    ]
                ),
            ]))
    }
}
