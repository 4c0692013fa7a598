/// Why a device authorization did not produce tokens.
public enum DeviceFlowError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable HTTP response (timeout, refused, reset).
    case transport(HTTPTransportError)
    /// The server answered with an error the flow cannot continue from.
    case server(status: Int, summary: String)
    /// The server answered 200 with a body the flow cannot use.
    case invalidResponse(String)
    /// The user declined the authorization (`access_denied`).
    case accessDenied
    /// The device code expired (`expired_token`, or `expires_in` passed while polling).
    case expired
    /// The caller cancelled the login (e.g. Ctrl-C).
    case cancelled

    /// Whether polling again may succeed (transport failures, 5xx, 429, odd bodies).
    public var isTransient: Bool {
        switch self {
        case .transport(let error): error.kind != .libraryMissing
        case .invalidResponse: true
        case .server(let status, _): status >= 500 || status == 429
        case .accessDenied, .expired, .cancelled: false
        }
    }

    /// A one-line message for the user.
    public var description: String {
        switch self {
        case .transport(let error) where error.kind == .libraryMissing: error.description
        case .transport(let error): "could not reach the OAuth server: \(error.description)"
        case .server(_, let summary): "the OAuth server refused the request: \(summary)"
        case .invalidResponse(let what): "the OAuth server sent an unusable response: \(what)"
        case .accessDenied: "the authorization was denied in the browser"
        case .expired: "the device code expired before the authorization was approved; run login again"
        case .cancelled: "login cancelled"
        }
    }
}
