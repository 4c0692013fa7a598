import ArgumentParser
import Glibc
import QwenDoctor
import QwenSyncCore

/// `qwen-sync doctor [--json] [--strict]`: is this setup OK, and if not, what to do.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the daemon, files, locks, accounts, the qwen CLI and known client pitfalls.",
        discussion: """
            Each finding is ok, warn, fail or skip (could not be checked here), with one line \
            saying what to do. Nothing is changed and no token is printed. Exit 0 when nothing \
            failed (warnings are listed and counted but do not fail, unless --strict), 1 when \
            a check failed. --json prints {"ok": bool, "checks": [{"id", "status", "message", \
            "fix"}]}, where ok is false exactly when the exit status is 1.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print one JSON document.") var json = false
    @Flag(help: "Exit 1 on warnings too.") var strict = false

    func run() throws {
        let settings = try global.settings()
        let findings = Doctor.run(DoctorContext(settings: settings))
        let exitCode = Doctor.exitCode(for: findings, strict: strict)
        if json {
            print(
                JSONValue.object(
                    JSONObject([
                        ("ok", .bool(exitCode == 0)),
                        ("checks", .array(findings.map(\.json))),
                    ])
                ).serialized(.pretty))
        } else {
            print(render(findings, exitCode: exitCode))
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// One line per finding, the fix indented under it, and a summary.
    private func render(_ findings: [DoctorFinding], exitCode: Int32) -> String {
        var lines: [String] = []
        for finding in findings {
            lines.append("[\(finding.status.rawValue)]".padding(to: 7) + finding.message)
            if let fix = finding.fix { lines.append("       → \(fix)") }
        }
        let failures = findings.filter { $0.status == .fail }.count
        let warnings = findings.filter { $0.status == .warn }.count
        if failures > 0 {
            lines.append("\(failures) problem\(failures == 1 ? "" : "s") to fix, \(warnings) warning\(warnings == 1 ? "" : "s").")
        } else if warnings > 0 {
            lines.append("Usable, with \(warnings) warning\(warnings == 1 ? "" : "s") (exit \(exitCode)).")
        } else {
            lines.append("All is well.")
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string padded with spaces to at least `width` characters.
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
