import QwenSyncCore

/// Where everything is, and the configuration problems settings resolution noticed (such as
/// `OPENCODE_QWEN_ACCOUNTS_PATH` outside the qwen dir).
enum ConfigurationCheck {
    static func run(_ context: DoctorContext) -> DoctorFinding {
        let settings = context.settings
        guard settings.warnings.isEmpty else {
            return DoctorFinding(
                "configuration", .warn, settings.warnings.joined(separator: "; "),
                fix: "correct or unset the variable named, so every client uses the same files")
        }
        return DoctorFinding(
            "configuration", .ok,
            "qwen dir \(settings.qwenDirectory), accounts store \(settings.accountsPath), socket \(settings.socketPath)")
    }
}
