import Glibc

/// A failed libc call in a test fixture.
struct POSIXFailure: Error, CustomStringConvertible {
    let call: String
    let code: Int32

    init(_ call: String) {
        self.call = call
        self.code = errno
    }

    var description: String { "\(call): \(String(cString: strerror(code)))" }
}
