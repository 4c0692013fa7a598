import QwenSyncCore

/// Turns the bytes of an OpenAI chat-completions request into a text-only ``ChatRequest``,
/// or refuses it.
///
/// Only text may pass: any content part that is not `{"type": "text", "text": <string>}`
/// (images, audio, files, video, unknown types, parts without a string `text`) refuses the
/// whole request, naming the message index and part type. Nothing is dropped silently: a
/// request that *requires* a tool call, wants several choices or audio output is refused too,
/// and so is every parameter the `qwen` CLI cannot honour (``unhonourableParameters``).
/// Tools offered but optional, and sampling hints the CLI has no way to pass on
/// (``ignoredSamplingParameters``), are accepted and reported in ``ChatRequest/ignored``.
public enum ChatRequestParser {
    /// The largest request accepted, 8 MiB (the CLI reads at most 8 MB of stdin).
    public static let defaultSizeLimit = 8 << 20

    /// Parses and validates a request.
    ///
    /// - Parameters:
    ///   - bytes: the request body (UTF-8 JSON).
    ///   - sizeLimit: the largest accepted body in bytes.
    /// - Throws: ``ExecFailure`` with exit code 4 when the request is refused.
    public static func parse(_ bytes: [UInt8], sizeLimit: Int = defaultSizeLimit) throws(ExecFailure) -> ChatRequest {
        guard bytes.count <= sizeLimit else {
            throw .refused("request_too_large", "the request is \(bytes.count) bytes; the limit is \(sizeLimit) bytes")
        }
        let document: JSONValue
        do {
            document = try JSON.parse(bytes)
        } catch {
            throw .refused("invalid_json", "the request is not valid JSON: \(error.description)")
        }
        guard let body = document.objectValue else {
            throw .refused("invalid_request", "the request must be a JSON object, not \(document.typeName)")
        }
        var ignored: [String] = []
        try checkTools(body, ignored: &ignored)
        try checkOutputShape(body)
        try checkUnhonourableParameters(body)
        noteIgnoredSamplingParameters(body, ignored: &ignored)

        guard let rawMessages = body["messages"] else {
            throw .refused("missing_messages", "the request has no \"messages\"", param: "messages")
        }
        guard let list = rawMessages.arrayValue else {
            throw .refused("invalid_messages", "\"messages\" must be an array, not \(rawMessages.typeName)", param: "messages")
        }
        guard !list.isEmpty else {
            throw .refused("missing_messages", "\"messages\" is empty", param: "messages")
        }
        var messages: [ChatMessage] = []
        for (index, raw) in list.enumerated() {
            messages.append(try message(raw, index: index))
        }
        guard let last = messages.last(where: { !$0.role.isInstruction }), last.role == .user else {
            throw .refused(
                "invalid_messages",
                "the last non-system message must be a user message; the text-only runner answers a user turn",
                param: "messages"
            )
        }

        let model: String?
        switch body["model"] {
        case nil, .null?: model = nil
        case .string(let name)?: model = name.isEmpty ? nil : name
        case let other?: throw .refused("invalid_request", "\"model\" must be a string, not \(other.typeName)", param: "model")
        }
        let stream: Bool
        switch body["stream"] {
        case nil, .null?: stream = false
        case .bool(let flag)?: stream = flag
        case let other?: throw .refused("invalid_request", "\"stream\" must be a boolean, not \(other.typeName)", param: "stream")
        }
        let includeUsage = body["stream_options"]?.objectValue?["include_usage"]?.boolValue ?? false
        return ChatRequest(
            messages: messages,
            model: model,
            stream: stream,
            includeUsageInStream: includeUsage,
            ignored: ignored
        )
    }

    /// Refuses a request that requires a tool call; notes tools that are merely offered.
    private static func checkTools(_ body: JSONObject, ignored: inout [String]) throws(ExecFailure) {
        for key in ["tool_choice", "function_call"] {
            guard let choice = body[key] else { continue }
            switch choice {
            case .null, .string("none"), .string("auto"):
                continue
            case .string(let value):
                throw .refused(
                    "tool_call_required",
                    "\"\(key)\": \"\(value)\" requires a tool call; qwen-sync exec is text-only and cannot call tools",
                    param: key
                )
            default:
                throw .refused(
                    "tool_call_required",
                    "\"\(key)\" names a tool that must be called; qwen-sync exec is text-only and cannot call tools",
                    param: key
                )
            }
        }
        for key in ["tools", "functions"] {
            guard let offered = body[key], !offered.isNull else { continue }
            let count = offered.arrayValue?.count ?? 0
            if count > 0 {
                ignored.append("\"\(key)\" (\(count) offered, none required): the text-only runner answers without tools")
            }
        }
    }

    /// Refuses output shapes a single text answer cannot satisfy.
    private static func checkOutputShape(_ body: JSONObject) throws(ExecFailure) {
        if let count = body["n"], !count.isNull, count.int64Value != 1 {
            throw .refused("unsupported_parameter", "\"n\" must be 1; the runner produces one choice", param: "n")
        }
        if let modalities = body["modalities"]?.arrayValue,
            modalities.contains(where: { $0.stringValue != "text" })
        {
            throw .refused("unsupported_parameter", "only the \"text\" output modality is supported", param: "modalities")
        }
        if let audio = body["audio"], !audio.isNull {
            throw .refused("unsupported_parameter", "audio output is not supported by the text-only runner", param: "audio")
        }
    }

    /// Parameters that change what the answer must be, which the CLI cannot honour: a request
    /// that sets one (to anything but `null`, `false` or an empty value) is refused.
    public static let unhonourableParameters = [
        "max_tokens", "max_completion_tokens", "stop", "logprobs", "top_logprobs", "logit_bias", "prediction",
    ]

    /// Sampling hints the CLI cannot pass on; a text answer stays valid without them, so they
    /// are accepted and reported on standard error.
    public static let ignoredSamplingParameters = [
        "temperature", "top_p", "seed", "presence_penalty", "frequency_penalty",
    ]

    /// Refuses `response_format` other than text and every parameter in ``unhonourableParameters``.
    private static func checkUnhonourableParameters(_ body: JSONObject) throws(ExecFailure) {
        if let format = body["response_format"], !format.isNull {
            let type = format.objectValue?["type"]?.stringValue
            if type != "text" {
                throw .refused(
                    "unsupported_parameter",
                    "\"response_format\" \(type.map { "\"\($0)\"" } ?? "of this shape") cannot be honoured: "
                        + "the qwen CLI answers in free text only; leave it out or use {\"type\": \"text\"}",
                    param: "response_format"
                )
            }
        }
        for name in unhonourableParameters {
            guard let value = body[name], isSet(value) else { continue }
            throw .refused(
                "unsupported_parameter",
                "\"\(name)\" cannot be honoured: the qwen CLI has no way to apply it; leave it out",
                param: name
            )
        }
    }

    /// Notes each sampling hint the request sets.
    private static func noteIgnoredSamplingParameters(_ body: JSONObject, ignored: inout [String]) {
        for name in ignoredSamplingParameters {
            guard let value = body[name], isSet(value) else { continue }
            ignored.append("\"\(name)\": the qwen CLI uses its own sampling settings")
        }
    }

    /// Whether a parameter asks for something: not `null`, `false`, `""`, `[]` or `{}`.
    private static func isSet(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool(false): false
        case .string(let text): !text.isEmpty
        case .array(let items): !items.isEmpty
        case .object(let object): object.count > 0
        default: true
        }
    }

    /// One validated message.
    private static func message(_ raw: JSONValue, index: Int) throws(ExecFailure) -> ChatMessage {
        let location = "messages[\(index)]"
        guard let object = raw.objectValue else {
            throw .refused("invalid_messages", "\(location) must be an object, not \(raw.typeName)", param: location)
        }
        guard let roleName = object["role"]?.stringValue else {
            throw .refused("invalid_messages", "\(location) has no string \"role\"", param: "\(location).role")
        }
        guard let role = ChatRole(rawValue: roleName) else {
            let reason: String
            switch roleName {
            case "tool", "function":
                reason = "\(location) has role \"\(roleName)\"; tool results cannot be carried by the text-only runner"
            default:
                reason = "\(location) has unknown role \"\(roleName)\"; expected system, developer, user or assistant"
            }
            throw .refused("unsupported_role", reason, param: "\(location).role")
        }
        if let calls = object["tool_calls"], calls.arrayValue?.isEmpty == false {
            throw .refused(
                "unsupported_content",
                "\(location) contains tool calls; the text-only runner cannot carry them",
                param: "\(location).tool_calls"
            )
        }
        if let call = object["function_call"], !call.isNull {
            throw .refused(
                "unsupported_content",
                "\(location) contains a function call; the text-only runner cannot carry it",
                param: "\(location).function_call"
            )
        }
        let name = object["name"]?.stringValue
        let text: String
        switch object["content"] {
        case .string(let content)?:
            text = content
        case .array(let parts)?:
            text = try joinedText(parts, messagePath: location)
        case nil, .null?:
            guard role == .assistant else {
                throw .refused("invalid_messages", "\(location) has no content", param: "\(location).content")
            }
            text = ""
        case let other?:
            throw .refused(
                "invalid_messages",
                "\(location).content must be a string or an array of parts, not \(other.typeName)",
                param: "\(location).content"
            )
        }
        return ChatMessage(role: role, name: name, text: text)
    }

    /// The text of a content-part array; any part that is not plain text refuses the request.
    private static func joinedText(_ parts: [JSONValue], messagePath: String) throws(ExecFailure) -> String {
        var texts: [String] = []
        for (index, part) in parts.enumerated() {
            let path = "\(messagePath).content[\(index)]"
            guard let object = part.objectValue else {
                throw .refused(
                    "unsupported_content",
                    "\(path) is a \(part.typeName), not a text part; qwen-sync exec is text-only and refuses the whole request",
                    param: path
                )
            }
            let type = object["type"]?.stringValue
            guard type == "text", let text = object["text"]?.stringValue else {
                let shown = type.map { "type \"\($0)\"" } ?? "no string type"
                let detail = type == "text" ? " without a string \"text\"" : ""
                throw .refused(
                    "unsupported_content",
                    "\(path) has \(shown)\(detail); qwen-sync exec is text-only and refuses the whole request",
                    param: path
                )
            }
            texts.append(text)
        }
        return texts.joined(separator: "\n")
    }
}
