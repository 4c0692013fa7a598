import Glibc
import QwenSyncCore

/// `oauth_creds.json` and the accounts store: owner, mode, symbolic links, content.
enum CredentialFileCheck {
    static func credentials(_ context: DoctorContext) -> DoctorFinding {
        let path = context.settings.credentialsPath
        guard FileFacts.of(path) != nil else {
            return DoctorFinding(
                "credentials_file", .warn, "\(path) does not exist: no qwen client has an account to use", fix: rewriteFix(context))
        }
        if let problem = safety(path, id: "credentials_file", context: context) { return problem }
        switch CredentialsFile.read(path) {
        case .valid:
            return DoctorFinding("credentials_file", .ok, "\(path) is private and holds valid credentials")
        case .invalid(let reason, _):
            return DoctorFinding("credentials_file", .fail, "\(path) is not usable: \(reason)", fix: rewriteFix(context))
        case .missing:
            return DoctorFinding("credentials_file", .warn, "\(path) vanished while it was checked", fix: "run `qwen-sync doctor` again")
        }
    }

    static func accountsStore(_ context: DoctorContext) -> DoctorFinding {
        let path = context.settings.accountsPath
        guard FileFacts.of(path) != nil else {
            return DoctorFinding("accounts_file", .ok, "no accounts store yet (\(path) is created by the first login or import)")
        }
        if let problem = safety(path, id: "accounts_file", context: context) { return problem }
        let state: CredentialState
        do {
            state = try CredentialStore(settings: context.settings).read()
        } catch {
            return DoctorFinding(
                "accounts_file", .fail, "\(path) cannot be read: \(error.description)",
                fix: "move it aside (qwen-sync never rewrites a store it cannot read): `mv \(path) \(path).broken`, then `qwen-sync accounts import`"
                    + " takes back the account in oauth_creds.json and `qwen-sync accounts restore` lists the kept tokens")
        }
        let rejected = state.accounts.rejectedEntries
        if !rejected.isEmpty {
            let first = rejected[0]
            return DoctorFinding(
                "accounts_file", .warn,
                "\(path): \(rejected.count) unusable entr\(rejected.count == 1 ? "y" : "ies") (entry \(first.index): \(first.reason)); the accounts plugin drops them",
                fix: "`qwen-sync accounts list` shows them; remove or log in to them again"
            )
        }
        let count = state.accounts.accounts.count
        return DoctorFinding("accounts_file", .ok, "\(path) is private and valid (\(count) account\(count == 1 ? "" : "s"))")
    }

    /// How `oauth_creds.json` is written again: from the store's active (else first healthy)
    /// account, named, or by a login when the store has none.
    private static func rewriteFix(_ context: DoctorContext) -> String {
        let state = try? CredentialStore(settings: context.settings).read()
        let nowMs = WallClock.nowMs()
        guard let account = state?.accounts.activeAccount ?? state?.accounts.nextHealthy(after: nil, nowMs: nowMs) else { return "`qwen-sync login`" }
        return "`qwen-sync accounts use \(account.id)` writes it again from the store"
    }

    /// A failure when `path` is someone else's, readable by others, or a link out of the qwen dir.
    private static func safety(_ path: String, id: String, context: DoctorContext) -> DoctorFinding? {
        guard let facts = FileFacts.of(path) else { return nil }
        if let target = facts.linkTarget {
            let directory = context.settings.qwenDirectory
            var status = stat()
            guard stat(path, &status) == 0 else {
                return DoctorFinding(
                    id, .fail, "\(path) is a link to \(target), which does not exist",
                    fix: "remove the link: `rm \(path)`, then " + rewriteFix(context))
            }
            if !target.hasPrefix(directory + "/") {
                return DoctorFinding(
                    id, .warn, "\(path) is a link to \(target), outside \(directory); writers replace the link with a file, so the two drift apart",
                    fix: "replace the link with the file: `cp --remove-destination \(target) \(path)`")
            }
        } else if facts.type != S_IFREG {
            return DoctorFinding(id, .fail, "\(path) is not a regular file", fix: "move it away, then `qwen-sync login`")
        }
        if facts.owner != context.uid {
            return DoctorFinding(
                id, .fail, "\(path) belongs to \(userName(facts.owner)), not to \(userName(context.uid))",
                fix: "`sudo chown \(userName(context.uid)) \(path)`")
        }
        if facts.permissions & 0o077 != 0 {
            return DoctorFinding(
                id, .fail, "\(path) has mode \(facts.modeText): other users can read or change your tokens",
                fix: "`chmod 600 \(path)`")
        }
        return nil
    }
}
