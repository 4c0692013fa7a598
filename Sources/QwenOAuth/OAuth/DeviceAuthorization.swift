import QwenSyncCore

/// The server's answer to a device-code request: what the user must visit and enter.
public struct DeviceAuthorization: Sendable, Equatable, CustomStringConvertible {
    /// The `device_code` (secret: it is sent only with polls, never shown).
    public let deviceCode: String
    /// The code the user types on the verification page.
    public let userCode: String
    /// The page where the user enters ``userCode``.
    public let verificationURI: String
    /// The page with the user code filled in, when the server sent one.
    public let verificationURIComplete: String?
    /// Seconds from issue until the device code expires.
    public let expiresIn: Int
    /// The polling interval in seconds the server asked for, when it sent one.
    public let interval: Int?

    /// Creates an authorization from its parts.
    public init(
        deviceCode: String,
        userCode: String,
        verificationURI: String,
        verificationURIComplete: String?,
        expiresIn: Int,
        interval: Int?
    ) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.verificationURIComplete = verificationURIComplete
        self.expiresIn = expiresIn
        self.interval = interval
    }

    /// The URL to open or encode as a QR code: the complete one when present.
    public var browserURL: String { verificationURIComplete ?? verificationURI }

    /// Everything except the device code.
    public var description: String {
        "DeviceAuthorization(userCode: \(userCode), verificationURI: \(verificationURI), expiresIn: \(expiresIn))"
    }

    /// Reads a device-code response; `nil` when a required field is missing.
    init?(_ object: JSONObject) {
        guard let deviceCode = object["device_code"]?.stringValue, !deviceCode.isEmpty,
            let userCode = object["user_code"]?.stringValue, !userCode.isEmpty,
            let verificationURI = object["verification_uri"]?.stringValue, !verificationURI.isEmpty,
            let expiresIn = object["expires_in"]?.flexibleInt, expiresIn > 0
        else { return nil }
        let complete = object["verification_uri_complete"]?.stringValue
        self.init(
            deviceCode: deviceCode,
            userCode: userCode,
            verificationURI: verificationURI,
            verificationURIComplete: complete?.isEmpty == false ? complete : nil,
            expiresIn: expiresIn,
            interval: object["interval"]?.flexibleInt.flatMap { $0 > 0 ? $0 : nil }
        )
    }
}

extension JSONValue {
    /// A number of seconds from a JSON number or a string holding one (some servers quote
    /// numbers), rounded down and at most a day; `nil` for anything else.
    var flexibleInt: Int? {
        OutsideNumbers.clamped(self, to: Int64.min...86_400).map { Int($0) }
    }
}
