import QwenOAuth
import QwenSyncCore

/// The server side of RFC 7636 PKCE with the `S256` method.
enum PKCECheck {
    /// Whether `value` is a well-formed S256 challenge: 43 base64url characters.
    static func isWellFormedChallenge(_ value: String) -> Bool {
        value.utf8.count == 43 && Base64URL.isAlphabet(value)
    }

    /// Whether `verifier` has the RFC 7636 shape (43–128 unreserved characters) and hashes to
    /// `challenge`.
    static func verifier(_ verifier: String, matches challenge: String) -> Bool {
        (43...128).contains(verifier.utf8.count)
            && FormEncoder.percentEncode(verifier) == verifier  // only unreserved characters encode to themselves
            && PKCE.challenge(for: verifier) == challenge
    }
}
