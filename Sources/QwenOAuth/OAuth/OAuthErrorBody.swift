import QwenSyncCore

/// What an OAuth error response says: the `error` code and its description.
///
/// Understands the RFC 6749 shape `{"error": "invalid_grant", "error_description": "…"}`
/// and the API shape `{"error": {"code": "…", "message": "…"}}`.
struct OAuthErrorBody: Equatable {
    /// The error code, e.g. `authorization_pending`.
    let code: String?
    /// The human-readable description, unsanitized.
    let message: String?

    /// Parses `body`; `nil` when it is not a JSON object.
    init?(_ body: [UInt8]) {
        guard let object = try? JSON.parse(body).objectValue else { return nil }
        self.init(object)
    }

    /// Reads the error fields of `object`.
    init(_ object: JSONObject) {
        if let nested = object["error"]?.objectValue {
            code = nested["code"]?.stringValue ?? nested["type"]?.stringValue
            message = nested["message"]?.stringValue
        } else {
            code = object["error"]?.stringValue
            message = object["error_description"]?.stringValue ?? object["message"]?.stringValue
        }
    }

    /// `HTTP 400 invalid_request: Invalid refresh token or client_id`, sanitized.
    func summary(status: Int, secrets: [String]) -> String {
        var text = "HTTP \(status)"
        if let code { text += " " + SafeText.sanitize(code, secrets: secrets) }
        if let message, !message.isEmpty { text += ": " + SafeText.sanitize(message, secrets: secrets) }
        return text
    }
}
