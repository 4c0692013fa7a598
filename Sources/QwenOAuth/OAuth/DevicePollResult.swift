/// The outcome of one token poll that does not end the flow in failure.
public enum DevicePollResult: Sendable, Equatable {
    /// The user has not approved yet (`authorization_pending`): poll again after the interval.
    case pending
    /// Polling too fast (`slow_down`, or HTTP 429): lengthen the interval, then poll again.
    case slowDown
    /// The user approved: the tokens.
    case granted(TokenGrant)
}
