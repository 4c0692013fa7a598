import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The default control socket: one per qwen directory, the documented path for `~/.qwen`.
@Suite("settings: one control socket per qwen directory")
struct ControlSocketLocationTests {
    private func settings(qwenDir: String? = nil, _ variables: [String: String]) throws -> Settings {
        try Settings.resolve(qwenDir: qwenDir, environment: ProcessEnvironment(variables))
    }

    @Test("~/.qwen, however it is named, keeps $XDG_RUNTIME_DIR/qwen-sync/control.sock")
    func defaultDirectory() throws {
        let environment = ["HOME": "/home/ann", "XDG_RUNTIME_DIR": "/run/user/1000"]
        for qwenDir in [nil, "/home/ann/.qwen", "/home/ann/./.qwen/"] as [String?] {
            let resolved = try settings(qwenDir: qwenDir, environment)
            #expect(resolved.qwenDirectoryIsDefault)
            #expect(resolved.socketPath == "/run/user/1000/qwen-sync/control.sock")
        }
        let viaEnvironment = try settings(environment.merging(["QWEN_HOME": "/home/ann/.qwen"]) { $1 })
        #expect(viaEnvironment.socketPath == "/run/user/1000/qwen-sync/control.sock")
    }

    @Test("another qwen dir gets control-<hash>.sock, different per directory and stable")
    func otherDirectories() throws {
        let environment = ["HOME": "/home/ann", "XDG_RUNTIME_DIR": "/run/user/1000"]
        let first = try settings(qwenDir: "/data/qwen", environment)
        let second = try settings(environment.merging(["QWEN_HOME": "/tmp/try-login"]) { $1 })
        #expect(!first.qwenDirectoryIsDefault && !second.qwenDirectoryIsDefault)
        #expect(first.socketPath.hasPrefix("/run/user/1000/qwen-sync/control-") && first.socketPath.hasSuffix(".sock"))
        // Pinned to the published FNV-1a 64 test vectors, so clients and daemons of any build agree.
        #expect(ControlSocketLocation.fileName(qwenDirectory: "", isDefault: false) == "control-cbf29ce484222325.sock", "FNV-1a offset basis")
        #expect(ControlSocketLocation.fileName(qwenDirectory: "a", isDefault: false) == "control-af63dc4c8601ec8c.sock", "FNV-1a 64 of \"a\"")
        #expect(first.socketPath != second.socketPath)
        #expect(first.socketPath != "/run/user/1000/qwen-sync/control.sock")
        #expect(try settings(qwenDir: "/data/qwen", environment).socketPath == first.socketPath)
    }

    @Test("without XDG_RUNTIME_DIR the folder is /tmp/qwen-sync-<uid>; --socket and QWEN_SYNC_SOCKET still win")
    func fallbackAndOverrides() throws {
        #expect(try settings(["HOME": "/h"]).socketPath == "/tmp/qwen-sync-\(getuid())/control.sock")
        #expect(try settings(qwenDir: "/elsewhere", ["HOME": "/h"]).socketPath.hasPrefix("/tmp/qwen-sync-\(getuid())/control-"))
        #expect(try settings(qwenDir: "/elsewhere", ["HOME": "/h", "QWEN_SYNC_SOCKET": "/s/x.sock"]).socketPath == "/s/x.sock")
        #expect(try settings(qwenDir: "/elsewhere", [:]).qwenDirectoryIsDefault == false, "no HOME: nothing is the default")
    }
}
