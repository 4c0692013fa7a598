import Glibc
import QwenExec
import QwenProcess
import QwenSyncCore

/// The `qwen-sync` user unit's state, when systemd is there.
enum SystemdUnitCheck {
    static let unit = "qwen-sync.service"

    static func run(_ context: DoctorContext, daemonAnswers: Bool) -> DoctorFinding {
        guard let systemctl = ["/usr/bin/systemctl", "/bin/systemctl"].first(where: { (path: String) in access(path, X_OK) == 0 }) else {
            return DoctorFinding("systemd_unit", .skip, "not checked: no systemctl on this machine")
        }
        let runner = ChildProcessRunner(
            executable: systemctl,
            arguments: ["--user", "is-active", unit],
            environment: context.environment.assignments,
            workingDirectory: "/",
            timeout: context.commandTimeout,
            outputLimit: 4096
        )
        guard let outcome = try? runner.run(input: []), outcome.interruption == nil else {
            return DoctorFinding("systemd_unit", .skip, "not checked: `systemctl --user is-active` did not finish")
        }
        let state = String(decoding: outcome.standardOutput, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let error = String(decoding: outcome.standardError, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        guard !state.isEmpty else {
            return DoctorFinding("systemd_unit", .skip, "not checked: no systemd user manager answers (\(error.isEmpty ? "no output" : error))")
        }
        switch state {
        case "active", "reloading", "activating":
            return DoctorFinding("systemd_unit", .ok, "\(unit) is \(state)")
        case "failed":
            return DoctorFinding(
                "systemd_unit", daemonAnswers ? .warn : .fail, "\(unit) failed",
                fix: "`journalctl --user -u qwen-sync -n 50` or `qwen-sync logs -n 50`, then `systemctl --user restart qwen-sync`")
        default:
            if daemonAnswers {
                return DoctorFinding("systemd_unit", .ok, "\(unit) is \(state); the daemon that answers was started another way")
            }
            return DoctorFinding(
                "systemd_unit", .warn, "\(unit) is \(state)",
                fix: "`systemctl --user enable --now qwen-sync` (install the unit with contrib/install.sh)")
        }
    }
}
