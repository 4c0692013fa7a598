import QwenSyncCore
import QwenOAuth
import Testing

@Suite("Base64URL, PKCE and form encoding")
struct EncodingTests {
    @Test func base64URLRoundTripsEveryLengthWithoutPadding() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("="))
            #expect(!text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
    }

    @Test func base64URLMatchesRFC4648Vectors() {
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(Base64URL.encode(Array("fooba".utf8)) == "Zm9vYmE")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8=") == [0xFB, 0xFF])
        #expect(Base64URL.decode("Zm9v YmFy") == nil)
        #expect(Base64URL.decode("Zm9vY") == nil)
    }

    @Test func pkceMatchesRFC7636AppendixB() {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(pkce.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE.method == "S256")
        #expect(!pkce.description.contains(pkce.verifier))
    }

    @Test func generatedVerifiersAre43URLSafeCharactersAndDistinct() {
        let first = PKCE.generate()
        let second = PKCE.generate()
        for pkce in [first, second] {
            #expect(pkce.verifier.count == 43)
            #expect(Base64URL.decode(pkce.verifier)?.count == 32)
            #expect(pkce.challenge.count == 43)
            #expect(pkce.challenge == PKCE.challenge(for: pkce.verifier))
        }
        #expect(first.verifier != second.verifier)
    }

    @Test func formEncodingKeepsOnlyUnreservedCharacters() {
        let encoded = FormEncoder.encode([
            ("scope", "openid profile email model.completion"),
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("x", "a+b/c=d&e~f_g.h-ü"),
        ])
        #expect(
            encoded == "scope=openid%20profile%20email%20model.completion"
                + "&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"
                + "&x=a%2Bb%2Fc%3Dd%26e~f_g.h-%C3%BC"
        )
    }

    @Test func retryAfterIsReadAsSeconds() {
        #expect(HTTPResponse(status: 429, headers: ["retry-after": " 17 "], body: []).retryAfter == .seconds(17))
        #expect(HTTPResponse(status: 429, headers: ["retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"], body: []).retryAfter == nil)
        #expect(HTTPResponse(status: 429, headers: ["retry-after": "-3"], body: []).retryAfter == nil)
        #expect(HTTPResponse(status: 429, headers: ["retry-after": "5"], body: []).header("Retry-After") == "5")
    }
}
