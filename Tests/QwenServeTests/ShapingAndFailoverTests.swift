import QwenServe
import QwenSyncCore
import Testing

/// The pure decisions of the endpoint: what is forwarded, and what follows each upstream answer.
@Suite("serve: payload shaping and failover decisions")
struct ShapingAndFailoverTests {
    static func payload(_ json: String) throws(ServeError) -> ChatPayload { try ChatPayload(bytes: Array(json.utf8)) }

    @Test("max_tokens is capped per model, reasoning fields are stripped, the rest keeps its order")
    func shaping() throws {
        let coder = try Self.payload(
            #"{"model":"coder-model","messages":[{"role":"user","content":"hi"}],"reasoning":{"x":1},"max_tokens":100000,"reasoningEffort":"high","reasoning_effort":"low","temperature":0.2}"#
        )
        #expect(coder.body.members.map { $0.key } == ["model", "messages", "max_tokens", "temperature"])
        #expect(coder.body["max_tokens"] == 65_536)
        let vision = try Self.payload(#"{"model":"vision-model","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":9000}"#)
        #expect(vision.body["max_completion_tokens"] == 8_192)
        let small = try Self.payload(#"{"model":"vision-model","messages":[{"role":"user","content":"hi"}],"max_tokens":100}"#)
        #expect(small.body["max_tokens"] == 100)
        let unnamed = try Self.payload(#"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#)
        #expect(unnamed.model == "coder-model")
        #expect(unnamed.stream)
    }

    @Test("multimodal is any non-text content part")
    func multimodal() throws {
        #expect(try !Self.payload(#"{"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]}"#).isMultimodal)
        #expect(try Self.payload(#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}"#).isMultimodal)
        #expect(try Self.payload(#"{"messages":[{"role":"user","content":[{"type":"input_audio"}]}]}"#).isMultimodal)
    }

    @Test(
        "bad bodies are 400 with a reason",
        arguments: ["{", "[]", #"{"messages":[]}"#, #"{"messages":[{}],"stream":"yes"}"#, #"{"messages":[{}],"max_tokens":"many"}"#])
    func badBodies(_ json: String) {
        #expect(throws: ServeError.self) { try Self.payload(json) }
        do { _ = try Self.payload(json) } catch { #expect(error.status == 400) }
    }

    @Test("upstream answers are classified as INTEROP §6 and §10 say")
    func classification() {
        let quota = #"{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}"#
        #expect(UpstreamVerdict.classify(status: 200, body: "") == .success)
        #expect(UpstreamVerdict.classify(status: 429, body: quota) == .quotaExhausted)
        #expect(UpstreamVerdict.classify(status: 403, body: quota) == .quotaExhausted)
        #expect(UpstreamVerdict.classify(status: 403, body: "{}") == .authRejected)
        #expect(UpstreamVerdict.classify(status: 401, body: quota) == .authRejected)
        #expect(UpstreamVerdict.classify(status: 429, body: "slow down") == .transient)
        #expect(UpstreamVerdict.classify(status: 503, body: "") == .transient)
        #expect(UpstreamVerdict.classify(status: 400, body: "") == .clientError)
    }

    @Test("401 refreshes once per account; transient failures retry with the backoff, then move on")
    func plan() {
        var plan = FailoverPlan(backoff: [.milliseconds(10), .milliseconds(20)])
        #expect(plan.step(after: .authRejected, account: "a") == .refreshAndRetry)
        #expect(plan.step(after: .authRejected, account: "a") == .moveOn)
        #expect(plan.step(after: .authRejected, account: "b") == .refreshAndRetry)
        #expect(plan.step(after: .transient, account: "b") == .retry(after: .milliseconds(10)))
        #expect(plan.step(after: .transient, account: "b") == .retry(after: .milliseconds(20)))
        #expect(plan.step(after: .transient, account: "b") == .moveOn)
        #expect(plan.step(after: .quotaExhausted, account: "c") == .markExhaustedAndMoveOn)
        #expect(plan.step(after: .clientError, account: "c") == .deliver)
        #expect(plan.retries == 7)
    }
}
