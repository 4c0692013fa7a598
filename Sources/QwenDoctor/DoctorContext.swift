import Glibc
import QwenSyncCore

/// What the doctor checks against: the resolved settings, the environment and the clock.
public struct DoctorContext: Sendable {
    /// Where the files and the socket are.
    public var settings: Settings
    /// `PATH`, `QWEN_CLI_PATH`, `HOME` and the rest.
    public var environment: ProcessEnvironment
    /// Now, in epoch milliseconds.
    public var nowMs: Int64
    /// The user the files should belong to.
    public var uid: uid_t
    /// How long a helper command (`qwen --version`, `systemctl`) may take.
    public var commandTimeout: Duration

    /// A context for this process.
    public init(
        settings: Settings,
        environment: ProcessEnvironment = .current,
        nowMs: Int64 = WallClock.nowMs(),
        uid: uid_t = getuid(),
        commandTimeout: Duration = .seconds(5)
    ) {
        self.settings = settings
        self.environment = environment
        self.nowMs = nowMs
        self.uid = uid
        self.commandTimeout = commandTimeout
    }
}
