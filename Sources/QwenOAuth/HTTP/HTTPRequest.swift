import QwenSyncCore

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
    /// Where the process that receives the answer records a rotated refresh token before
    /// handing the answer on (token refreshes only).
    var rotationJournal: RotationJournal.Destination? = nil

    /// The refresh token this request presents, if any.
    var presentedRefreshToken: String? { fields.first { $0.0 == "refresh_token" }?.1 }

    /// Makes the transfer in this process, with the write-ahead around it: while it is in
    /// flight the journal is held shared (``RotationJournal/InFlight``), and a rotated refresh
    /// token in the answer is in the journal before this returns.
    func performRecordingRotation() throws(HTTPTransportError) -> HTTPResponse {
        guard let destination = rotationJournal, let presented = presentedRefreshToken else { return try CurlTransfer.perform(self) }
        let inFlight = RotationJournal.InFlight(path: destination.path)
        return try withExtendedLifetime(inFlight) { () throws(HTTPTransportError) in
            let response = try CurlTransfer.perform(self)
            destination.record(presented: presented, status: response.status, body: response.body, nowMs: WallClock.nowMs())
            return response
        }
    }

    static func == (lhs: HTTPRequest, rhs: HTTPRequest) -> Bool {
        lhs.url == rhs.url && lhs.fields.elementsEqual(rhs.fields, by: ==) && lhs.headers == rhs.headers
            && lhs.userAgent == rhs.userAgent && lhs.connectTimeoutMs == rhs.connectTimeoutMs && lhs.timeoutMs == rhs.timeoutMs
            && lhs.rotationJournal == rhs.rotationJournal
    }
}
