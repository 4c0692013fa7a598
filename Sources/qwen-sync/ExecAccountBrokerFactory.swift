import Glibc
import QwenExec
import QwenSyncCore
import Synchronization

/// The accounts broker `exec` uses.
///
/// For now the current `oauth_creds.json` is the only account: it is "healthy" while the
/// file exists and no quota error was seen during this run. The accounts store in
/// QwenSyncCore replaces this with a broker over `oauth_accounts.json` (switching, cooldowns).
func makeExecAccountBroker(settings: Settings) -> any ExecAccountBroker {
    CredentialsFileBroker(credentialsPath: settings.credentialsPath, cooldownMs: settings.quotaCooldownMs)
}

/// A broker over the single account in `oauth_creds.json`.
final class CredentialsFileBroker: ExecAccountBroker {
    private let credentialsPath: String
    private let cooldownMs: Int64
    private let exhaustedUntilMs = Mutex<Int64?>(nil)

    init(credentialsPath: String, cooldownMs: Int64) {
        self.credentialsPath = credentialsPath
        self.cooldownMs = cooldownMs
    }

    func activateHealthyAccount() throws -> ActiveAccount {
        if let end = exhaustedUntilMs.withLock({ $0 }) {
            throw NoHealthyAccountError(
                earliestCooldownEndMs: end,
                reason: "the only account (\(credentialsPath)) is out of quota"
            )
        }
        guard access(credentialsPath, R_OK) == 0 else {
            throw NoHealthyAccountError(
                earliestCooldownEndMs: nil,
                reason: "no credentials at \(credentialsPath) (run `qwen-sync login`)"
            )
        }
        return ActiveAccount(id: "oauth_creds.json")
    }

    func markQuotaExhausted(accountID: String) throws {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let end = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000 + cooldownMs
        exhaustedUntilMs.withLock { $0 = end }
    }
}
