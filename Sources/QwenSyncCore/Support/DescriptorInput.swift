import Glibc

/// Reading a file descriptor to its end; the one read-to-EOF loop of the project.
public enum DescriptorInput {
    /// Why ``readAll(_:limit:)`` returned no bytes.
    public enum Failure: Error, Sendable, Equatable {
        /// More than the limit arrived before the end.
        case tooLarge
        /// `read(2)` failed with this `errno` (other than `EINTR`, which is retried).
        case readFailed(Int32)
    }

    /// Reads `descriptor` until end of file.
    ///
    /// - Parameter limit: the most bytes accepted.
    /// - Throws: ``Failure`` when more than `limit` bytes arrive or a read fails.
    public static func readAll(_ descriptor: Int32, limit: Int) throws(Failure) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count: Int
            do { count = try SystemCall.retrying { chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } } } catch {
                throw .readFailed(error.code)
            }
            if count == 0 { return bytes }
            guard bytes.count + count <= limit else { throw .tooLarge }
            bytes += chunk[..<count]
        }
    }
}
