import QwenExec
import QwenSyncCore
import Testing

@Suite("chat.completion and SSE encoding")
struct ChatCompletionEncoderTests {
    let encoder = ChatCompletionEncoder(id: "chatcmpl-test", created: 1_795_300_000, model: "coder-model")
    let answer = CLIAnswer(text: "line one\nline two: \"quoted\" data: [DONE]", usage: TokenUsage(promptTokens: 3, completionTokens: 4, totalTokens: 7))

    @Test("a completion has id, created, model, the message, finish_reason and usage")
    func completion() throws {
        let document = try #require(encoder.completion(answer).objectValue)
        #expect(document["id"] == "chatcmpl-test")
        #expect(document["object"] == "chat.completion")
        #expect(document["created"] == .int(1_795_300_000))
        #expect(document["model"] == "coder-model")
        let choice = try #require(document["choices"]?.arrayValue?.first?.objectValue)
        #expect(choice["message"] == ["role": "assistant", "content": .string(answer.text)])
        #expect(choice["finish_reason"] == "stop")
        #expect(document["usage"] == ["prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7])
        #expect(encoder.completion(CLIAnswer(text: "x", usage: nil)).objectValue?["usage"] == nil)
    }

    @Test("the stream obeys the SSE grammar, carries the whole text and ends with [DONE]")
    func stream() throws {
        let parsed = try checkSSEGrammar(encoder.stream(answer, includeUsage: true))
        #expect(parsed.content == answer.text)
        #expect(parsed.usage?["total_tokens"] == 7)
        let plain = try checkSSEGrammar(encoder.stream(answer, includeUsage: false))
        #expect(plain.usage == nil)
    }

    @Test("ids are chatcmpl- and unique")
    func ids() {
        let first = ChatCompletionEncoder.makeID()
        #expect(first.hasPrefix("chatcmpl-") && first.count == 33)
        #expect(first != ChatCompletionEncoder.makeID())
    }
}
