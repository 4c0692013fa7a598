import Foundation
import QwenSyncCore
import Testing

/// A real accounts store (`oauth_accounts.json` + `oauth_creds.json`) in a test's qwen dir,
/// written through ``CredentialStore`` and read back from the files themselves.
///
/// Accounts are named by a short test name (`a`, `b`, …); their tokens are `access-<name>` and
/// `refresh-<name>`, so the stand-in CLI can be told which access tokens are out of quota.
struct AccountsStoreFixture {
    /// One account to create.
    struct Seed {
        /// The test name, which also makes the tokens.
        var name: String
        /// `exhaustedUntil` (ms; 0 = healthy).
        var exhaustedUntil: Int64 = 0
        /// `lastErrorCode`, set only together with a cooldown.
        var lastErrorCode = AccountErrorCode.insufficientQuota
    }

    /// The paths and the cooldown, resolved as `qwen-sync exec` resolves them.
    let settings: Settings
    /// The store over those files.
    var store: CredentialStore { CredentialStore(settings: settings) }

    /// A fixture over `qwenDirectory` with this quota cooldown.
    init(qwenDirectory: String, cooldownMs: Int64) throws {
        settings = try Settings.resolve(
            qwenDir: qwenDirectory,
            environment: ProcessEnvironment(["OPENCODE_QWEN_QUOTA_COOLDOWN_MS": "\(cooldownMs)"])
        )
    }

    /// The access token of account `name`.
    static func accessToken(_ name: String) -> String { "access-\(name)" }

    /// The credentials of account `name`.
    static func credentials(_ name: String) -> OAuthCredentials {
        OAuthCredentials(
            accessToken: accessToken(name),
            refreshToken: "refresh-\(name)",
            expiryDate: 4_102_444_800_000,
            resourceURL: "portal.qwen.ai"
        )
    }

    /// Writes the store with `seeds` in order; `active` (a seed name) is made active and
    /// mirrored into `oauth_creds.json`.
    ///
    /// - Returns: the account ids by seed name.
    @discardableResult
    func create(_ seeds: [Seed], active: String?) throws -> [String: String] {
        try store.transaction { state in
            let nowMs = WallClock.nowMs()
            var ids: [String: String] = [:]
            for seed in seeds {
                let id = StoredAccount.makeID(nowMs: nowMs)
                var account = StoredAccount(id: id, token: Self.credentials(seed.name), nowMs: nowMs)
                if seed.exhaustedUntil > 0 {
                    account.markExhausted(until: seed.exhaustedUntil, code: seed.lastErrorCode, nowMs: nowMs)
                }
                state.accounts.add(account)
                ids[seed.name] = id
            }
            if let active {
                let activated = state.activate(ids[active]!)
                #expect(activated)
            }
            return ids
        }
    }

    /// `oauth_accounts.json` as JSON, read from the file.
    func accountsFile() throws -> JSONObject {
        try #require(try JSON.parse(read(settings.accountsPath)).objectValue)
    }

    /// The entry with `id` in `oauth_accounts.json`.
    func entry(_ id: String) throws -> JSONObject {
        let accounts = try #require(try accountsFile()["accounts"]?.arrayValue)
        return try #require(accounts.compactMap(\.objectValue).first { $0["id"]?.stringValue == id })
    }

    /// `activeAccountId` in `oauth_accounts.json`.
    func activeAccountID() throws -> String? {
        try accountsFile()["activeAccountId"]?.stringValue
    }

    /// `oauth_creds.json` as JSON, read from the file.
    func credentialsFile() throws -> JSONObject {
        try #require(try JSON.parse(read(settings.credentialsPath)).objectValue)
    }

    /// The permission bits of `oauth_creds.json`.
    func credentialsMode() throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: settings.credentialsPath)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    private func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
