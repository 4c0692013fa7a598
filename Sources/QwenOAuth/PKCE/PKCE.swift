import QwenSyncCore

/// A PKCE pair (RFC 7636) with the `S256` method.
///
/// The verifier is 32 random bytes in base64url without padding (43 characters); the
/// challenge is base64url(SHA-256(verifier)). The verifier is a secret until the device
/// grant completes, so ``description`` leaves it out.
public struct PKCE: Sendable, Equatable, CustomStringConvertible {
    /// The `code_challenge_method` sent with the challenge.
    public static let method = "S256"

    /// The `code_verifier`, sent only with token polls.
    public let verifier: String
    /// The `code_challenge`, sent with the device-code request.
    public let challenge: String

    /// Creates a pair around `verifier` (tests and replays; use ``generate()`` otherwise).
    public init(verifier: String) {
        self.verifier = verifier
        self.challenge = Self.challenge(for: verifier)
    }

    /// A new pair from 32 bytes of the system's random number generator (`getrandom`).
    public static func generate() -> PKCE {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return PKCE(verifier: Base64URL.encode(bytes))
    }

    /// base64url(SHA-256(`verifier`)), the S256 challenge.
    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.digest(verifier.utf8))
    }

    /// `PKCE(S256, challenge: …)`; the verifier is never shown.
    public var description: String { "PKCE(\(Self.method), challenge: \(challenge))" }
}
