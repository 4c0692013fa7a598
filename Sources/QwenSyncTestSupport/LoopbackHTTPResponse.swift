import QwenSyncCore

/// A response read by ``LoopbackHTTPClient``.
public struct LoopbackHTTPResponse: Sendable {
    /// The status code.
    public let status: Int
    /// The header fields in order.
    public let headers: [(name: String, value: String)]
    /// The body bytes.
    public let body: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as JSON.
    /// - Throws: `JSONParseError` when the body is not JSON.
    public func json() throws -> JSONValue { try JSON.parse(body) }

    /// `error` of a JSON error body, or `nil`.
    public var oauthError: String? { (try? json())?.objectValue?["error"]?.stringValue }
}
