import AsyncHTTPClient
import Glibc
import NIOCore
import NIOHTTP1
import QwenSyncCore

/// The Qwen API as the endpoint calls it: `<base URL>/chat/completions` with the account's
/// token and the headers qwen-code sends (`docs/INTEROP.md` §5, §10), over AsyncHTTPClient.
public struct Upstream: Sendable {
    /// `QwenCode/<version> (linux; <arch>)`, as `User-Agent` and `X-DashScope-UserAgent`.
    public static let userAgent: String = {
        var names = utsname()
        uname(&names)
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let arch = ["x86_64": "x64", "aarch64": "arm64"][machine] ?? machine
        return "QwenCode/\(QwenSyncVersion.current) (linux; \(arch))"
    }()

    /// The most of an error body read to judge it.
    static let errorBodyLimit = 64 << 10
    /// The most of a non-streamed answer passed on.
    static let answerLimit = 32 << 20

    let client: HTTPClient
    /// How long to wait for the upstream's response head.
    let headTimeout: TimeAmount

    /// An upstream over `client`.
    public init(client: HTTPClient, headTimeout: Duration) {
        self.client = client
        self.headTimeout = TimeAmount(headTimeout)
    }

    /// Sends `payload` with `account`'s token and returns the response with its head read.
    func send(_ payload: ChatPayload, bytes: [UInt8], as account: UpstreamAccount) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: account.baseURL + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(account.accessToken)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: payload.stream ? "text/event-stream" : "application/json")
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "X-DashScope-UserAgent", value: Self.userAgent)
        request.headers.add(name: "X-DashScope-AuthType", value: "qwen-oauth")
        request.headers.add(name: "X-DashScope-CacheControl", value: "enable")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await client.execute(request, timeout: headTimeout)
    }
}
