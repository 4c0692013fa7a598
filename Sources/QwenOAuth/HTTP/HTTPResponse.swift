import QwenSyncCore
/// A complete HTTP response: status, headers and a body of at most 1 MiB.
public struct HTTPResponse: Sendable, Equatable {
    /// The HTTP status code of the final response.
    public let status: Int
    /// Header fields by lowercased name; a repeated field keeps its last value.
    public let headers: [String: String]
    /// The response body.
    public let body: [UInt8]

    /// Creates a response from its parts.
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of header `name` (any case), when present.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// `Retry-After` as a delay, when the server sent it as a number of seconds.
    ///
    /// The HTTP-date form is not interpreted: the servers this talks to send seconds, and
    /// a caller without a value falls back to its own backoff.
    public var retryAfter: Duration? {
        guard let value = header("retry-after"), let seconds = Int64(value.trimmingASCIIWhitespace()), seconds >= 0
        else { return nil }
        return .seconds(seconds)
    }
}
