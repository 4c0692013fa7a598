/// What one `qwen` run means for the request.
public enum CLIOutcome: Sendable, Equatable {
    /// The CLI answered.
    case answered(CLIAnswer)
    /// The account is out of quota (`docs/INTEROP.md`, "Quota errors"); another account may answer.
    case quotaExceeded(String)
    /// The run failed for a reason another account would not fix.
    case failed(ExecFailure)
}
