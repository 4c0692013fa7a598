import Glibc
import QwenOAuth
import QwenSyncTestSupport
import Testing

@Suite("BrowserOpener")
struct BrowserOpenerTests {
    /// A fake `xdg-open` that records its arguments and where its stdout points.
    private static func fakeXdgOpen(in directory: TemporaryDirectory) async throws {
        try await writeExecutableScript(
            directory.appending("xdg-open"),
            """
            target=$(readlink /proc/$$/fd/1)
            printf '%s\\n' "$#" "$1" "$target" > "\(directory.appending("record"))"
            """)
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var text = ""
        var buffer = [CChar](repeating: 0, count: 512)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            text += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text
    }

    @Test func opensWithXdgOpenWhenADisplayIsSet() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.fakeXdgOpen(in: directory)
        let url = "http://127.0.0.1:9/authorize?user_code=AB CD&x=$(touch pwned)"
        let opener = BrowserOpener(environment: ["PATH": directory.path + ":/usr/bin:/bin", "WAYLAND_DISPLAY": "wayland-0"])
        #expect(opener.hasDisplay)
        let pid = try #require(opener.open(url))
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(Self.read(directory.appending("record")) == "1\n\(url)\n/dev/null\n")
        #expect(access(directory.appending("pwned"), F_OK) != 0)
    }

    @Test func doesNothingWithoutADisplay() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.fakeXdgOpen(in: directory)
        let opener = BrowserOpener(environment: ["PATH": directory.path, "SSH_CONNECTION": "10.0.0.1 22 10.0.0.2 22"])
        #expect(!opener.hasDisplay)
        #expect(opener.open("https://chat.qwen.ai/authorize") == nil)
        #expect(BrowserOpener(environment: ["PATH": directory.path, "DISPLAY": ""]).open("https://x.test/") == nil)
        #expect(Self.read(directory.appending("record")) == nil)
    }

    @Test func refusesNonHTTPURLsAndAMissingXdgOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await Self.fakeXdgOpen(in: directory)
        let opener = BrowserOpener(environment: ["PATH": directory.path, "DISPLAY": ":0"])
        #expect(opener.open("file:///etc/passwd") == nil)
        #expect(opener.open("--help") == nil)
        #expect(BrowserOpener(environment: ["PATH": "/nonexistent", "DISPLAY": ":0"]).open("https://x.test/") == nil)
        #expect(Self.read(directory.appending("record")) == nil)
    }
}
