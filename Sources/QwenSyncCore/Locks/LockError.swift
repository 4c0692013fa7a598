/// A lock file could not be taken or was lost.
public enum LockError: Error, Sendable, CustomStringConvertible {
    /// Another process held the lock for the whole waiting time.
    case timedOut(path: String, waited: Duration, holder: String?)
    /// The lock file could not be created for a reason other than contention.
    case file(FileError)

    public var description: String {
        switch self {
        case .timedOut(let path, let waited, let holder):
            "timed out after \(waited.inMilliseconds / 1000) s waiting for \(path)" + (holder.map { " (held by \($0))" } ?? "")
        case .file(let error): error.description
        }
    }
}
