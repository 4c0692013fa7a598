import QwenSyncCore

/// An answer the endpoint gives instead of a completion, in the OpenAI error shape
/// `{"error":{"message","type","code","param"}}` so the official SDKs raise the right exception.
/// Never holds a token or the request's text.
public struct ServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status.
    public let status: Int
    /// `error.type`.
    public let type: String
    /// `error.code`.
    public let code: String
    /// `error.message`, one line.
    public let message: String
    /// `error.param`, when one field is to blame.
    public let param: String?

    /// An error with these parts.
    public init(status: Int, type: String, code: String, message: String, param: String? = nil) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
    }

    /// 400: the request cannot be read.
    public static func badRequest(_ message: String, param: String? = nil) -> ServeError {
        ServeError(status: 400, type: "invalid_request_error", code: "invalid_request", message: message, param: param)
    }

    /// 413: the body is over `limit` bytes.
    public static func tooLarge(limit: Int) -> ServeError {
        ServeError(
            status: 413, type: "invalid_request_error", code: "request_too_large", message: "the request body is over the limit of \(limit) bytes")
    }

    /// 401: the caller did not give the endpoint's key.
    public static let unauthorized = ServeError(
        status: 401, type: "invalid_request_error", code: "invalid_api_key",
        message: "missing or wrong API key: use `Authorization: Bearer <key>` with the key `qwen-sync serve --print-env` shows")

    /// 401: there is no account at all.
    public static let noAccount = ServeError(
        status: 401, type: "invalid_request_error", code: "login_required", message: "no Qwen account on this machine: run `qwen-sync login`")

    /// 404: an unknown route.
    public static func notFound(_ method: String, _ path: String) -> ServeError {
        ServeError(
            status: 404, type: "invalid_request_error", code: "unknown_url",
            message: "no route \(method) \(TerminalSafe.text(path)); this endpoint serves POST /v1/chat/completions, GET /v1/models and GET /healthz")
    }

    /// 502: the upstream answered something that is not a chat completion.
    public static func badGateway(_ reason: String) -> ServeError {
        ServeError(status: 502, type: "api_error", code: "bad_upstream_response", message: "the Qwen API answered badly: \(reason)")
    }

    /// 429: every account is out of quota and the request cannot go to the `qwen` CLI.
    public static func exhaustedMultimodal(_ why: String) -> ServeError {
        ServeError(
            status: 429, type: "insufficient_quota", code: "insufficient_quota",
            message: "\(why); the `qwen` CLI fallback answers text only and refuses images, audio and files")
    }

    /// The JSON document.
    public var document: JSONValue {
        .object(
            JSONObject([
                (
                    "error",
                    .object(
                        JSONObject([
                            ("message", .string(message)), ("type", .string(type)), ("code", .string(code)), ("param", .optionalString(param)),
                        ]))
                )
            ]))
    }

    public var description: String { "\(status) \(code): \(message)" }
}

/// Text from a request made safe for a message: printable ASCII only, at most 100 characters.
enum TerminalSafe {
    static func text(_ raw: String) -> String {
        String(String.UnicodeScalarView(raw.unicodeScalars.prefix(100).map { (0x20..<0x7F).contains($0.value) ? $0 : "?" }))
    }
}
