/// Why a request could not be read from a connection.
enum RequestReadError: Error {
    /// The peer closed the connection (or it failed) before a whole request arrived.
    case closed
    /// The peer sent nothing for the read timeout.
    case timedOut
    /// The request is over the size cap.
    case tooLarge
    /// The request has no `Content-Length` (chunked bodies are not supported).
    case lengthRequired
    /// The request line or a header is malformed.
    case malformed

    /// The response to send for this failure, or `nil` to just close the connection.
    var response: HTTPResponse? {
        switch self {
        case .closed: nil
        case .timedOut: .oauthError(408, "invalid_request", "Request timeout")
        case .tooLarge: .oauthError(413, "invalid_request", "Request too large")
        case .lengthRequired: .oauthError(411, "invalid_request", "Content-Length required")
        case .malformed: .oauthError(400, "invalid_request", "Malformed HTTP request")
        }
    }
}
