import Glibc
import QwenSyncCore

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
        do { return try DescriptorInput.readAll(descriptor, limit: limit) } catch {
            switch error {
            case .tooLarge: throw .refused("request_too_large", "the request is larger than the limit of \(limit) bytes")
            case .readFailed(let code): throw .refused("input_unreadable", "cannot read the request: \(String(cString: strerror(code)))")
            }
        }
    }
}
