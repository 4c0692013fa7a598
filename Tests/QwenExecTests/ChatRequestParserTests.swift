import QwenExec
import QwenSyncCore
import Testing

@Suite("Chat request parsing and the text-only guard")
struct ChatRequestParserTests {
    /// Content parts that are not text, and the type the error must name.
    static let nonTextParts: [(JSONValue, String)] = [
        (["type": "image_url", "image_url": ["url": "data:image/png;base64,AAAA"]], "\"image_url\""),
        (["type": "input_audio", "input_audio": ["data": "AAAA", "format": "wav"]], "\"input_audio\""),
        (["type": "file", "file": ["file_id": "file-1"]], "\"file\""),
        (["type": "video", "video": ["url": "https://example.invalid/v.mp4"]], "\"video\""),
        (["type": "image", "image": "AAAA"], "\"image\""),
        (["type": "hologram", "data": "?"], "\"hologram\""),
        (["type": "text"], "without a string \"text\""),
        (["type": "text", "text": ["nested": true]], "without a string \"text\""),
        (["text": "no type"], "no string type"),
        ("bare string", "not a text part"),
    ]

    @Test("every non-text part refuses the whole request, naming the message and part", arguments: nonTextParts.indices)
    func nonTextPartIsRefused(index: Int) throws {
        let (part, named) = Self.nonTextParts[index]
        let request: JSONValue = [
            "messages": [
                ["role": "system", "content": "Be brief."],
                ["role": "user", "content": [["type": "text", "text": "What is this?"], part]],
            ]
        ]
        let error = #expect(throws: ExecFailure.self) { try ChatRequestParser.parse(request.serializedBytes()) }
        #expect(error?.exitCode == 4)
        #expect(error?.code == "unsupported_content")
        #expect(error?.param == "messages[1].content[1]")
        #expect(error?.message.contains("messages[1].content[1]") == true)
        #expect(error?.message.contains(named) == true, "\(error?.message ?? "")")
    }

    @Test("string content and text parts pass; parts are joined with newlines")
    func textPasses() throws {
        let request: JSONValue = [
            "model": "qwen3-coder-plus",
            "stream": true,
            "stream_options": ["include_usage": true],
            "messages": [
                ["role": "developer", "content": "Rules."],
                ["role": "user", "name": "ann", "content": [["type": "text", "text": "one"], ["type": "text", "text": "two"]]],
                ["role": "assistant", "content": nil],
                ["role": "user", "content": "three"],
            ],
        ]
        let parsed = try ChatRequestParser.parse(request.serializedBytes())
        #expect(parsed.model == "qwen3-coder-plus")
        #expect(parsed.stream && parsed.includeUsageInStream)
        #expect(
            parsed.messages == [
                ChatMessage(role: .developer, text: "Rules."),
                ChatMessage(role: .user, name: "ann", text: "one\ntwo"),
                ChatMessage(role: .assistant, text: ""),
                ChatMessage(role: .user, text: "three"),
            ])
        #expect(parsed.ignored.isEmpty)
    }

    /// Malformed or unsupported requests and the error code each must give.
    static let refusals: [(String, String)] = [
        ("{\"messages\": [", "invalid_json"),
        ("", "invalid_json"),
        ("[1, 2]", "invalid_request"),
        ("{}", "missing_messages"),
        ("{\"messages\": []}", "missing_messages"),
        ("{\"messages\": \"hi\"}", "invalid_messages"),
        ("{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "unsupported_role"),
        ("{\"messages\": [{\"role\": \"tool\", \"tool_call_id\": \"1\", \"content\": \"42\"}]}", "unsupported_role"),
        ("{\"messages\": [{\"content\": \"hi\"}]}", "invalid_messages"),
        ("{\"messages\": [{\"role\": \"user\"}]}", "invalid_messages"),
        ("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "invalid_messages"),
        ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}", "invalid_messages"),
        ("{\"messages\": [{\"role\": \"system\", \"content\": \"only rules\"}]}", "invalid_messages"),
        (
            "{\"messages\": [{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"1\"}]}, {\"role\": \"user\", \"content\": \"hi\"}]}",
            "unsupported_content"
        ),
        (
            "{\"tool_choice\": \"required\", \"tools\": [{\"type\": \"function\"}], \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "tool_call_required"
        ),
        (
            "{\"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"f\"}}, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
            "tool_call_required"
        ),
        ("{\"function_call\": {\"name\": \"f\"}, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "tool_call_required"),
        ("{\"n\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "unsupported_parameter"),
        ("{\"modalities\": [\"text\", \"audio\"], \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "unsupported_parameter"),
        ("{\"stream\": \"yes\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "invalid_request"),
    ]

    @Test("malformed and unsupported requests are refused with exit 4", arguments: refusals.indices)
    func refused(index: Int) {
        let (body, code) = Self.refusals[index]
        let error = #expect(throws: ExecFailure.self) { try ChatRequestParser.parse(Array(body.utf8)) }
        #expect(error?.exitCode == 4)
        #expect(error?.type == "invalid_request_error")
        #expect(error?.code == code, "\(body): \(error?.message ?? "")")
    }

    @Test("optional tools are accepted and reported as ignored")
    func optionalToolsAreNoted() throws {
        let body =
            "{\"tool_choice\": \"auto\", \"tools\": [{\"type\": \"function\"}, {\"type\": \"function\"}], \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"
        let parsed = try ChatRequestParser.parse(Array(body.utf8))
        #expect(parsed.ignored.count == 1)
        #expect(parsed.ignored.first?.contains("2 offered") == true)
    }

    @Test("a body over the size limit is refused before parsing")
    func tooLarge() {
        let error = #expect(throws: ExecFailure.self) { try ChatRequestParser.parse(Array(repeating: 0x20, count: 101), sizeLimit: 100) }
        #expect(error?.code == "request_too_large")
        #expect(error?.exitCode == 4)
    }
}
