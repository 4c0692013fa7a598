import Glibc
import QwenSyncCore

/// Makes the secret values the stand-in hands out.
///
/// Every secret carries a marker (`at-SECRET-`, `rt-SECRET-`, `dc-SECRET-`) so a test can
/// search logs and outputs for leaks.
enum TokenMint {
    /// A refresh token: `rt-SECRET-` and 32 random hex digits.
    static func refreshToken() -> String { "rt-SECRET-" + randomHex(bytes: 16) }

    /// A device code: `dc-SECRET-` and 32 random hex digits.
    static func deviceCode() -> String { "dc-SECRET-" + randomHex(bytes: 16) }

    /// A user code such as `KQ7D-M2XP` (not a secret: the user types it).
    static func userCode() -> String {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<8).map { _ in letters[Int(generator.next(upperBound: UInt32(letters.count)))] }
        return String(characters[0..<4]) + "-" + String(characters[4..<8])
    }

    /// A JWT-shaped access token whose payload names the account.
    ///
    /// The shape is `base64url(header).base64url(payload).at-SECRET-<hex>`: the third part
    /// stands where a signature would be and carries the leak marker.
    /// - Parameters:
    ///   - sub: the stable account identity.
    ///   - email: the account's e-mail address.
    ///   - expiresIn: the lifetime in seconds, for the `exp` claim.
    static func accessToken(sub: String, email: String, expiresIn: Int64) -> String {
        let now = Int64(time(nil))
        let header: JSONValue = ["alg": "HS256", "typ": "JWT"]
        let payload: JSONValue = [
            "iss": "qwen-oauth-standin", "sub": .string(sub), "email": .string(email),
            "iat": .int(now), "exp": .int(now + expiresIn),
        ]
        return Base64URL.encode(header.serializedBytes(.compact)) + "."
            + Base64URL.encode(payload.serializedBytes(.compact)) + ".at-SECRET-" + randomHex(bytes: 16)
    }

    /// An access token without identity claims: `at-SECRET-<hex>`, no JWT.
    static func opaqueAccessToken() -> String { "at-SECRET-" + randomHex(bytes: 24) }

    private static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return text
    }
}
