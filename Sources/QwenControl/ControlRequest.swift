import QwenSyncCore

/// One request on the control socket: a line of JSON such as `{"command":"status"}`.
///
/// The server decodes the line into this type and answers a line it cannot decode with
/// ``ControlReply/error(_:)``; clients encode it with ``json``.
public enum ControlRequest: Sendable, Equatable {
    /// The daemon's ``DaemonStatus``.
    case status
    /// `{"ok": true}`: a daemon answers here.
    case ping
    /// Refresh `accountID` (an id or label; the active account when `nil`) when `condition`
    /// says so and answer once it is done (``ControlRefreshReply``). A daemon that cannot do
    /// this answers ``ControlReply/unsupported(_:)`` or ``ControlReply/declined(_:)``, and the
    /// client refreshes under the locks itself.
    case refresh(accountID: String?, when: RefreshCondition = .forced(whileExpiryIs: nil))

    /// The commands a server knows, as named in the "unknown command" error.
    public static let commandNames = ["status", "ping", "refresh"]

    /// The request as it is sent (one line of compact JSON without the newline).
    public var json: JSONValue {
        switch self {
        case .status: ["command": "status"]
        case .ping: ["command": "ping"]
        case .refresh(let accountID, let condition):
            .object(JSONObject([("command", "refresh"), ("account", .optionalString(accountID))] + condition.jsonFields))
        }
    }

    /// Decodes a request line.
    ///
    /// - Throws: ``ControlProtocolError`` saying what is wrong with it, in words a client's
    ///   author can act on.
    public init(line: [UInt8]) throws(ControlProtocolError) {
        guard let value = try? JSON.parse(line), let object = value.objectValue else {
            throw ControlProtocolError("malformed request: send one line of JSON such as {\"command\":\"status\"}")
        }
        switch object["command"]?.stringValue {
        case "status": self = .status
        case "ping": self = .ping
        case "refresh":
            let account = object["account"]
            guard account == nil || account?.isNull == true || account?.stringValue != nil else {
                throw ControlProtocolError("malformed request: \"account\" must be an account id or label, or null for the active account")
            }
            self = .refresh(accountID: account?.stringValue, when: try RefreshCondition(object))
        default:
            throw ControlProtocolError("unknown command; supported: \(Self.commandNames.joined(separator: ", "))")
        }
    }
}

/// Replies that are not a status document.
public enum ControlReply {
    /// `{"ok": true}`, the answer to ``ControlRequest/ping``.
    public static let ok: JSONValue = ["ok": true]

    /// `{"error": message}`: the request was not served.
    public static func error(_ message: String) -> JSONValue { ["error": .string(message)] }

    /// `{"error": …, "unsupported": true}`: this daemon does not serve `request` (yet); the
    /// client does the work itself.
    public static func unsupported(_ request: ControlRequest) -> JSONValue {
        let command = request.json.objectValue?["command"]?.stringValue ?? "?"
        return .object(JSONObject([("error", .string("this daemon does not serve \(command) requests")), ("unsupported", true)]))
    }

    /// `{"error": message, "unsupported": true}`: this daemon will not serve the request now
    /// (it is preparing to sleep, has not read the files yet, does not know the account); the
    /// client does the work itself.
    public static func declined(_ message: String) -> JSONValue {
        .object(JSONObject([("error", .string(message)), ("unsupported", true)]))
    }

    /// Whether `reply` tells the client to do the work itself (``unsupported(_:)``, ``declined(_:)``).
    public static func isDeclined(_ reply: JSONValue) -> Bool { reply.objectValue?["unsupported"]?.boolValue == true }

    /// The `error` of a reply, if it is one.
    public static func errorMessage(of reply: JSONValue) -> String? { reply.objectValue?["error"]?.stringValue }
}

/// A request or reply on the control socket that does not follow the protocol.
public struct ControlProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, for the other side's author.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
