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
        guard facts.type == S_IFREG else {
            return DoctorFinding(
                "serve_key", .fail, "\(path) is not a regular file", fix: "`rm \(path)`; `qwen-sync serve --print-env` makes a new key")
        }
        guard facts.owner == context.uid else {
            return DoctorFinding(
                "serve_key", .fail, "\(path) belongs to \(userName(facts.owner)), not \(userName(context.uid))",
                fix: "`rm \(path)` as its owner; `qwen-sync serve --print-env` makes a new key")
        }
        guard facts.permissions == 0o600 else {
            return DoctorFinding(
                "serve_key", .fail, "\(path) has mode \(facts.modeText): other users can read the endpoint's key",
                fix: "`chmod 600 \(path)`, then `rm` it and run `qwen-sync serve --print-env` for a new key")
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
        guard facts.type == S_IFSOCK else {
            return DoctorFinding(
                "serve_socket", .fail, "\(path) is not a socket", fix: "`rm \(path)`; `qwen-sync serve` creates the socket")
        }
        guard facts.owner == context.uid else {
            return DoctorFinding(
                "serve_socket", .fail, "\(path) belongs to \(userName(facts.owner)), not \(userName(context.uid))",
                fix: "stop that user's endpoint, or give this qwen dir its own socket with $QWEN_SYNC_SERVE_SOCKET")
        }
        guard facts.permissions == 0o600 else {
            return DoctorFinding(
                "serve_socket", .fail, "\(path) has mode \(facts.modeText): other users can connect (each request is still checked with SO_PEERCRED)",
                fix: "`chmod 600 \(path)`, and give SocketMode=0600 in a drop-in if \(socketUnit) made it")
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
}
