import QwenSyncCore
import Testing

@testable import QwenSyncDaemon

/// The pure sync decisions: every case of the issue's rule list, and convergence.
@Suite("SyncRules")
struct SyncRulesTests {
    static let now: Int64 = 1_800_000_000_000
    static let hour: Int64 = 3_600_000

    let tokenA = TokenFactory.credentials(sub: "alice", refresh: "rt-a1", expiry: now + hour)
    let tokenB = TokenFactory.credentials(sub: "bob", refresh: "rt-b1", expiry: now + hour)
    let tokenC = TokenFactory.credentials(sub: "carol", refresh: "rt-c1", expiry: now + hour)

    private func apply(_ state: inout CredentialState, _ trigger: SyncTrigger) -> [SyncEvent] {
        SyncRules.apply(to: &state, trigger: trigger, nowMs: Self.now)
    }

    // MARK: oauth_creds.json changed by someone else

    @Test("fresher credentials of a known identity update that account; the file stays")
    func fresherCredentialsUpdateAccount() {
        let fresher = TokenFactory.credentials(sub: "alice", refresh: "rt-a2", expiry: Self.now + 2 * Self.hour, serial: "2")
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA)], active: "A"), credentials: fresher
        )
        let events = apply(&state, .credentialsChanged)
        #expect(events == [.accountUpdated(id: "A")])
        #expect(state.accounts.account(id: "A")?.token == fresher)
        #expect(state.credentials == fresher)
        #expect(state.accounts.accounts.count == 1)
    }

    @Test("older credentials never downgrade the store; the file is brought up to date instead")
    func olderCredentialsNeverDowngrade() {
        let older = TokenFactory.credentials(sub: "alice", refresh: "rt-a0", expiry: Self.now + 60_000, serial: "0")
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA)], active: "A"), credentials: older
        )
        let events = apply(&state, .credentialsChanged)
        #expect(state.accounts.account(id: "A")?.token == tokenA)
        #expect(state.credentials == tokenA)
        #expect(events == [.staleCredentials(id: "A"), .mirrored(id: "A")])
    }

    @Test("credentials without an identity claim are matched by refresh token")
    func matchByRefreshToken() {
        let anonymous = TokenFactory.credentials(sub: nil, refresh: "rt-x", expiry: Self.now + Self.hour)
        let renewed = OAuthCredentials(
            accessToken: TokenFactory.accessToken(sub: nil, serial: "2"), refreshToken: "rt-x", expiryDate: Self.now + 2 * Self.hour
        )
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("X", anonymous)], active: "X"), credentials: renewed
        )
        let events = apply(&state, .credentialsChanged)
        #expect(events == [.accountUpdated(id: "X")])
        #expect(state.accounts.accounts.count == 1)
        #expect(state.accounts.account(id: "X")?.token.accessToken == renewed.accessToken)
    }

    @Test("a new identity becomes a new account and the active one")
    func newIdentityBecomesAccount() throws {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA)], active: "A"), credentials: tokenB
        )
        let events = apply(&state, .credentialsChanged)
        #expect(state.accounts.accounts.count == 2)
        let added = try #require(state.accounts.account(matching: tokenB))
        #expect(added.id != "A")
        #expect(added.token == tokenB)
        #expect(state.accounts.activeAccountID == added.id)
        #expect(state.credentials == tokenB)
        #expect(events == [.accountAdded(id: added.id), .switched(from: "A", to: added.id, reason: "oauth_creds.json now holds this account")])
    }

    @Test("the first credentials ever seen create the store")
    func firstCredentialsCreateStore() throws {
        var state = CredentialState(accounts: AccountsDocument(), credentials: tokenA)
        let events = apply(&state, .fullScan)
        let id = try #require(state.accounts.activeAccountID)
        #expect(state.accounts.account(id: id)?.token == tokenA)
        #expect(events.first == .accountAdded(id: id))
        #expect(state.credentials == tokenA)
    }

    @Test("a user switching oauth_creds.json to another known healthy account makes it active")
    func fileSwitchFollowsUser() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA), TokenFactory.account("B", tokenB)], active: "A"),
            credentials: tokenB
        )
        let events = apply(&state, .credentialsChanged)
        #expect(state.accounts.activeAccountID == "B")
        #expect(state.credentials == tokenB)
        #expect(events == [.switched(from: "A", to: "B", reason: "oauth_creds.json now holds this account")])
    }

    @Test("a file holding an account that is cooling down does not take over; the active one is mirrored back")
    func fileWithCoolingAccountDoesNotTakeOver() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [TokenFactory.account("A", tokenA), TokenFactory.account("B", tokenB, until: Self.now + Self.hour)], active: "A"
            ),
            credentials: tokenB
        )
        let events = apply(&state, .credentialsChanged)
        #expect(state.accounts.activeAccountID == "A")
        #expect(state.credentials == tokenA)
        #expect(events == [.mirrored(id: "A")])
    }

    @Test("an unusable oauth_creds.json is reported and left untouched")
    func invalidFileLeftAlone() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA)], active: "A"), credentials: nil,
            credentialsProblem: "expiry_date is a string", credentialsFileExists: true
        )
        let events = apply(&state, .credentialsChanged)
        #expect(state.credentials == nil)
        #expect(events == [.credentialsInvalid(problem: "expiry_date is a string")])
    }

    // MARK: the store changed

    @Test("a store change mirrors the active account into the file")
    func storeChangeMirrors() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA), TokenFactory.account("B", tokenB)], active: "B"),
            credentials: tokenA
        )
        let events = apply(&state, .accountsChanged)
        #expect(state.accounts.activeAccountID == "B")
        #expect(state.credentials == tokenB)
        #expect(events == [.mirrored(id: "B")])
    }

    @Test("a store change still adopts fresher tokens from the file before mirroring")
    func storeChangeKeepsFresherFile() {
        let fresher = TokenFactory.credentials(sub: "alice", refresh: "rt-a2", expiry: Self.now + 2 * Self.hour, serial: "2")
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA)], active: "A"), credentials: fresher
        )
        let events = apply(&state, .accountsChanged)
        #expect(state.accounts.account(id: "A")?.token == fresher)
        #expect(state.credentials == fresher)
        #expect(events == [.accountUpdated(id: "A")])
    }

    @Test(
        "an unhealthy active account gives way to the next healthy one, round-robin",
        arguments: [
            // (active, cooling accounts, expected new active)
            ("A", ["A"], "B"),
            ("A", ["A", "B"], "C"),
            ("C", ["C"], "A"),
            ("B", ["B", "C"], "A"),
        ]
    )
    func roundRobinSwitch(active: String, cooling: [String], expected: String) {
        let tokens = ["A": tokenA, "B": tokenB, "C": tokenC]
        let accounts = ["A", "B", "C"].map { id in
            TokenFactory.account(id, tokens[id]!, until: cooling.contains(id) ? Self.now + Self.hour : 0)
        }
        var state = CredentialState(accounts: TokenFactory.document(accounts, active: active), credentials: tokens[active])
        let events = apply(&state, .accountsChanged)
        #expect(state.accounts.activeAccountID == expected)
        #expect(state.credentials == tokens[expected])
        #expect(events.contains(.switched(from: active, to: expected, reason: "\(active) is cooldown")))
    }

    @Test("an auth_invalid active account is switched away from")
    func authInvalidSwitches() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [TokenFactory.account("A", tokenA, until: Self.now + Self.hour, code: AccountErrorCode.authInvalid), TokenFactory.account("B", tokenB)],
                active: "A"
            ),
            credentials: tokenA
        )
        let events = apply(&state, .accountsChanged)
        #expect(state.accounts.activeAccountID == "B")
        #expect(state.credentials == tokenB)
        #expect(events.contains(.switched(from: "A", to: "B", reason: "A is auth_invalid")))
    }

    @Test("every account cooling down on quota: the active one stays and the file is left as it is")
    func allCoolingStays() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [TokenFactory.account("A", tokenA, until: Self.now + Self.hour), TokenFactory.account("B", tokenB, until: Self.now + 2 * Self.hour)],
                active: "A"
            ),
            credentials: tokenA
        )
        let events = apply(&state, .accountsChanged)
        #expect(state.accounts.activeAccountID == "A")
        #expect(state.credentials == tokenA)
        #expect(events.isEmpty)
    }

    @Test("a cooldown that has ended makes the account healthy again without any write")
    func cooldownEnded() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA, until: Self.now - 1)], active: "A"),
            credentials: tokenA
        )
        #expect(state.accounts.account(id: "A")?.state(nowMs: Self.now) == .healthy)
        let events = apply(&state, .fullScan)
        #expect(events.isEmpty)
        #expect(state.accounts.activeAccountID == "A")
    }

    @Test("no active account: the first healthy one is made active and mirrored")
    func noActiveAccount() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [TokenFactory.account("A", tokenA, until: Self.now + Self.hour), TokenFactory.account("B", tokenB)], active: nil
            ),
            credentials: nil
        )
        let events = apply(&state, .accountsChanged)
        #expect(state.accounts.activeAccountID == "B")
        #expect(state.credentials == tokenB)
        #expect(events == [.switched(from: nil, to: "B", reason: "no account was active"), .restored(id: "B")])
    }

    // MARK: oauth_creds.json deleted

    @Test("a deleted file is restored from the healthy active account")
    func deletionRestores() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA), TokenFactory.account("B", tokenB)], active: "A"),
            credentials: nil
        )
        let events = apply(&state, .credentialsDeleted)
        #expect(state.credentials == tokenA)
        #expect(state.accounts.activeAccountID == "A")
        #expect(events == [.restored(id: "A")])
    }

    @Test("a deleted file is restored from an active account cooling down on quota (it can still refresh)")
    func deletionRestoresCoolingWhenNothingElse() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA, until: Self.now + Self.hour)], active: "A"),
            credentials: nil
        )
        let events = apply(&state, .credentialsDeleted)
        #expect(state.credentials == tokenA)
        #expect(events == [.restored(id: "A")])
    }

    @Test("a deleted file with an auth_invalid active account switches to a healthy one")
    func deletionWithInvalidActiveSwitches() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [TokenFactory.account("A", tokenA, until: Self.now + Self.hour, code: AccountErrorCode.authInvalid), TokenFactory.account("B", tokenB)],
                active: "A"
            ),
            credentials: nil
        )
        let events = apply(&state, .credentialsDeleted)
        #expect(state.accounts.activeAccountID == "B")
        #expect(state.credentials == tokenB)
        #expect(events.contains(.switched(from: "A", to: "B", reason: "A is auth_invalid")))
    }

    @Test("an active account refused in a way the configuration can cause stays active while others are healthy, and says so without asking for a login")
    func refusalUnderConfigurationKeepsActive() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [TokenFactory.account("A", tokenA, until: Self.now + Self.hour, code: AccountErrorCode.authInvalid), TokenFactory.account("B", tokenB)],
                active: "A"
            ),
            credentials: tokenA
        )
        let evidence = RefusalEvidence(
            configuration: RefreshConfiguration(tokenURL: "http://127.0.0.1:1/api/v1/oauth2/token", clientID: "mistyped"), status: 400,
            errorCode: "invalid_request", bodyKind: .json)
        state.sidecar.ledger.record(tokenA.refreshToken, of: "A", fate: .refused, evidence: evidence, nowMs: Self.now)
        let events = apply(&state, .fullScan)
        #expect(state.accounts.activeAccountID == "A")
        #expect(events.last == .refusedUnderConfiguration(id: "A"), "\(events)")
        #expect(events.last?.description.contains("qwen-sync login") == false)
        #expect(events.last?.description.contains("--oauth-client-id") == true)
    }

    @Test("a deleted file with no healthy account left asks for a login and writes nothing")
    func deletionWithNoHealthyAccount() {
        var state = CredentialState(
            accounts: TokenFactory.document(
                [
                    TokenFactory.account("A", tokenA, until: Self.now + Self.hour, code: AccountErrorCode.authInvalid),
                    TokenFactory.account("B", tokenB, until: Self.now + Self.hour),
                ],
                active: "A"
            ),
            credentials: nil
        )
        let events = apply(&state, .credentialsDeleted)
        #expect(state.credentials == nil)
        #expect(state.accounts.activeAccountID == "A")
        guard case .loginNeeded(let reason)? = events.last else {
            Issue.record("expected a login-needed event, got \(events)")
            return
        }
        #expect(reason.contains("A"))
        #expect(events.last?.description.contains("qwen-sync login") == true)
    }

    @Test("no credentials and no accounts at all asks for a login")
    func nothingAtAll() {
        var state = CredentialState(accounts: AccountsDocument(), credentials: nil)
        let events = apply(&state, .fullScan)
        #expect(events == [.loginNeeded(reason: "there are no credentials and no accounts")])
        #expect(state.credentials == nil)
    }

    // MARK: convergence (no ping-pong)

    @Test("applying the rules to their own result changes nothing, whatever the trigger", arguments: 0..<200)
    func convergence(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        var state = Self.randomState(&generator)
        let triggers: [SyncTrigger] = [.credentialsChanged, .credentialsDeleted, .accountsChanged, .fullScan, [.credentialsDeleted, .accountsChanged]]
        let first = triggers[Int(generator.next() % UInt64(triggers.count))]
        _ = apply(&state, first)
        // What the daemon's own write leaves on disk is what it reads next.
        let written = CredentialState(
            accounts: state.accounts, credentials: state.credentials,
            credentialsProblem: state.credentials == nil ? state.credentialsProblem : nil,
            credentialsFileExists: state.credentials != nil || state.credentialsFileExists
        )
        for trigger in triggers {
            var again = written
            let events = apply(&again, trigger)
            let storeStable = again.accounts == written.accounts
            let fileStable = again.credentials == written.credentials
            let context = "seed \(seed), first trigger \(first.rawValue), then \(trigger.rawValue): \(events)"
            #expect(storeStable, "the store changed again; \(context)")
            #expect(fileStable, "the file changed again; \(context)")
            // Only conditions that need a human persist: errors, or a stale file nothing can be mirrored over.
            #expect(
                events.allSatisfy { event in
                    if case .staleCredentials = event { return again.accounts.activeAccount?.state(nowMs: Self.now) != .healthy }
                    return event.eventName == "error"
                }, "\(context)")
        }
    }

    @Test("events never carry a token")
    func eventsCarryNoSecrets() {
        var state = CredentialState(
            accounts: TokenFactory.document([TokenFactory.account("A", tokenA, until: Self.now + Self.hour)], active: "A"),
            credentials: tokenB
        )
        let events = apply(&state, .fullScan) + apply(&state, .credentialsDeleted)
        for event in events {
            #expect(!event.description.contains("SECRET"))
            #expect(!event.description.contains("rt-"))
        }
    }

    /// A random but valid state: 0–4 accounts of 3 identities, random health, expiry and file.
    private static func randomState(_ generator: inout SplitMix) -> CredentialState {
        let subs = ["alice", "bob", "carol", "dave"]
        var accounts: [StoredAccount] = []
        for index in 0..<Int(generator.next() % 5) {
            let expiry = now + Int64(generator.next() % 7200) * 1000 - 600_000
            let token = TokenFactory.credentials(sub: subs[index], refresh: "rt-\(index)-\(expiry)", expiry: expiry)
            let health = generator.next() % 4
            let until: Int64 = health == 0 ? 0 : health == 3 ? now - 5 : now + hour
            let code = health == 2 ? AccountErrorCode.authInvalid : AccountErrorCode.insufficientQuota
            accounts.append(TokenFactory.account("acct_\(index)", token, until: until, code: code))
        }
        let active = accounts.isEmpty || generator.next() % 5 == 0 ? nil : accounts[Int(generator.next() % UInt64(accounts.count))].id
        let fileChoice = generator.next() % 5
        var credentials: OAuthCredentials?
        switch fileChoice {
        case 0: credentials = nil
        case 1: credentials = TokenFactory.credentials(sub: "erin", refresh: "rt-new", expiry: now + hour)
        default:
            let sub = subs[Int(generator.next() % 3)]
            credentials = TokenFactory.credentials(sub: sub, refresh: "rt-file-\(sub)", expiry: now + Int64(generator.next() % 7200) * 1000 - 600_000)
        }
        return CredentialState(accounts: TokenFactory.document(accounts, active: active), credentials: credentials)
    }
}

/// A tiny deterministic generator so failures name a reproducible seed.
struct SplitMix {
    private var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
