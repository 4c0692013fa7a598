/// What the server does with a connection after routing its request.
enum ConnectionAction: Sendable {
    /// Sends this response and closes.
    case respond(HTTPResponse)
    /// Closes with a TCP reset and no response.
    case reset
    /// Never answers; waits for the client to give up.
    case hang
}
