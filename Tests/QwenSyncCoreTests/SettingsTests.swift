import Glibc
import QwenSyncCore
import Testing

/// Where the files are, resolved from flags and the environment as `docs/CLI.md` says.
@Suite("Settings")
struct SettingsTests {
    @Test("--qwen-dir wins over QWEN_HOME, which wins over HOME/.qwen; paths are normalized")
    func qwenDirectory() throws {
        let environment = ProcessEnvironment(["QWEN_HOME": "/q/home/", "HOME": "/home/u"])
        #expect(try Settings.resolve(qwenDir: "/x/./y/../z", environment: environment).qwenDirectory == "/x/z")
        #expect(try Settings.resolve(environment: environment).qwenDirectory == "/q/home")
        #expect(try Settings.resolve(environment: ProcessEnvironment(["HOME": "/home/u"])).qwenDirectory == "/home/u/.qwen")
        #expect(try Settings.resolve(environment: ProcessEnvironment(["HOME": "/home/u", "QWEN_HOME": ""])).qwenDirectory == "/home/u/.qwen")
        let error = #expect(throws: SettingsError.self) { try Settings.resolve(environment: ProcessEnvironment([:])) }
        #expect(error?.description.contains("HOME") == true)
    }

    @Test(
        "paths are normalized lexically; an already normal absolute path comes back unchanged",
        arguments: [
            ("/", "/"), ("/a", "/a"), ("/a/b", "/a/b"), ("/a/...", "/a/..."), ("/a/.b", "/a/.b"), ("/a/", "/a"), ("//a", "/a"),
            ("/a//b", "/a/b"), ("/a/.", "/a"), ("/a/./b", "/a/b"), ("/a/..", "/"), ("/a/b/../c", "/a/c"), ("/..", "/"), ("/.", "/"),
        ])
    func normalizedPaths(path: String, expected: String) {
        #expect(PathNormalizer.absolute(path) == expected)
    }

    @Test("the live process environment answers as the snapshot does")
    func liveEnvironment() throws {
        let snapshot = ProcessEnvironment.current
        for name in ["HOME", "PATH", "QWEN_HOME", "QWEN_SYNC_SOCKET", "XDG_RUNTIME_DIR", "NO_SUCH_VARIABLE_SET"] {
            #expect(ProcessEnvironment.process[name] == snapshot[name], "\(name)")
        }
        #expect(ProcessEnvironment.process.variables == snapshot.variables)
        #expect(
            try Settings.resolve(environment: .process).socketPath == Settings.resolve(environment: snapshot).socketPath)
    }

    @Test("the file names inside the qwen dir")
    func fileNames() throws {
        let settings = try Settings.resolve(qwenDir: "/d", environment: ProcessEnvironment([:]))
        #expect(settings.credentialsPath == "/d/oauth_creds.json")
        #expect(settings.credentialsLockPath == "/d/oauth_creds.lock")
        #expect(settings.accountsPath == "/d/oauth_accounts.json")
        #expect(settings.accountsLockPath == "/d/oauth_accounts.lock")
        #expect(settings.sidecarPath == "/d/qwen-sync-accounts.json")
    }

    @Test("OPENCODE_QWEN_ACCOUNTS_PATH outside the qwen dir (or escaping it) is ignored with a warning")
    func accountsOverrideOutside() throws {
        for path in ["/d2/store.json", "/d/../etc/store.json", "/dd/store.json"] {
            let settings = try Settings.resolve(qwenDir: "/d", environment: ProcessEnvironment(["OPENCODE_QWEN_ACCOUNTS_PATH": path]))
            #expect(settings.accountsPath == "/d/oauth_accounts.json", "\(path)")
            #expect(settings.warnings.count == 1, "\(path)")
        }
    }

    @Test(
        "quota cooldown: default 24 h, values below 1000, above a year or not numbers fall back with a warning",
        arguments: [
            (nil, 86_400_000, 0), ("5000", 5_000, 0), ("1000", 1_000, 0), ("999", 86_400_000, 1), ("soon", 86_400_000, 1),
            ("31536000000", 31_536_000_000, 0), ("31536000001", 86_400_000, 1), ("9223372036854775807", 86_400_000, 1),
            ("99999999999999999999", 86_400_000, 1),
        ] as [(String?, Int64, Int)])
    func quotaCooldown(text: String?, expected: Int64, warnings: Int) throws {
        let environment = ProcessEnvironment(text.map { ["OPENCODE_QWEN_QUOTA_COOLDOWN_MS": $0] } ?? [:])
        let settings = try Settings.resolve(qwenDir: "/d", environment: environment)
        #expect(settings.quotaCooldown == .milliseconds(expected))
        #expect(settings.warnings.count == warnings)
    }

    @Test("socket and OAuth server defaults and overrides")
    func socketAndServer() throws {
        let defaults = try Settings.resolve(environment: ProcessEnvironment(["HOME": "/h", "XDG_RUNTIME_DIR": "/run/user/7"]))
        #expect(defaults.socketPath == "/run/user/7/qwen-sync/control.sock")
        #expect(defaults.oauthBaseURL == "https://chat.qwen.ai")
        #expect(defaults.oauthClientID == Settings.defaultClientID)
        let bare = try Settings.resolve(environment: ProcessEnvironment(["HOME": "/h"]))
        #expect(bare.socketPath == "/tmp/qwen-sync-\(getuid())/control.sock")
        let overridden = try Settings.resolve(
            qwenDir: "/d", socket: "/s.sock", oauthBaseURL: "http://127.0.0.1:9",
            environment: ProcessEnvironment([
                "QWEN_SYNC_SOCKET": "/env.sock", "QWEN_SYNC_OAUTH_BASE_URL": "http://env", "QWEN_SYNC_OAUTH_CLIENT_ID": "cid",
            ]))
        #expect(overridden.socketPath == "/s.sock")
        #expect(overridden.oauthBaseURL == "http://127.0.0.1:9")
        #expect(overridden.oauthClientID == "cid")
    }
}
