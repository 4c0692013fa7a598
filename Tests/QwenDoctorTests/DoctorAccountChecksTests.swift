import Glibc
import QwenDoctor
import QwenSyncCore
import QwenSyncTestSupport
import Testing

@Suite("doctor: the active account and every other one")
struct DoctorAccountChecksTests {
    @Test("an expired access token warns and says to refresh")
    func expired() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        try fixture.change { state in
            let id = state.accounts.activeAccountID!
            _ = state.accounts.update(id: id) { $0.setToken(DoctorFixture.credentials("main", expiresInMs: -600_000), nowMs: WallClock.nowMs()) }
            state.mirrorActiveAccount()
        }
        let finding = try fixture.finding("active_account")
        #expect(finding.status == .warn && finding.message.contains("expired"), "\(finding.message)")
        #expect(finding.fix?.contains("qwen-sync refresh") == true)
    }

    @Test("a refused active account fails and names `login --account` with its id")
    func refusedActive() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        var id = ""
        try fixture.change { state in
            id = state.accounts.activeAccountID!
            let now = WallClock.nowMs()
            _ = state.accounts.update(id: id) { $0.markExhausted(until: now + 3_600_000, code: AccountErrorCode.authInvalid, nowMs: now) }
        }
        let finding = try fixture.finding("active_account")
        #expect(finding.status == .fail && finding.message.contains("refused"))
        #expect(finding.fix?.contains("qwen-sync login --account \(id)") == true)
        #expect(finding.message.contains(id))
    }

    @Test("other accounts: cooling down is ok, refused warns, each named by id")
    func otherAccounts() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        var ids: [String] = []
        try fixture.change { state in
            let now = WallClock.nowMs()
            for (sub, code) in [("cool", AccountErrorCode.insufficientQuota), ("gone", AccountErrorCode.authInvalid)] {
                let id = state.adopt(DoctorFixture.credentials(sub, expiresInMs: 3_600_000), nowMs: now).id
                _ = state.accounts.update(id: id) { $0.markExhausted(until: now + 3_600_000, code: code, nowMs: now) }
                ids.append(id)
            }
        }
        let cooling = try fixture.finding("account:\(ids[0])")
        #expect(cooling.status == .ok && cooling.message.contains("out of quota until"))
        let refused = try fixture.finding("account:\(ids[1])")
        #expect(refused.status == .warn && refused.fix?.contains("qwen-sync login --account \(ids[1])") == true)
    }

    @Test("no account at all fails with `qwen-sync login`")
    func noAccount() throws {
        let fixture = try DoctorFixture()
        defer { fixture.remove() }
        unlink(fixture.settings.accountsPath)
        unlink(fixture.settings.credentialsPath)
        let finding = try fixture.finding("active_account")
        #expect(finding.status == .fail && finding.fix == "`qwen-sync login`")
    }
}
