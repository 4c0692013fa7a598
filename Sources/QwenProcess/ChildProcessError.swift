/// Why ``ChildProcessRunner`` could not start a child.
public enum ChildProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `posix_spawn` refused the executable (missing, not executable, not a program).
    case notStarted(String)
    /// This process lacks what a run needs: a pipe (out of descriptors), or a C library that
    /// can set the child's working directory.
    case unavailable(String)

    /// A one-line explanation naming the executable or the missing facility.
    public var description: String {
        switch self {
        case .notStarted(let text), .unavailable(let text): text
        }
    }
}
