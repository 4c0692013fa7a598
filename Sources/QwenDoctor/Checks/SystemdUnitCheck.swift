import Glibc
import QwenExec
import QwenProcess
import QwenSyncCore

/// The `qwen-sync` user unit's state, when systemd is there.
enum SystemdUnitCheck {
    static let unit = "qwen-sync.service"

    static func run(_ context: DoctorContext, daemonAnswers: Bool) -> DoctorFinding {
        let state: String
        switch isActive(unit, context) {
        case .noSystemctl: return DoctorFinding("systemd_unit", .skip, "not checked: no systemctl on this machine")
        case .unfinished: return DoctorFinding("systemd_unit", .skip, "not checked: `systemctl --user is-active` did not finish")
        case .noManager(let error):
            return DoctorFinding("systemd_unit", .skip, "not checked: no systemd user manager answers (\(error.isEmpty ? "no output" : error))")
        case .state(let answer): state = answer
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

    /// What `systemctl --user is-active UNIT` says.
    enum Answer: Equatable {
        case noSystemctl
        case unfinished
        /// Nothing on standard output; the first line of standard error.
        case noManager(String)
        /// The unit's state: `active`, `inactive`, `failed`…
        case state(String)
    }

    /// Asks `systemctl --user is-active unit`.
    static func isActive(_ unit: String, _ context: DoctorContext) -> Answer {
        guard let systemctl = ["/usr/bin/systemctl", "/bin/systemctl"].first(where: { (path: String) in access(path, X_OK) == 0 }) else {
            return .noSystemctl
        }
        let runner = ChildProcessRunner(
            executable: systemctl,
            arguments: ["--user", "is-active", unit],
            environment: context.environment.assignments,
            workingDirectory: "/",
            timeout: context.commandTimeout,
            outputLimit: 4096
        )
        guard let outcome = try? runner.run(input: []), outcome.interruption == nil else { return .unfinished }
        let state = String(decoding: outcome.standardOutput, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let error = String(decoding: outcome.standardError, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return state.isEmpty ? .noManager(error) : .state(state)
    }

    /// The state of `unit`, `nil` when no user manager answered.
    static func activeState(of unit: String, _ context: DoctorContext) -> String? {
        if case .state(let state) = isActive(unit, context) { return state }
        return nil
    }
}
