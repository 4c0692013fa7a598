import Foundation
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// A temporary qwen dir with credentials, the stand-in `qwen` CLI and its record file.
struct ExecFixture {
    /// The stand-in CLI (`Fixtures/fake-qwen`, which must be executable).
    static let fakeQwen = fixture("fake-qwen")
    /// The `openai` client check script.
    static let openAIClientCheck = fixture("openai-client-check.py")

    let directory: TemporaryDirectory
    var qwenDirectory: String { directory.appending("qwen") }
    /// Where the stand-in records its argv, working directory and settings.
    var recordPath: String { directory.appending("record.json") }

    init(accessToken: String? = "token-a") throws {
        directory = try TemporaryDirectory(prefix: "qwen-exec-test")
        try FileManager.default.createDirectory(atPath: directory.appending("qwen"), withIntermediateDirectories: false)
        if let accessToken {
            try writeCredentials(accessToken: accessToken)
        }
    }

    /// Writes `oauth_creds.json` with this access token.
    func writeCredentials(accessToken: String) throws {
        let credentials: JSONValue = [
            "access_token": .string(accessToken),
            "token_type": "Bearer",
            "refresh_token": .string("refresh-\(accessToken)"),
            "resource_url": "portal.qwen.ai",
            "expiry_date": .int(4_102_444_800_000),
        ]
        try Data(credentials.serializedBytes()).write(to: URL(fileURLWithPath: qwenDirectory + "/oauth_creds.json"))
    }

    /// The environment for `qwen-sync exec` with the stand-in in `mode`.
    func environment(mode: String = "echo", _ extra: [String: String?] = [:]) -> [String: String?] {
        var environment: [String: String?] = [
            "QWEN_CLI_PATH": Self.fakeQwen,
            "QWEN_HOME": qwenDirectory,
            "FAKE_QWEN_MODE": mode,
            "FAKE_QWEN_RECORD": recordPath,
            "QWEN_SYNC_LOG": "stderr",
            "OPENCODE_QWEN_ACCOUNTS_PATH": nil,
        ]
        environment.merge(extra) { $1 }
        return environment
    }

    /// Runs `qwen-sync exec` with a request on standard input.
    func exec(
        _ request: [UInt8],
        mode: String = "echo",
        arguments: [String] = [],
        environment extra: [String: String?] = [:]
    ) async throws -> ProcessOutcome {
        try await runProduct("qwen-sync", ["exec"] + arguments, environment: environment(mode: mode, extra), input: request)
    }

    /// Runs `qwen-sync exec` with a JSON request.
    func exec(
        _ request: JSONValue,
        mode: String = "echo",
        arguments: [String] = [],
        environment extra: [String: String?] = [:]
    ) async throws -> ProcessOutcome {
        try await exec(request.serializedBytes(.compact), mode: mode, arguments: arguments, environment: extra)
    }

    /// Whether the stand-in ran (it writes its record first thing).
    var cliWasSpawned: Bool { FileManager.default.fileExists(atPath: recordPath + ".pid") }

    /// What the stand-in recorded.
    func record() throws -> JSONObject {
        try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: recordPath)))).objectValue!
    }

    /// The argv the stand-in got (after the executable).
    func recordedArguments() throws -> [String] {
        try record()["argv"]!.arrayValue!.map { $0.stringValue! }
    }

    /// The stand-in's process id, which it writes first thing.
    func recordedPID() throws -> Int32 {
        try #require(Int32(try String(contentsOfFile: recordPath + ".pid", encoding: .utf8)))
    }

    /// The exact bytes the stand-in read from standard input.
    func recordedStandardInput() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: recordPath + ".stdin")))
    }

    func remove() { directory.remove() }

    /// A request with these messages.
    static func request(_ messages: [JSONValue], extra: [(String, JSONValue)] = []) -> JSONValue {
        .object(JSONObject([("model", "coder-model"), ("messages", .array(messages))] + extra))
    }

    /// One user message with string content.
    static func user(_ text: String) -> JSONValue { ["role": "user", "content": .string(text)] }

    /// The `error` object of an error document on standard output.
    static func error(in output: String) throws -> JSONObject {
        try #require(try JSON.parse(output).objectValue?["error"]?.objectValue)
    }

    private static func fixture(_ name: String, file: String = #filePath) -> String {
        PathNormalizer.directory(of: file) + "/Fixtures/" + name
    }
}

/// Whether process `pid` is gone or a zombie (no longer running), waiting up to 30 s for it.
func processEnds(_ pid: Int32) async -> Bool {
    await eventually(timeoutMs: 30_000) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // The state is the field after the parenthesised command name.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] == "Z"
    }
}
