import QwenSyncCore
import CCrypto

/// RFC 7636 PKCE checks with the `S256` method.
enum PKCE {
    /// `base64url(SHA-256(verifier))`, the challenge a client must have sent for `verifier`.
    static func challenge(forVerifier verifier: String) -> String {
        let input = Array(verifier.utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { target in
                _ = SHA256(source.baseAddress, source.count, target.baseAddress)
            }
        }
        return Base64URL.encode(digest)
    }

    /// Whether `value` is a well-formed S256 challenge: 43 base64url characters.
    static func isWellFormedChallenge(_ value: String) -> Bool {
        value.utf8.count == 43 && Base64URL.isAlphabet(value)
    }

    /// Whether `verifier` has the RFC 7636 shape: 43–128 unreserved characters.
    static func isWellFormedVerifier(_ verifier: String) -> Bool {
        (43...128).contains(verifier.utf8.count) && verifier.utf8.allSatisfy(isUnreserved)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
