import Foundation
import QwenExec
import QwenSyncCore

/// A test broker over a small JSON file of accounts, mirroring the active one into
/// `oauth_creds.json` the way the real accounts store does.
///
/// File: `{"active": "a" | null, "accounts": [{"id", "token", "exhaustedUntil"}]}`.
struct FileAccountBroker: ExecAccountBroker {
    let storePath: String
    let credentialsPath: String
    let cooldownMs: Int64

    /// Creates the store with these accounts (`(id, token, exhaustedUntil)`) and no active one.
    init(directory: String, qwenDirectory: String, accounts: [(String, String, Int64)], cooldownMs: Int64 = 3_600_000) throws {
        storePath = directory + "/accounts.json"
        credentialsPath = qwenDirectory + "/oauth_creds.json"
        self.cooldownMs = cooldownMs
        let list = accounts.map { id, token, until -> JSONValue in
            ["id": .string(id), "token": .string(token), "exhaustedUntil": .int(until)]
        }
        try save(["active": nil, "accounts": .array(list)])
    }

    func activateHealthyAccount() throws -> ActiveAccount {
        var store = try load()
        let now = Self.nowMs()
        let accounts = store["accounts"]!.arrayValue!.map { $0.objectValue! }
        let healthy = accounts.filter { $0["exhaustedUntil"]!.int64Value! <= now }
        let current = healthy.first { $0["id"] == store["active"] }
        guard let chosen = current ?? healthy.first else {
            throw NoHealthyAccountError(
                earliestCooldownEndMs: accounts.map { $0["exhaustedUntil"]!.int64Value! }.min(),
                reason: "all \(accounts.count) accounts are cooling down"
            )
        }
        store["active"] = chosen["id"]
        try save(.object(store))
        let credentials: JSONValue = [
            "access_token": chosen["token"]!, "token_type": "Bearer",
            "refresh_token": "r", "expiry_date": .int(now + 3_600_000),
        ]
        try Data(credentials.serializedBytes()).write(to: URL(fileURLWithPath: credentialsPath))
        return ActiveAccount(id: chosen["id"]!.stringValue!)
    }

    func markQuotaExhausted(accountID: String) throws {
        var store = try load()
        let accounts = store["accounts"]!.arrayValue!.map { value -> JSONValue in
            var account = value.objectValue!
            if account["id"]?.stringValue == accountID { account["exhaustedUntil"] = .int(Self.nowMs() + cooldownMs) }
            return .object(account)
        }
        store["accounts"] = .array(accounts)
        try save(.object(store))
    }

    /// The account ids and their `exhaustedUntil`, and the active id.
    func state() throws -> (active: String?, exhaustedUntil: [String: Int64]) {
        let store = try load()
        var result: [String: Int64] = [:]
        for account in store["accounts"]!.arrayValue! {
            result[account.objectValue!["id"]!.stringValue!] = account.objectValue!["exhaustedUntil"]!.int64Value!
        }
        return (store["active"]?.stringValue, result)
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func load() throws -> JSONObject {
        try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: storePath)))).objectValue!
    }

    private func save(_ value: JSONValue) throws {
        try Data(value.serializedBytes()).write(to: URL(fileURLWithPath: storePath))
    }
}
