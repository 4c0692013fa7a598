import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// Shell completion of account references, called the way the generated bash script calls it:
/// `qwen-sync ---completion logs -- --account CWORD CURSOR words…`.
@Suite("completion of account ids and labels")
struct AccountCompletionTests {
    @Test("ids and labels with the typed prefix, from the store named by --qwen-dir, never a token")
    func completesAccounts() async throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        var id = ""
        try fixture.change { state in
            id = state.accounts.activeAccountID!
            state.sidecar.notes[id, default: .init()].label = "work"
        }
        func complete(_ word: String) async throws -> [String] {
            let words = ["qwen-sync", "logs", "--qwen-dir", fixture.qwenDirectory, "--account", word]
            let outcome = try await runProduct(
                "qwen-sync", ["---completion", "logs", "--", "--account", "5", "\(word.count)"] + words,
                environment: ["QWEN_HOME": nil, "HOME": fixture.home]
            )
            #expect(outcome.exitCode == 0, "\(outcome.standardError)")
            #expect(!outcome.standardOutput.contains("SECRET"))
            return outcome.standardOutput.split(separator: "\n").map(String.init)
        }
        #expect(try await complete("") == [id, "work"])
        #expect(try await complete("wo") == ["work"])
        #expect(try await complete("acct_") == [id])
        #expect(try await complete("zzz") == [])
    }
}
