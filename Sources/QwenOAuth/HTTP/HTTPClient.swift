import QwenSyncCore

/// A blocking HTTP client: one form POST per call, over libcurl.
///
/// Each call runs one transfer and returns when it is complete or has failed: the daemon is a
/// single poll loop (refreshes run on its worker thread) and the CLI is short-lived, so nothing
/// here is asynchronous. Every transfer is bounded by ``connectTimeout`` and a total timeout, so
/// a refresh made under `oauth_creds.lock` cannot outlive the 10 s the other clients wait
/// before they judge the lock stale. Redirects are not followed. Where the transfer runs is
/// ``isolation``: in this process, where libcurl is loaded on the first request, or in a
/// short-lived child, so this process never loads it.
public struct HTTPClient: Sendable {
    /// The largest response body accepted (1 MiB); a bigger one fails the request.
    public static let responseBodyLimit = 1 << 20

    /// The `User-Agent` header value, e.g. `qwen-sync/1.0.0`.
    public var userAgent: String
    /// The longest wait for the TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// Which process makes the transfers.
    public var isolation: HTTPIsolation

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - userAgent: the `User-Agent` header value.
    ///   - connectTimeout: the longest wait for a connection (default 3 s).
    ///   - isolation: which process makes the transfers (default this one).
    public init(userAgent: String, connectTimeout: Duration = .seconds(3), isolation: HTTPIsolation = .inProcess) {
        self.userAgent = userAgent
        self.connectTimeout = connectTimeout
        self.isolation = isolation
    }

    /// POSTs `fields` form-encoded to `url` and returns the response, whatever its status.
    ///
    /// Sends `Accept: application/json` and the client's `User-Agent` in addition to
    /// `headers`. An HTTP error status is a normal result, not a thrown error.
    ///
    /// - Parameters:
    ///   - url: an `http` or `https` URL.
    ///   - fields: the form fields, in order.
    ///   - headers: extra request headers by name.
    ///   - timeout: the longest the whole request may take (default 8 s).
    ///   - rotationJournal: for a token refresh, where the process that receives the answer
    ///     records a rotated refresh token before anything else happens to it.
    /// - Throws: ``HTTPTransportError`` when no complete response arrived in time, or
    ///   (kind ``HTTPTransportError/Kind/libraryMissing``) when libcurl cannot be loaded.
    public func postForm(
        url: String,
        fields: [(String, String)],
        headers: [String: String] = [:],
        timeout: Duration = .seconds(8),
        rotationJournal: RotationJournal.Destination? = nil
    ) throws(HTTPTransportError) -> HTTPResponse {
        let request = HTTPRequest(
            url: url, fields: fields, headers: headers, userAgent: userAgent,
            connectTimeoutMs: Int(connectTimeout.inMilliseconds), timeoutMs: Int(timeout.inMilliseconds), rotationJournal: rotationJournal)
        switch isolation {
        case .inProcess: return try request.performRecordingRotation()
        case .childProcess(let executable): return try HTTPExchange.perform(request, executable: executable)
        }
    }
}
