import Foundation
import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The README's shell blocks, run as a user would paste them: unmodified, with `sh -e`, from the
/// top of the repository, in a scratch `HOME` (and `TMPDIR`, where `mktemp -d` makes the
/// recipe's private directory). Nothing in a block is rewritten.
@Suite("README recipe")
struct ReadmeRecipeTests {
    static let repository = PathNormalizer.directory(of: PathNormalizer.directory(of: PathNormalizer.directory(of: #filePath)))

    /// The `sh` block after `<!-- recipe: NAME -->` in README.md.
    static func block(_ name: String) throws -> String {
        let readme = try #require(try SecureFile.read(repository + "/README.md")).bytes
        let text = String(decoding: readme, as: UTF8.self)
        let marker = try #require(text.range(of: "<!-- recipe: \(name) -->\n```sh\n"))
        let end = try #require(text[marker.upperBound...].range(of: "```"))
        return String(text[marker.upperBound..<end.lowerBound])
    }

    /// Runs `script` with `sh -e` from the repository's top, as pasted there.
    static func run(_ script: String, environment: [String: String?]) async throws -> ProcessOutcome {
        try await runProduct("/bin/sh", ["-c", "cd \"$1\" && exec sh -e -c \"$2\"", "sh", repository, script], environment: environment)
    }

    /// The blocks name `.build/debug/`: it must be the build under test, or the test says why not.
    static var builtUnderDotBuildDebug: Bool {
        realpath(repository + "/.build/debug", nil).map { resolved in
            defer { free(resolved) }
            return String(cString: resolved) == BuiltProducts.directory
        } ?? false
    }

    @Test("the stand-in recipe runs as pasted: login, accounts, daemon, status, doctor")
    func standInRecipe() async throws {
        guard Self.builtUnderDotBuildDebug else {
            print("skipped: .build/debug is not the build under test (\(BuiltProducts.directory))")
            return
        }
        let scratch = try TemporaryDirectory(prefix: "qwen-recipe")
        defer { scratch.remove() }
        let script = try Self.block("standin")
        #expect(!script.contains("/tmp"), "the recipe uses a private directory, never /tmp itself")
        #expect(script.contains("qwen-sync login"), "the recipe logs in")
        let outcome = try await Self.run(
            script,
            environment: [
                "QWEN_HOME": nil, "QWEN_SYNC_SOCKET": nil, "QWEN_SYNC_OAUTH_BASE_URL": nil, "HOME": scratch.path, "TMPDIR": scratch.path,
            ])
        #expect(outcome.exitCode == 0, "\(outcome.standardOutput)\n\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("try"), "accounts list shows the label: \(outcome.standardOutput)")
        #expect(outcome.standardOutput.contains("serves \(scratch.path)/"), "doctor sees the daemon: \(outcome.standardOutput)")
        #expect(!outcome.standardOutput.contains("[fail]"))
    }

    @Test("the quick start's account block runs as pasted beside a daemon, with the stand-in in place of the closed service")
    func quickStart() async throws {
        guard Self.builtUnderDotBuildDebug else {
            print("skipped: .build/debug is not the build under test (\(BuiltProducts.directory))")
            return
        }
        let scratch = try TemporaryDirectory(prefix: "qwen-quickstart")
        defer { scratch.remove() }
        let server = try await StandInServer.start(arguments: ["--interval", "1", "--pending-polls", "1"])
        defer { server.stop() }
        let runtime = scratch.appending("run")
        #expect(mkdir(runtime, 0o700) == 0)
        #expect(mkdir(scratch.appending(".qwen"), 0o700) == 0)
        let environment: [String: String?] = [
            "QWEN_HOME": nil, "QWEN_SYNC_SOCKET": nil, "HOME": scratch.path, "TMPDIR": scratch.path, "XDG_RUNTIME_DIR": runtime,
            "QWEN_SYNC_OAUTH_BASE_URL": server.baseURL, "DISPLAY": nil, "WAYLAND_DISPLAY": nil,
        ]
        // The first block's `make daemon` leaves a daemon running in the foreground: start one.
        let daemon = try ChildProcess(BuiltProducts.path(of: "qwen-sync"), ["daemon"], environment: environment, stderr: scratch.appending("daemon.err"))
        #expect(await eventually { access(runtime + "/qwen-sync/control.sock", F_OK) == 0 }, "the daemon did not start")
        let outcome = try await Self.run(try Self.block("quickstart"), environment: environment)
        if outcome.exitCode != 0, outcome.standardError.contains("no systemd journal readable here") {
            print("quick start: every line but `logs` ran; no journal is readable here, so `logs -n 20` cannot")
        } else {
            #expect(outcome.exitCode == 0, "\(outcome.standardOutput)\n\(outcome.standardError)")
        }
        #expect(try server.counter("successful_logins") == 1)
        #expect(outcome.standardOutput.contains("serves \(scratch.path)/.qwen"), "doctor sees the daemon: \(outcome.standardOutput)")
        #expect(!outcome.standardOutput.contains("[fail]"), "\(outcome.standardOutput)")
        _ = await daemon.stop()
    }
}
