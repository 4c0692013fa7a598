import Glibc
import QwenOAuth
import QwenSyncCore

/// `qwen-syncd`, the daemon's own executable, and how `qwen-sync daemon` hands over to it.
///
/// The long-running process needs none of the command line's parser, and swift-argument-parser
/// brings FoundationEssentials with it: in `qwen-sync` those pages alone keep about 3 MB more
/// resident in an idle daemon. So `qwen-sync daemon` parses and checks its options, passes them
/// on in the environment and replaces itself with `qwen-syncd` (`execve`: the same process, so
/// systemd's notifications and main PID are unaffected). `qwen-syncd` also serves the daemon's
/// HTTP exchanges (``HTTPExchange``), so the daemon itself never loads libcurl.
public enum DaemonExecutable {
    /// The executable's file name.
    public static let name = "qwen-syncd"
    /// The variable that carries `--refresh-lead` (seconds).
    public static let refreshLeadVariable = "QWEN_SYNC_REFRESH_LEAD"
    /// The shortest refresh lead accepted: clients refresh themselves inside the last 30 s.
    public static let minimumRefreshLead = Duration.seconds(31)

    /// Where `qwen-syncd` may be, relative to the running executable's directory: first
    /// `../libexec/qwen-sync/` (packages, `contrib/install.sh`), then the same directory (a build
    /// directory). Empty when `/proc/self/exe` cannot be read.
    /// The same places for another of the package's helper executables (`qwen-sync-serve`).
    public static func searchPaths(for helper: String = name) -> [String] {
        guard let executable = SymbolicLink.target(of: "/proc/self/exe") else { return [] }
        let directory = PathNormalizer.directory(of: executable)
        return [PathNormalizer.directory(of: directory) + "/libexec/qwen-sync/" + helper, directory + "/" + helper]
    }

    /// The environment that gives `qwen-syncd` exactly `settings` and `refreshLead`.
    ///
    /// - Parameters:
    ///   - settings: the settings `qwen-sync daemon` resolved from its options and `environment`.
    ///   - refreshLead: `--refresh-lead` (whole seconds are handed over); `nil` for none (a
    ///     helper executable that schedules no refresh).
    ///   - environment: the environment to extend.
    public static func environment(for settings: Settings, refreshLead: Duration?, extending environment: ProcessEnvironment) -> ProcessEnvironment {
        var handedOver = environment
        handedOver.variables["QWEN_HOME"] = settings.qwenDirectory
        handedOver.variables["QWEN_SYNC_SOCKET"] = settings.socketPath
        handedOver.variables["QWEN_SYNC_OAUTH_BASE_URL"] = settings.oauthBaseURL
        handedOver.variables["QWEN_SYNC_OAUTH_CLIENT_ID"] = settings.oauthClientID
        handedOver.variables[refreshLeadVariable] = refreshLead.map { String($0.inMilliseconds / 1000) }
        return handedOver
    }

    /// Replaces this process with `path`, given `arguments` and `environment`.
    ///
    /// - Returns: only when `execve` failed, with the reason.
    public static func execute(_ path: String, arguments: [String] = [], environment: ProcessEnvironment) -> String {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.assignments.map { strdup($0) } + [nil]
        execve(path, argv, envp)
        let reason = String(cString: strerror(errno))
        argv.forEach { free($0) }
        envp.forEach { free($0) }
        return reason
    }

    /// Why `lead` is not a usable refresh lead, or `nil` when it is.
    public static func refreshLeadProblem(_ lead: Duration) -> String? {
        if lead > .seconds(OutsideNumbers.maximumLifetimeSeconds) { return "must be at most a year (\(OutsideNumbers.maximumLifetimeSeconds) seconds)" }
        return lead >= minimumRefreshLead
            ? nil : "must be more than 30 seconds (clients refresh themselves inside the last 30 s)"
    }

    /// `qwen-syncd`'s configuration, read from `environment`.
    ///
    /// HTTP requests run in children of this executable (`/proc/self/exe`, which stays valid
    /// while a package upgrade replaces the file).
    ///
    /// - Throws: ``DaemonError`` for settings or a refresh lead that do not hold.
    public static func configuration(environment: ProcessEnvironment) throws(DaemonError) -> DaemonConfiguration {
        let settings: Settings
        do { settings = try Settings.resolve(environment: environment) } catch { throw .startup(error.description) }
        var lead = DaemonConfiguration.defaultRefreshLead
        if let text = environment[refreshLeadVariable] {
            guard let seconds = Int64(text) else { throw .startup("\(refreshLeadVariable) must be a number of seconds, not \(text)") }
            lead = .seconds(seconds)
            if let problem = refreshLeadProblem(lead) { throw .startup("\(refreshLeadVariable) \(problem)") }
        }
        return DaemonConfiguration(
            settings: settings,
            oauth: OAuthConfiguration(settings: settings, httpIsolation: .childProcess(executable: "/proc/self/exe")),
            refreshLead: lead
        )
    }
}
