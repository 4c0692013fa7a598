import QwenExec
import QwenProcess
import QwenSyncCore

/// Is the `qwen` CLI installed (for `qwen-sync exec`), and can it use qwen-oauth headless?
enum QwenCLICheck {
    /// The first qwen-code version that refuses qwen-oauth in headless mode unless
    /// `security.auth.useExternal` is true.
    static let externalAuthVersion = [0, 14, 5]

    static func run(_ context: DoctorContext) -> DoctorFinding {
        let path: String
        do {
            path = try CLILocator.locate(environment: context.environment)
        } catch {
            return DoctorFinding(
                "qwen_cli", .warn, "\(error.message); only `qwen-sync exec` needs it",
                fix: "`npm install -g @qwen-code/qwen-code`, or set QWEN_CLI_PATH")
        }
        let runner = ChildProcessRunner(
            executable: path,
            arguments: ["--version"],
            environment: context.environment.assignments,
            workingDirectory: "/",
            timeout: context.commandTimeout,
            outputLimit: 4096
        )
        let output = (try? runner.run(input: [])).flatMap { outcome -> String? in
            guard outcome.termination == .exited(0), outcome.interruption == nil else { return nil }
            return String(decoding: outcome.standardOutput, as: UTF8.self)
        }
        guard let output, let version = version(in: output) else {
            return DoctorFinding(
                "qwen_cli", .warn, "\(path) --version printed no version; it may not be qwen-code",
                fix: "reinstall it (`npm install -g @qwen-code/qwen-code`) or point QWEN_CLI_PATH at qwen-code")
        }
        let text = version.map(String.init).joined(separator: ".")
        if version.lexicographicallyPrecedes(externalAuthVersion) {
            return DoctorFinding("qwen_cli", .ok, "qwen \(text) at \(path); it accepts qwen-oauth in headless runs")
        }
        let settingsPath = context.settings.qwenDirectory + "/settings.json"
        if usesExternalAuth(settingsPath) {
            return DoctorFinding("qwen_cli", .ok, "qwen \(text) at \(path); security.auth.useExternal is set, so headless qwen-oauth runs work")
        }
        return DoctorFinding(
            "qwen_cli", .warn,
            "qwen \(text) at \(path) refuses qwen-oauth in your own headless runs (`qwen -p`) unless security.auth.useExternal is true; `qwen-sync exec` sets it for its runs",
            fix: "for your own scripts, add {\"security\":{\"auth\":{\"useExternal\":true}}} to \(settingsPath)"
        )
    }

    /// The first `N.N.N` in `text`.
    static func version(in text: String) -> [Int]? {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "v" || $0 == "-" || $0 == "+" }) {
            let numbers = word.split(separator: ".", omittingEmptySubsequences: false).prefix(3).compactMap { Int($0) }
            if numbers.count == 3 { return numbers }
        }
        return nil
    }

    /// Whether the settings file at `path` sets `security.auth.useExternal` to true.
    private static func usesExternalAuth(_ path: String) -> Bool {
        guard let contents = try? SecureFile.read(path, limit: 1 << 20),
            let settings = try? JSON.parse(contents.bytes)
        else { return false }
        return settings.objectValue?["security"]?.objectValue?["auth"]?.objectValue?["useExternal"]?.boolValue == true
    }
}
