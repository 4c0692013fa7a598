import QwenSyncCore

/// An HTTP/1.1 response the stand-in sends, always with `Connection: close`.
struct HTTPResponse: Sendable {
    /// The status code.
    let status: Int
    /// Extra header fields (`Content-Type`, `Content-Length` and `Connection` are added).
    var headers: [(name: String, value: String)] = []
    /// The content type of `body`.
    var contentType = "application/json"
    /// The body bytes.
    let body: [UInt8]

    /// A JSON response.
    static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, body: value.serializedBytes(.compact))
    }

    /// An OAuth error response: `{"error": code, "error_description": description}`.
    static func oauthError(_ status: Int, _ code: String, _ description: String) -> HTTPResponse {
        json(status, ["error": .string(code), "error_description": .string(description)])
    }

    /// The bytes on the wire.
    var serialized: [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(for: status))\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    private static func reason(for status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        default: "Status"
        }
    }
}

/// What the server does with a connection after routing its request.
enum ConnectionAction: Sendable {
    /// Sends this response and closes.
    case respond(HTTPResponse)
    /// Closes with a TCP reset and no response.
    case reset
    /// Never answers; waits for the client to give up.
    case hang
}
