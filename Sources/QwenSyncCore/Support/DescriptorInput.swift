import Glibc

/// Reading a file descriptor to its end; the one read-to-EOF loop of the project.
public enum DescriptorInput {
    /// Why ``readAll(_:limit:expectedSize:)`` returned no bytes.
    public enum Failure: Error, Sendable, Equatable {
        /// More than the limit arrived before the end.
        case tooLarge
        /// `read(2)` failed with this `errno` (other than `EINTR`, which is retried).
        case readFailed(Int32)
    }

    /// Reads `descriptor` until end of file.
    ///
    /// The bytes are read straight into the result, which starts one byte larger than
    /// `expectedSize` (so a file of that size is read without growing it) and grows as needed.
    ///
    /// - Parameters:
    ///   - limit: the most bytes accepted.
    ///   - expectedSize: how many bytes are likely to come (a regular file's size), if known.
    /// - Throws: ``Failure`` when more than `limit` bytes arrive or a read fails.
    public static func readAll(_ descriptor: Int32, limit: Int, expectedSize: Int = 4095) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: min(max(expectedSize, 0), limit) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: min(max(count, 4096), 1 << 20))) }
            let offset = count
            let got: Int
            do { got = try SystemCall.retrying { bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, $0.count - offset) } } } catch {
                throw .readFailed(error.code)
            }
            if got == 0 { break }
            count += got
            guard count <= limit else { throw .tooLarge }
        }
        bytes.removeSubrange(count...)
        return bytes
    }
}
