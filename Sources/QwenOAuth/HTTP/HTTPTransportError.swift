/// A request that produced no usable HTTP response.
///
/// The description says what happened ("timed out after 8 s", "connection refused") and
/// never contains the request URL's query, the request body or the response body.
public struct HTTPTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers that branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// The connect or total timeout elapsed.
        case timedOut
        /// The TCP connection could not be established (refused, unreachable, unresolvable host).
        case connectFailed
        /// The peer reset or closed the connection before the response was complete.
        case connectionReset
        /// The response body exceeded ``HTTPClient/responseBodyLimit``.
        case responseTooLarge
        /// TLS negotiation or certificate verification failed.
        case tls
        /// libcurl is not installed (the description names the soname and the Debian package).
        case libraryMissing
        /// Any other libcurl failure.
        case other
    }

    /// The failure class.
    public let kind: Kind
    /// A one-line, secret-free explanation.
    public let description: String

    /// Creates an error of `kind` explained by `description`.
    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}
