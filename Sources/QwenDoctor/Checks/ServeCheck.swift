import Glibc
import QwenControl
import QwenSyncCore

/// `qwen-sync serve`'s files: the API key (0600, ours), the socket unit (information only), and
/// the Unix socket (ours, 0600, answered, or a stale file to remove).
enum ServeCheck {
    /// The socket unit of `contrib/qwen-sync-serve.socket`.
    static let socketUnit = "qwen-sync-serve.socket"

    static func run(_ context: DoctorContext) -> [DoctorFinding] {
        let unitState = SystemdUnitCheck.activeState(of: socketUnit, context)
        return [
            key(context),
            unit(unitState),
            socket(context, socketActivated: unitState == "active"),
        ]
    }

    /// The key file TCP clients need: absent until the first start, else a 0600 regular file of ours.
    static func key(_ context: DoctorContext) -> DoctorFinding {
        let path = ServeLocation.keyPath(settings: context.settings)
        guard let facts = FileFacts.of(path) else {
            return DoctorFinding("serve_key", .ok, "no endpoint key yet: `qwen-sync serve` creates \(path) on its first start")
        }
        if let problem = notPrivate(
            "serve_key", path, facts, type: S_IFREG, context,
            fixes: Fixes(
                type: "`rm \(path)`; `qwen-sync serve --print-env` makes a new key",
                owner: "`rm \(path)` as its owner; `qwen-sync serve --print-env` makes a new key",
                mode: "`chmod 600 \(path)`, then `rm` it and run `qwen-sync serve --print-env` for a new key"),
            exposure: "other users can read the endpoint's key")
        {
            return problem
        }
        return DoctorFinding("serve_key", .ok, "\(path) is yours, mode 0600")
    }

    /// Whether the endpoint starts on demand; information only (`nil`: no user manager answered).
    static func unit(_ state: String?) -> DoctorFinding {
        guard let state else {
            return DoctorFinding("serve_unit", .skip, "not checked: no systemd user manager answers")
        }
        if state == "active" {
            return DoctorFinding("serve_unit", .ok, "\(socketUnit) is active: the endpoint starts on the first request")
        }
        return DoctorFinding(
            "serve_unit", .ok,
            "\(socketUnit) is \(state): the endpoint runs only when started (`systemctl --user enable --now \(socketUnit)` starts it on demand)")
    }

    /// The Unix socket: absent (nothing runs), or a socket of ours, 0600, that something answers.
    /// A socket-activated one is not connected to (that would start the endpoint).
    static func socket(_ context: DoctorContext, socketActivated: Bool) -> DoctorFinding {
        let path = ServeLocation.socketPath(settings: context.settings, environment: context.environment)
        guard let facts = FileFacts.of(path) else {
            return DoctorFinding("serve_socket", .ok, "no endpoint listens at \(path)")
        }
        if let problem = notPrivate(
            "serve_socket", path, facts, type: S_IFSOCK, context,
            fixes: Fixes(
                type: "`rm \(path)`; `qwen-sync serve` creates the socket",
                owner: "stop that user's endpoint, or give this qwen dir its own socket with $QWEN_SYNC_SERVE_SOCKET",
                mode: "`chmod 600 \(path)`, and give SocketMode=0600 in a drop-in if \(socketUnit) made it"),
            exposure: "other users can connect (each request is still checked with SO_PEERCRED)")
        {
            return problem
        }
        if socketActivated {
            return DoctorFinding("serve_socket", .ok, "\(path) is yours, mode 0600; systemd listens on it (\(socketUnit))")
        }
        guard let descriptor = try? UnixSocket.connect(to: path, timeout: context.commandTimeout) else {
            return DoctorFinding(
                "serve_socket", .warn, "\(path) is a stale socket: nothing listens on it",
                fix: "`rm \(path)` (the next `qwen-sync serve` replaces it anyway), or `systemctl --user enable --now \(socketUnit)`")
        }
        close(descriptor)
        return DoctorFinding("serve_socket", .ok, "\(path) is yours, mode 0600, and an endpoint answers on it")
    }

    /// The fix for each way an endpoint file can fail ``notPrivate(_:_:_:type:_:fixes:exposure:)``.
    struct Fixes {
        let type: String
        let owner: String
        let mode: String
    }

    /// The failing finding for an endpoint file that is not of `type`, not ours or not 0600
    /// (`exposure` says what the mode lets others do), or `nil` when it is private.
    static func notPrivate(
        _ id: String, _ path: String, _ facts: FileFacts, type: mode_t, _ context: DoctorContext, fixes: Fixes, exposure: String
    ) -> DoctorFinding? {
        guard facts.type == type else {
            return DoctorFinding(id, .fail, "\(path) is not a \(type == S_IFSOCK ? "socket" : "regular file")", fix: fixes.type)
        }
        guard facts.owner == context.uid else {
            return DoctorFinding(id, .fail, "\(path) belongs to \(userName(facts.owner)), not \(userName(context.uid))", fix: fixes.owner)
        }
        guard facts.permissions == 0o600 else {
            return DoctorFinding(id, .fail, "\(path) has mode \(facts.modeText): \(exposure)", fix: fixes.mode)
        }
        return nil
    }
}
