import Glibc
import QwenSyncCore

/// A command failed for a reason the user should read: printed as one line on stderr, exit 1
/// (or the given code).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }

    /// Runs `body`, turning any error into a one-line failure (the root command prints it).
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as CommandFailure {
            throw failure
        } catch StoreError.aborted(let inner as CommandFailure) {
            throw inner
        } catch {
            throw CommandFailure(oneLine(error))
        }
    }

    /// An error's description on one line.
    static func oneLine(_ error: any Error) -> String {
        "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// Writes a line (or, without `newline`, a prompt) to standard error.
func printError(_ line: String, newline: Bool = true) {
    DescriptorOutput.writeAll(newline ? line + "\n" : line, to: STDERR_FILENO)
}

/// Prints one JSON document on standard output.
func printJSON(_ document: JSONValue) {
    print(document.serialized(.pretty))
}

/// Writes out what is buffered for standard output, so that a failed write (a full disk,
/// `>/dev/full`, a closed pipe's reader gone) fails the command as `ls` does, rather than
/// exiting 0 with the output lost.
///
/// - Throws: ``CommandFailure`` naming the error.
func flushStandardOutput() throws(CommandFailure) {
    errno = 0
    // All streams: naming `stdout` is not concurrency-safe, and standard error is unbuffered.
    if fflush(nil) != 0 {
        let code = errno
        throw CommandFailure("cannot write to standard output: \(code == 0 ? "write error" : String(cString: strerror(code)))")
    }
}
