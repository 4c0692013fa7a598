/// A fatal stand-in failure (bad arguments, a socket that cannot be bound).
struct StandInError: Error, CustomStringConvertible {
    /// What went wrong, for stderr.
    let description: String

    init(_ description: String) { self.description = description }
}
