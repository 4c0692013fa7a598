/// What one run of a child process left behind.
public struct ChildProcessOutcome: Sendable {
    /// How the child ended.
    public enum Termination: Sendable, Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)
    }

    /// Why the runner ended the child's process group before it finished by itself.
    public enum Interruption: Sendable, Equatable {
        /// The timeout passed.
        case timedOut
        /// Standard error showed ``ChildProcessRunner/stopMarker``.
        case stopMarkerSeen
        /// Standard output grew past its limit.
        case outputLimitExceeded
    }

    /// How the child ended.
    public var termination: Termination
    /// Set when the runner ended the process group early.
    public var interruption: Interruption?
    /// Everything read from standard output (at most the output limit).
    public var standardOutput: [UInt8]
    /// The first bytes read from standard error (at most the error limit).
    public var standardError: [UInt8]

    /// An outcome from its parts (the runner makes them; interpreters' tests do too).
    public init(termination: Termination, interruption: Interruption?, standardOutput: [UInt8], standardError: [UInt8]) {
        self.termination = termination
        self.interruption = interruption
        self.standardOutput = standardOutput
        self.standardError = standardError
    }
}
