import Glibc
import QwenControl
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// What `status` and `doctor` make of the daemon's typed status document, including the
/// optional sync-error and clock parts, with a server in this process answering the real
/// executables.
@Suite("status document end to end")
struct StatusDocumentEndToEndTests {
    /// Runs `qwen-sync arguments` while `server` answers `status` with `status`.
    private static func run(
        _ arguments: [String], serving status: DaemonStatus, on server: ControlServer, environment: [String: String?], directory: TemporaryDirectory
    ) throws -> (code: Int32?, output: String, error: String) {
        let name = arguments.joined(separator: "-")
        let process = try ChildProcess(
            BuiltProducts.path(of: "qwen-sync"), arguments, environment: environment, stdout: directory.appending("\(name).out"),
            stderr: directory.appending("\(name).err"))
        defer { process.kill() }
        let deadline = WallClock.monotonicMs() + 30_000
        while process.isRunning, WallClock.monotonicMs() < deadline {
            var descriptors = server.pollDescriptors
            _ = poll(&descriptors, nfds_t(descriptors.count), 20)
            server.service(descriptors, nowMs: WallClock.monotonicMs()) { request, _ in
                request == .status ? status.json : ControlReply.unsupported(request)
            }
        }
        return (process.exitCode, process.output, process.errorOutput)
    }

    @Test("a sync error and a clock jump reported by the daemon show in status (text and JSON) and fail doctor's daemon check")
    func syncErrorAndClock() throws {
        let directory = try TemporaryDirectory(prefix: "qwen-status-doc")
        defer { directory.remove() }
        let qwen = directory.appending("qwen")
        #expect(mkdir(qwen, 0o700) == 0)
        let server = try ControlServer(path: directory.appending("run/control.sock"))
        let nowMs = WallClock.nowMs()
        let status = DaemonStatus(
            daemon: .init(pid: 4242, version: QwenSyncVersion.current, uptimeSeconds: 60), qwenDirectory: qwen, activeAccount: nil, accounts: [],
            counters: .init(syncs: 1, refreshes: 0, refreshFailures: 0), locks: [], refreshInFlight: nil, lastEvent: nil, credentialsProblem: nil,
            syncError: .init(sinceMs: nowMs - 90_000, message: "oauth_creds.json: no space left on the device"),
            clock: .init(lastJumpAtMs: nowMs - 5_000, kind: "resume", stepSeconds: 3_600, action: "refreshed"))
        let environment: [String: String?] = [
            "QWEN_HOME": qwen, "QWEN_SYNC_SOCKET": directory.appending("run/control.sock"), "HOME": directory.path, "QWEN_CLI_PATH": "/nonexistent",
        ]

        let text = try Self.run(["status"], serving: status, on: server, environment: environment, directory: directory)
        #expect(text.code == 0, "\(text.error)")
        #expect(text.output.contains("qwen-sync daemon: running, pid 4242"), "\(text.output)")
        #expect(
            text.output.contains("error: cannot write the files since 1m ") && text.output.contains("s ago: oauth_creds.json: no space left on the device"),
            "\(text.output)")
        #expect(text.output.contains("the machine resumed ") && text.output.contains(" ago: refreshed"), "\(text.output)")

        let json = try Self.run(["status", "--json"], serving: status, on: server, environment: environment, directory: directory)
        #expect(json.code == 0)
        #expect(try DaemonStatus(json: JSON.parse(Array(json.output.utf8))) == status, "the JSON is the daemon's document, unchanged")

        let doctor = try Self.run(["doctor", "--json"], serving: status, on: server, environment: environment, directory: directory)
        let checks = try JSON.parse(Array(doctor.output.utf8)).objectValue?["checks"]?.arrayValue ?? []
        let daemonCheck = try #require(checks.compactMap(\.objectValue).first { $0["id"]?.stringValue == "daemon" }, "\(doctor.output)")
        #expect(daemonCheck["status"]?.stringValue == "fail")
        #expect(daemonCheck["message"]?.stringValue?.contains("cannot write the files since") == true, "\(daemonCheck)")
    }
}
