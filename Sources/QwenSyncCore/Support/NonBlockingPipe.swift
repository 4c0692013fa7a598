import CQwenLinux
import Glibc

/// A pipe whose ends are non-blocking and close-on-exec, for waking a `poll` loop.
public struct NonBlockingPipe: Sendable {
    /// The end to poll and read.
    public let readEnd: Int32
    /// The end to write a byte to.
    public let writeEnd: Int32

    /// Opens the pipe (both ends `-1` if the process is out of descriptors).
    public init() {
        var ends: [Int32] = [-1, -1]
        if CQwenLinux_pipeCloseOnExec(&ends, 1) != 0 { ends = [-1, -1] }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    /// Closes both ends.
    public func close() {
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }
}
