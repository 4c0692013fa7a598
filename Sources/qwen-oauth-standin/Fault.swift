import QwenSyncCore

/// An injected failure for the next token requests.
///
/// JSON: `{"kind": "status_429", "count": 2, "retry_after": 3, "delay_ms": 500, "grant_type": "refresh_token"}`;
/// only `kind` is required. A `tamper` fault also takes `fields`: `{"expires_in": 1e400,
/// "access_token": null}` sets those fields of the normal answer (`null` removes one). `count` defaults to 1; `grant_type` limits the fault to token
/// requests with that grant (`refresh_token` or `urn:ietf:params:oauth:grant-type:device_code`).
struct Fault: Sendable, Equatable {
    /// What the fault does to a token request.
    enum Kind: String, Sendable, CaseIterable {
        /// Waits `delay_ms`, then answers normally.
        case delay
        /// Never answers; the connection stays open until the client gives up.
        case hang
        /// Closes the connection with a TCP reset and no response.
        case reset
        /// 500 with a JSON error body.
        case status500 = "status_500"
        /// 429 with `Retry-After: <retry_after>`.
        case status429 = "status_429"
        /// 200 with a body that is not JSON.
        case garbage
        /// 401 `invalid_client`.
        case status401 = "status_401"
        /// 400 `invalid_grant`.
        case invalidGrant = "invalid_grant"
        /// Answers normally (the token rotates), after `delay_ms` (default 0), with `fields`
        /// changed in a successful answer's body.
        case tamper
        /// 400 with a plain-text body and no error code (a proxy, a gateway).
        case status400Bare = "status_400_bare"
        /// 502 with an HTML page (a gateway in front of the server).
        case html502 = "html_502"
    }

    /// What happens.
    let kind: Kind
    /// How many more token requests it applies to.
    var remaining: Int
    /// The delay for ``Kind/delay``, in milliseconds.
    let delayMilliseconds: Int
    /// The `Retry-After` seconds for ``Kind/status429``.
    let retryAfter: Int
    /// The grant type it is limited to, or `nil` for every token request.
    let grantType: String?
    /// For ``Kind/tamper``: the fields set in the answer (`null` removes one).
    let fields: JSONObject

    /// Reads a fault from its JSON object.
    /// - Throws: ``StandInError`` for an unknown kind, key or a mistyped value.
    init(json: JSONValue) throws(StandInError) {
        guard let object = json.objectValue else { throw StandInError("a fault must be an object") }
        for key in object.keys where !["kind", "count", "delay_ms", "retry_after", "grant_type", "fields"].contains(key) {
            throw StandInError("unknown fault key \(key)")
        }
        guard let name = object["kind"]?.stringValue, let kind = Kind(rawValue: name) else {
            let names = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw StandInError("fault kind must be one of \(names)")
        }
        self.kind = kind
        remaining = try Self.integer(object["count"], "count", default: 1)
        delayMilliseconds = try Self.integer(object["delay_ms"], "delay_ms", default: kind == .tamper ? 0 : 1000)
        if let value = object["fields"], !value.isNull {
            guard let fields = value.objectValue else { throw StandInError("fields must be an object") }
            self.fields = fields
        } else {
            fields = JSONObject()
        }
        retryAfter = try Self.integer(object["retry_after"], "retry_after", default: 1)
        if let grant = object["grant_type"], !grant.isNull {
            guard let text = grant.stringValue else { throw StandInError("grant_type must be a string") }
            grantType = text
        } else {
            grantType = nil
        }
    }

    /// The fault as JSON, with its remaining count.
    var json: JSONValue {
        var object = JSONObject([("kind", .string(kind.rawValue)), ("count", .int(Int64(remaining)))])
        if kind == .delay || kind == .tamper { object["delay_ms"] = .int(Int64(delayMilliseconds)) }
        if kind == .tamper { object["fields"] = .object(fields) }
        if kind == .status429 { object["retry_after"] = .int(Int64(retryAfter)) }
        if let grantType { object["grant_type"] = .string(grantType) }
        return .object(object)
    }

    /// The canned response for the faults that answer without processing, else `nil`.
    var response: HTTPResponse? {
        switch kind {
        case .delay, .hang, .reset, .tamper:
            return nil
        case .status500:
            return .oauthError(500, "server_error", "Internal server error")
        case .status429:
            var response = HTTPResponse.oauthError(429, "too_many_requests", "Rate limit exceeded")
            response.headers.append(("Retry-After", String(retryAfter)))
            return response
        case .garbage:
            var response = HTTPResponse(status: 200, body: Array("<html><body>upstream hiccup</body></html>".utf8))
            response.contentType = "text/html"
            return response
        case .status401:
            return .oauthError(401, "invalid_client", "Client authentication failed")
        case .invalidGrant:
            return .oauthError(400, "invalid_grant", "The provided authorization grant is invalid")
        case .status400Bare:
            var response = HTTPResponse(status: 400, body: Array("Bad Request".utf8))
            response.contentType = "text/plain"
            return response
        case .html502:
            var response = HTTPResponse(status: 502, body: Array("<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>".utf8))
            response.contentType = "text/html"
            return response
        }
    }

    private static func integer(_ value: JSONValue?, _ key: String, default fallback: Int) throws(StandInError) -> Int {
        guard let value else { return fallback }
        guard let number = value.int64Value, number >= 0 else { throw StandInError("\(key) must be a non-negative integer") }
        return Int(number)
    }
}

extension Fault {
    /// `response` with ``fields`` applied, when this is a ``Kind/tamper`` fault and the answer
    /// is a successful JSON object; otherwise `response` itself.
    func tampered(_ response: HTTPResponse) -> HTTPResponse {
        guard kind == .tamper, response.status == 200, var body = try? JSON.parse(response.body).objectValue else { return response }
        for (key, value) in fields { body[key] = value.isNull ? nil : value }
        return .json(response.status, .object(body))
    }
}
