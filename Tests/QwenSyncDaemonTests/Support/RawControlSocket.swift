import Glibc
import QwenControl

/// Raw access to the control socket, for protocol-level tests.
enum RawControlSocket {
    /// Sends `bytes` as they are and returns the whole reply as text.
    static func send(_ bytes: [UInt8], to path: String) throws -> String {
        let descriptor = try UnixSocket.connect(to: path)
        defer { close(descriptor) }
        UnixSocket.writeAll(descriptor, bytes)
        return String(decoding: UnixSocket.readAll(descriptor), as: UTF8.self)
    }

    /// Connects and sends nothing; the caller closes the descriptor.
    static func connect(_ path: String) throws -> Int32 {
        try UnixSocket.connect(to: path)
    }
}
