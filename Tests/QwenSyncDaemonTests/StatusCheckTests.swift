import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `qwen-sync status --check`: exit 0 and silence when the active account can be used, else
/// exit 1 and the reason on one line of stderr; from the daemon when one serves the qwen dir,
/// else from the files.
@Suite("status --check")
struct StatusCheckTests {
    static let hourMs: Int64 = 3_600_000

    func check(_ fixture: DaemonFixture) async throws -> ProcessOutcome {
        try await runProduct("qwen-sync", ["status", "--check"], environment: fixture.environment())
    }

    @Test(
        "without a daemon, judged from the files",
        arguments: [
            "no-store", "healthy", "expired", "auth-invalid-alone", "auth-invalid-with-alternative", "cooldown", "no-active", "unstored-login",
        ])
    func fromFiles(_ scene: String) async throws {
        let fixture = try await DaemonFixture()
        let now = WallClock.nowMs()
        let fresh = TokenFactory.credentials(sub: "user-1", refresh: "rt-1", expiry: now + Self.hourMs)
        let other = TokenFactory.account("acct_b", TokenFactory.credentials(sub: "user-2", refresh: "rt-2", expiry: now + Self.hourMs))
        let expected: (code: Int32, reason: String)
        switch scene {
        case "no-store":
            expected = (1, "qwen-sync: no account; run `qwen-sync login`")
        case "healthy":
            try fixture.writeAccounts(TokenFactory.document([TokenFactory.account("acct_a", fresh), other], active: "acct_a"))
            expected = (0, "")
        case "expired":
            let stale = TokenFactory.credentials(sub: "user-1", refresh: "rt-1", expiry: now - 120_000)
            try fixture.writeAccounts(TokenFactory.document([TokenFactory.account("acct_a", stale)], active: "acct_a"))
            expected = (1, "qwen-sync: the token of the active account acct_a expired 2m 00s ago; run `qwen-sync refresh`")
        case "auth-invalid-alone":
            let refused = TokenFactory.account("acct_a", fresh, until: now + Self.hourMs, code: AccountErrorCode.authInvalid)
            try fixture.writeAccounts(TokenFactory.document([refused], active: "acct_a"))
            expected = (1, "qwen-sync: the active account acct_a was refused by the server; run `qwen-sync login --account acct_a`")
        case "auth-invalid-with-alternative":
            let refused = TokenFactory.account("acct_a", fresh, until: now + Self.hourMs, code: AccountErrorCode.authInvalid)
            try fixture.writeAccounts(TokenFactory.document([refused, other], active: "acct_a"))
            expected = (
                1,
                "qwen-sync: the active account acct_a was refused by the server; run `qwen-sync login --account acct_a`; or switch with `qwen-sync accounts use acct_b`"
            )
        case "cooldown":
            let cooling = TokenFactory.account("acct_a", fresh, until: now + 2 * Self.hourMs + 30_000)
            let alsoCooling = TokenFactory.account("acct_b", fresh, until: now + Self.hourMs)
            try fixture.writeAccounts(TokenFactory.document([cooling, alsoCooling], active: "acct_a"))
            expected = (1, "qwen-sync: the active account acct_a is cooling down after a quota error, ends in 2h 00m; no other account is healthy")
        case "no-active":
            try fixture.writeAccounts(TokenFactory.document([other], active: nil))
            expected = (1, "qwen-sync: no active account; choose one with `qwen-sync accounts use ID`")
        default:  // a login only qwen-code knows about: usable
            try fixture.writeCredentials(fresh)
            expected = (0, "")
        }
        let outcome = try await check(fixture)
        #expect(outcome.exitCode == expected.code, "\(outcome.standardError)")
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError == (expected.reason.isEmpty ? "" : expected.reason + "\n"))
    }

    @Test("a refused active account with a healthy alternative: unusable without a daemon, usable with one (it switches)")
    func fromDaemon() async throws {
        let fixture = try await DaemonFixture()
        let now = WallClock.nowMs()
        let healthy = try fixture.credentials(for: "user-1", expiresInMs: Self.hourMs)
        let refused = TokenFactory.account(
            "acct_a", try fixture.credentials(for: "user-2", expiresInMs: Self.hourMs), until: now + Self.hourMs, code: AccountErrorCode.authInvalid)
        try fixture.writeAccounts(TokenFactory.document([refused, TokenFactory.account("acct_b", healthy)], active: "acct_a"))
        try fixture.writeCredentials(refused.token)
        let alone = try await check(fixture)
        #expect(alone.exitCode == 1)
        #expect(alone.standardError.hasSuffix("; or switch with `qwen-sync accounts use acct_b`\n"), "\(alone.standardError)")

        let daemon = try await fixture.startDaemon()
        defer { daemon.process.terminate() }
        let usable = try await check(fixture)
        #expect(usable.exitCode == 0, "\(usable.standardError)")
        #expect(usable.standardOutput.isEmpty && usable.standardError.isEmpty)

        let both = try await runProduct("qwen-sync", ["status", "--check", "--json"], environment: fixture.environment())
        #expect(both.exitCode == 2)
    }
}
