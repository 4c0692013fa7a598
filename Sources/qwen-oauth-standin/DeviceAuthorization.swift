/// A device code handed out by `POST /api/v1/oauth2/device/code`.
struct DeviceAuthorization: Sendable {
    /// The PKCE challenge the client sent.
    let codeChallenge: String
    /// The scope the client asked for.
    let scope: String
    /// When the code stops working, in monotonic milliseconds.
    let expiresAt: Int64
    /// How many polls were answered `authorization_pending`.
    var pendingAnswered = 0
    /// When the code was last polled, in monotonic milliseconds.
    var lastPolledAt: Int64?
    /// Whether tokens were already issued for this code.
    var redeemed = false
}
