import QwenSyncCore
import Testing

/// A refusal is evidence, not a verdict: which refused tokens are withheld, under which
/// configuration, and how the evidence survives the sidecar file.
@Suite("Refusal evidence")
struct RefusalEvidenceTests {
    static let now: Int64 = 1_800_000_000_000
    static let right = RefreshConfiguration(tokenURL: "https://chat.qwen.ai/api/v1/oauth2/token", clientID: "f0304373b74a44d2b584a3fb70ca9e56")
    static let typo = RefreshConfiguration(tokenURL: "https://chat.qwen.ai/api/v1/oauth2/token", clientID: "f0304373-typo")
    static let proxy = RefreshConfiguration(tokenURL: "https://proxy.example/api/v1/oauth2/token", clientID: "f0304373b74a44d2b584a3fb70ca9e56")

    static func evidence(_ configuration: RefreshConfiguration, _ code: String? = "invalid_request", body: RefusalEvidence.BodyKind = .json) -> RefusalEvidence
    {
        RefusalEvidence(configuration: configuration, status: 400, errorCode: code, bodyKind: body)
    }

    @Test("a refused token is withheld only under the configuration it was refused under, and not when asked explicitly")
    func refusedIsWithheldUnderItsConfigurationOnly() {
        var ledger = TokenLedger()
        ledger.record("rt-a", of: "A", fate: .current, nowMs: Self.now)
        ledger.record("rt-a", of: "A", fate: .refused, evidence: Self.evidence(Self.typo), nowMs: Self.now)
        #expect(ledger.withholds("rt-a", under: Self.typo, explicitly: false))
        #expect(!ledger.withholds("rt-a", under: Self.typo, explicitly: true))
        #expect(!ledger.withholds("rt-a", under: Self.right, explicitly: false))
        #expect(!ledger.withholds("rt-a", under: Self.proxy, explicitly: false))
        #expect(!ledger.withholds("rt-unknown", under: Self.right, explicitly: false))
        // A refusal recorded without evidence (an older version) is measured under nothing known.
        ledger.record("rt-old", of: "A", fate: .refused, nowMs: Self.now)
        #expect(!ledger.withholds("rt-old", under: Self.right, explicitly: false))
        // The current token is still refused for the lineage: a peer's copy of it is no news.
        #expect(ledger.isDead("rt-a"))
    }

    @Test("a rotated-out token is withheld under every configuration, even explicitly, and no withdrawal revives it")
    func rotatedStaysDead() {
        var ledger = TokenLedger()
        ledger.record("rt-a", of: "A", fate: .rotated, nowMs: Self.now)
        for configuration in [Self.right, Self.typo, Self.proxy] {
            #expect(ledger.withholds("rt-a", under: configuration, explicitly: true))
        }
        ledger.withdrawRefusal(of: "rt-a", accountID: "A", nowMs: Self.now)
        #expect(ledger.entry(for: "rt-a")?.fate == .rotated)
    }

    @Test("withdrawing a refusal makes the token current again; a second refusal replaces the evidence")
    func withdrawAndReplace() {
        var ledger = TokenLedger()
        ledger.record("rt-a", of: "A", fate: .refused, evidence: Self.evidence(Self.typo), nowMs: Self.now)
        ledger.record("rt-a", of: "A", fate: .refused, evidence: Self.evidence(Self.right, "invalid_grant"), nowMs: Self.now + 1)
        #expect(ledger.refusal(of: "rt-a")?.evidence == Self.evidence(Self.right, "invalid_grant"))
        #expect(ledger.refusal(of: "rt-a")?.evidence?.concernsToken == true)
        ledger.withdrawRefusal(of: "rt-a", accountID: "A", nowMs: Self.now + 2)
        #expect(ledger.entry(for: "rt-a")?.fate == .current)
        #expect(ledger.refusal(of: "rt-a") == nil)
        #expect(!ledger.withholds("rt-a", under: Self.right, explicitly: false))
    }

    @Test(
        "only invalid_grant in a JSON body is about the token",
        arguments: [
            ("invalid_grant", RefusalEvidence.BodyKind.json, true),
            ("invalid_request", .json, false),
            ("invalid_client", .json, false),
            (nil, .text, false),
            (nil, .html, false),
            (nil, .empty, false),
        ] as [(String?, RefusalEvidence.BodyKind, Bool)])
    func concernsToken(code: String?, body: RefusalEvidence.BodyKind, expected: Bool) {
        #expect(Self.evidence(Self.right, code, body: body).concernsToken == expected)
    }

    @Test(
        "body kinds",
        arguments: [
            ("", RefusalEvidence.BodyKind.empty), (" \n", .empty), (#"{"error":"x"}"#, .json), ("<html>502</html>", .html),
            ("  <!DOCTYPE html>", .html), ("Bad Request", .text), ("[1]", .text),
        ] as [(String, RefusalEvidence.BodyKind)])
    func bodyKinds(body: String, expected: RefusalEvidence.BodyKind) {
        #expect(RefusalEvidence.BodyKind(of: Array(body.utf8)) == expected)
    }

    @Test("the evidence survives qwen-sync-accounts.json, with the client id as a fingerprint only")
    func evidenceRoundTrips() {
        var sidecar = SidecarDocument()
        sidecar.ledger.record("rt-a", of: "A", fate: .refused, evidence: Self.evidence(Self.typo, nil, body: .html), nowMs: Self.now)
        let bytes = sidecar.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("f0304373-typo"), "the client id is kept as a fingerprint")
        #expect(!text.contains("rt-a"))
        let read = SidecarDocument(bytes: bytes)
        #expect(read.ledger.refusal(of: "rt-a")?.evidence == Self.evidence(Self.typo, nil, body: .html))
        #expect(read.ledger.withholds("rt-a", under: Self.typo, explicitly: false))
        #expect(!read.ledger.withholds("rt-a", under: Self.right, explicitly: false))
    }
}
