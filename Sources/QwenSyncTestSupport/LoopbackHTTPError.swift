/// Why ``LoopbackHTTPClient`` got no response.
public enum LoopbackHTTPError: Error, Equatable {
    /// `socket` or `connect` failed with this errno.
    case connectFailed(Int32)
    /// The server reset the connection.
    case connectionReset
    /// Nothing (or not everything) arrived within the timeout.
    case timedOut
    /// The server closed the connection without sending anything.
    case closedWithoutResponse
    /// The bytes received are not an HTTP/1.1 response.
    case malformedResponse
}
