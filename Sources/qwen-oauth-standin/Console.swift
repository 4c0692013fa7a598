import Glibc
import QwenSyncCore

/// Unbuffered writes to stdout and stderr (a parent reads the LISTENING line at once).
enum Console {
    /// Writes `text` to standard output.
    static func out(_ text: String) { DescriptorOutput.writeAll(text, to: STDOUT_FILENO) }

    /// Writes `text` to standard error.
    static func error(_ text: String) { DescriptorOutput.writeAll(text, to: STDERR_FILENO) }
}
