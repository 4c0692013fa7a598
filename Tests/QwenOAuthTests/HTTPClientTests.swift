import QwenOAuth
import QwenSyncTestSupport
import Testing

/// Every request behaves the same in this process and in a `qwen-syncd --http-exchange` child.
@Suite("HTTPClient")
struct HTTPClientTests {
    static let isolations: [HTTPIsolation] = [.inProcess, .childProcess(executable: BuiltProducts.path(of: "qwen-syncd"))]

    @Test(arguments: isolations)
    func sendsAFormPostWithTheAgreedHeaders(isolation: HTTPIsolation) throws {
        let body = #"{"ok":true}"#
        let server = try OneShotServer(
            reply: Array(
                "HTTP/1.1 201 Created\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 3\r\nConnection: close\r\n\r\n\(body)".utf8
            ))
        let client = HTTPClient(userAgent: "qwen-sync/9.9", isolation: isolation)
        let response = try client.postForm(url: server.baseURL + "/p?q=1", fields: [("a b", "c&d")], headers: ["X-Extra": "1"])
        #expect(response.status == 201)
        #expect(response.body == Array(body.utf8))
        #expect(response.retryAfter == .seconds(3))
        let request = server.request()
        #expect(request.hasPrefix("POST /p?q=1 HTTP/1.1\r\n"))
        for header in [
            "Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
            "User-Agent: qwen-sync/9.9", "X-Extra: 1",
        ] {
            #expect(request.contains("\r\n\(header)\r\n"), "\(header)")
        }
        #expect(request.hasSuffix("\r\n\r\na%20b=c%26d"))
    }

    @Test(arguments: isolations)
    func refusesABodyOverOneMebibyte(isolation: HTTPIsolation) throws {
        let size = HTTPClient.responseBodyLimit + 1
        let server = try OneShotServer(
            reply: Array(
                "HTTP/1.1 200 OK\r\nContent-Length: \(size)\r\nConnection: close\r\n\r\n".utf8
            ) + [UInt8](repeating: UInt8(ascii: "x"), count: size))
        let error = try #require(throws: HTTPTransportError.self) {
            try HTTPClient(userAgent: "t", isolation: isolation).postForm(url: server.baseURL + "/", fields: [])
        }
        #expect(error == HTTPTransportError(.responseTooLarge, "response body larger than 1 MiB"))
    }
}
