import QwenSyncCore
import Testing

/// A strict line-by-line check of an OpenAI chat-completions SSE stream.
///
/// Every event is exactly one `data: ` line followed by a blank line, with `\n` line ends;
/// every event but the last is a `chat.completion.chunk` object with one id; the first delta
/// carries the assistant role; exactly one choice finishes; the last event is `data: [DONE]`.
/// Returns the concatenated content and the usage chunk, if any.
func checkSSEGrammar(_ text: String) throws -> (content: String, usage: JSONObject?) {
    #expect(!text.contains("\r"))
    #expect(text.hasSuffix("data: [DONE]\n\n"))
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    // Lines alternate: data line, blank line; the split leaves one empty string at the end.
    #expect(lines.count % 2 == 1 && lines.last == "")
    var payloads: [Substring] = []
    for (index, line) in lines.dropLast().enumerated() {
        if index % 2 == 0 {
            try #require(line.hasPrefix("data: "), "line \(index) is not a data line: \(line)")
            payloads.append(line.dropFirst(6))
        } else {
            try #require(line.isEmpty, "line \(index) should end the event")
        }
    }
    try #require(payloads.last == "[DONE]")
    var content = ""
    var ids: Set<String> = []
    var finishes = 0
    var usage: JSONObject?
    for (index, payload) in payloads.dropLast().enumerated() {
        let chunk = try #require(try JSON.parse(String(payload)).objectValue)
        #expect(chunk["object"] == "chat.completion.chunk")
        ids.insert(try #require(chunk["id"]?.stringValue))
        #expect(chunk["created"]?.int64Value != nil)
        #expect(chunk["model"]?.stringValue != nil)
        let choices = try #require(chunk["choices"]?.arrayValue)
        if let chunkUsage = chunk["usage"]?.objectValue {
            usage = chunkUsage
            #expect(choices.isEmpty)
        }
        for choice in choices {
            let delta = try #require(choice.objectValue?["delta"]?.objectValue)
            if index == 0 { #expect(delta["role"] == "assistant") }
            content += delta["content"]?.stringValue ?? ""
            if let reason = choice.objectValue?["finish_reason"]?.stringValue {
                #expect(reason == "stop")
                finishes += 1
            }
        }
    }
    #expect(ids.count == 1)
    #expect(finishes == 1)
    return (content, usage)
}
