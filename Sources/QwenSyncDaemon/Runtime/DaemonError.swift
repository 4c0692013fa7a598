/// The daemon could not start or had to stop.
public enum DaemonError: Error, CustomStringConvertible {
    /// Start-up failed for this reason.
    case startup(String)

    public var description: String {
        switch self {
        case .startup(let reason): reason
        }
    }
}
