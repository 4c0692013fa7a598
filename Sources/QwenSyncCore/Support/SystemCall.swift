import Glibc

/// The `errno` of a failed system call, as a typed error.
public struct Errno: Error, Sendable, Hashable, CustomStringConvertible {
    /// The `errno` value (`EAGAIN`, `EPIPE`, …).
    public let code: Int32

    /// Wraps an `errno` value.
    public init(_ code: Int32) { self.code = code }

    /// Whether a non-blocking call found nothing to do now (`EAGAIN` or `EWOULDBLOCK`).
    public var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// The system's text for the value (`strerror`).
    public var description: String { String(cString: strerror(code)) }
}

/// Calling the C library's system-call wrappers; the one `EINTR` loop of the project.
///
/// The shape of swift-system's `valueOrErrno(retryOnInterrupt:)` and NIOPosix's
/// `syscall(blocking:where:)`: a call interrupted by a signal is made again, any other failure
/// becomes a typed ``Errno``.
public enum SystemCall {
    /// Makes `call` until it does not fail with `EINTR`.
    ///
    /// `call` is made again as it is, so it must compute anything that should change between
    /// attempts (a timeout left until a deadline) itself.
    ///
    /// - Returns: the call's result, which is not negative.
    /// - Throws: ``Errno`` with the `errno` of a failure (a negative result) other than `EINTR`.
    @inlinable
    public static func retrying<Result: SignedInteger>(_ call: () -> Result) throws(Errno) -> Result {
        while true {
            let result = call()
            if result >= 0 { return result }
            let code = errno
            guard code == EINTR else { throw Errno(code) }
        }
    }
}
