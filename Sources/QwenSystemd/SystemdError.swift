import Glibc

/// A failed libsystemd call: which call, and the `errno` it returned (negated, as libsystemd does).
public struct SystemdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The libsystemd function that failed, such as `sd_notify`.
    public let operation: String

    /// The positive `errno` value.
    public let code: Int32

    /// Creates an error from a libsystemd return value, which is `-errno`.
    ///
    /// - Parameters:
    ///   - operation: The libsystemd function that failed.
    ///   - result: Its negative return value.
    public init(operation: String, result: Int32) {
        self.operation = operation
        self.code = -result
    }

    /// `"sd_notify: Connection refused"` and the like.
    public var description: String {
        "\(operation): \(String(cString: strerror(code)))"
    }
}
