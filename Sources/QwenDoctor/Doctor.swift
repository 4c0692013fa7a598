import QwenSyncCore

/// `qwen-sync doctor`: every check a user would otherwise make by hand, in reading order.
///
/// Where the files are, the daemon, the qwen directory, the credential files, the lock files, the active account
/// and every other account, the `qwen` CLI, the systemd unit, `qwen-sync serve`'s key, socket unit and socket, and the editor extensions known
/// to cache tokens. Each check reads only; nothing is changed and no token is printed.
public enum Doctor {
    /// Runs every check.
    public static func run(_ context: DoctorContext) -> [DoctorFinding] {
        let daemon = DaemonCheck.run(context)
        var findings = [ConfigurationCheck.run(context), daemon.finding]
        findings.append(DirectoryCheck.run(context))
        findings.append(CredentialFileCheck.credentials(context))
        findings.append(CredentialFileCheck.accountsStore(context))
        findings.append(LockCheck.run(context, id: "credentials_lock", path: context.settings.credentialsLockPath, policy: .credentials))
        findings.append(LockCheck.run(context, id: "accounts_lock", path: context.settings.accountsLockPath, policy: .accounts))
        findings += AccountChecks.run(context)
        findings.append(QwenCLICheck.run(context))
        findings.append(SystemdUnitCheck.run(context, daemonAnswers: daemon.answers))
        findings += ServeCheck.run(context)
        findings.append(EditorExtensionCheck.run(context))
        return findings
    }

    /// The exit status for these findings: 1 when one failed (or, with `strict`, warned), else 0.
    public static func exitCode(for findings: [DoctorFinding], strict: Bool) -> Int32 {
        let worst = findings.map(\.status).max() ?? .ok
        return worst == .fail || (strict && worst == .warn) ? 1 : 0
    }
}
