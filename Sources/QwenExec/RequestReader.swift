import Glibc

/// Reads the request body from standard input or a file, refusing more than a size limit.
public enum RequestReader {
    /// Reads everything from `path`, or from standard input when `path` is `nil` or `-`.
    ///
    /// - Parameters:
    ///   - path: the `--input` file.
    ///   - limit: the largest body accepted.
    /// - Throws: ``ExecFailure`` (exit 4) when the input cannot be read or is too large.
    public static func read(path: String?, limit: Int) throws(ExecFailure) -> [UInt8] {
        let descriptor: Int32
        if let path, path != "-" {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw .refused("input_unreadable", "cannot open \(path): \(String(cString: strerror(errno)))")
            }
        } else {
            descriptor = STDIN_FILENO
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .refused("input_unreadable", "cannot read the request: \(String(cString: strerror(errno)))")
            }
            bytes += buffer[..<count]
            if bytes.count > limit {
                throw .refused("request_too_large", "the request is larger than the limit of \(limit) bytes")
            }
        }
        return bytes
    }
}
