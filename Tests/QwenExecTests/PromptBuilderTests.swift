import QwenExec
import Testing

@Suite("Prompt building")
struct PromptBuilderTests {
    @Test("a single user turn goes to stdin byte for byte, system text to the system prompt")
    func singleTurn() {
        let text = "-p --yolo\n\u{0}\u{1F600} trailing space "
        let prompt = PromptBuilder.prompt(for: [
            ChatMessage(role: .system, text: "Rule one."),
            ChatMessage(role: .developer, text: "Rule two."),
            ChatMessage(role: .user, text: text),
        ])
        #expect(prompt.standardInput == Array(text.utf8))
        #expect(prompt.systemPrompt == "Rule one.\n\nRule two.")
    }

    @Test("a conversation becomes a labelled transcript with the last user turn last")
    func transcript() {
        let prompt = PromptBuilder.prompt(for: [
            ChatMessage(role: .user, name: "ann", text: "Hi"),
            ChatMessage(role: .assistant, text: "Hello"),
            ChatMessage(role: .user, text: "Last question?"),
        ])
        #expect(prompt.systemPrompt == nil)
        #expect(String(decoding: prompt.standardInput, as: UTF8.self) == "[User ann]\nHi\n\n[Assistant]\nHello\n\n[User]\nLast question?")
    }
}
