import Glibc

/// Writing a whole buffer to a file descriptor; the one write loop of the project.
///
/// `write(2)` and `send(2)` may write fewer bytes than asked or be interrupted by a signal;
/// these functions retry until every byte is out or the call fails.
public enum DescriptorOutput {
    /// Writes every byte of `bytes` to `descriptor` with `write(2)`.
    ///
    /// - Returns: `false` when a write failed (`errno` says why) or wrote nothing.
    @discardableResult
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        writeAll(bytes) { write(descriptor, $0, $1) }
    }

    /// Writes `text` as UTF-8 to `descriptor`; see ``writeAll(_:to:)-([UInt8],_)``.
    @discardableResult
    public static func writeAll(_ text: String, to descriptor: Int32) -> Bool {
        writeAll(Array(text.utf8), to: descriptor)
    }

    /// Sends every byte of `bytes` on a connected socket, without `SIGPIPE` when the peer is gone.
    ///
    /// - Returns: `false` when a send failed (`errno` says why) or sent nothing.
    @discardableResult
    public static func sendAll(_ bytes: [UInt8], to socket: Int32) -> Bool {
        writeAll(bytes) { send(socket, $0, $1, Int32(MSG_NOSIGNAL)) }
    }

    private static func writeAll(_ bytes: [UInt8], with call: (UnsafeRawPointer, Int) -> Int) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = try? SystemCall.retrying { call(buffer.baseAddress! + offset, buffer.count - offset) }
                guard let written, written > 0 else { return false }
                offset += written
            }
            return true
        }
    }
}
