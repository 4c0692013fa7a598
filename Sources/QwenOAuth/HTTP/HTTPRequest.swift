/// One form POST, as ``HTTPClient`` hands it to a transfer in this process or in a child.
struct HTTPRequest: Sendable, Equatable {
    /// An `http` or `https` URL.
    var url: String
    /// The form fields, in order.
    var fields: [(String, String)]
    /// Extra request headers by name.
    var headers: [String: String]
    /// The `User-Agent` header value.
    var userAgent: String
    /// The longest wait for the TCP (and TLS) connection, in milliseconds.
    var connectTimeoutMs: Int
    /// The longest the whole request may take, in milliseconds.
    var timeoutMs: Int

    static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.url == rhs.url && lhs.fields.elementsEqual(rhs.fields, by: ==) && lhs.headers == rhs.headers
            && lhs.userAgent == rhs.userAgent && lhs.connectTimeoutMs == rhs.connectTimeoutMs && lhs.timeoutMs == rhs.timeoutMs
    }
}
