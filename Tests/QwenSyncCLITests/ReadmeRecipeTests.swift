import Foundation
import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The README's "Trying `login` against the stand-in server" block, run as a user would paste
/// it: with `sh`, from the repository, against the built products. Only the build line is
/// left out (the test runs on a build), and its `/tmp/qwen-try` paths are moved into a
/// temporary directory so that parallel runs never meet.
@Suite("README recipe")
struct ReadmeRecipeTests {
    static let repository = PathNormalizer.directory(of: PathNormalizer.directory(of: PathNormalizer.directory(of: #filePath)))

    /// The `sh` block after `<!-- recipe: standin -->` in README.md.
    static func recipe() throws -> String {
        let readme = try #require(try SecureFile.read(repository + "/README.md")).bytes
        let text = String(decoding: readme, as: UTF8.self)
        let marker = try #require(text.range(of: "<!-- recipe: standin -->\n```sh\n"))
        let end = try #require(text[marker.upperBound...].range(of: "```"))
        return String(text[marker.upperBound..<end.lowerBound])
    }

    @Test("the stand-in recipe runs as pasted: login, accounts, daemon, status, doctor")
    func standInRecipe() async throws {
        let scratch = try TemporaryDirectory(prefix: "qwen-recipe")
        defer { scratch.remove() }
        let script = try Self.recipe()
            .split(separator: "\n").filter { !$0.hasPrefix("swift build") }.joined(separator: "\n")
            .replacingAll("/tmp/qwen-try", with: scratch.appending("try"))
            .replacingAll(".build/debug/", with: BuiltProducts.directory + "/")
        #expect(script.contains("qwen-sync login"), "the recipe logs in")
        let outcome = try await runProduct(
            "/bin/sh", ["-e", "-c", script],
            environment: ["QWEN_HOME": nil, "QWEN_SYNC_SOCKET": nil, "QWEN_SYNC_OAUTH_BASE_URL": nil, "HOME": scratch.path]
        )
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)\n\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("try"), "accounts list shows the label: \(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("serves \(scratch.appending("try"))"), "doctor sees the daemon: \(outcome.standardOutput)")
        #expect(!outcome.standardOutput.contains("[fail]"))
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement`.
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
