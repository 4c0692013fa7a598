import Glibc

/// Where the control socket of a qwen directory's daemon lives when neither `--socket` nor
/// `$QWEN_SYNC_SOCKET` says: one socket per qwen directory, so that daemons for different
/// directories never share (and never take over) one.
///
/// - The default qwen directory (`$HOME/.qwen`) keeps the documented
///   `$XDG_RUNTIME_DIR/qwen-sync/control.sock`, which `qwen-sync.socket` listens on.
/// - Any other directory gets `control-<16 hex digits>.sock` next to it, the digits a hash
///   (64-bit FNV-1a) of the directory's absolute path.
/// - Without `$XDG_RUNTIME_DIR` the folder is `/tmp/qwen-sync-<uid>`, which the daemon and
///   the client accept only when the user owns it and nobody else can write to it.
public enum ControlSocketLocation {
    /// The socket path for `qwenDirectory`.
    ///
    /// - Parameters:
    ///   - qwenDirectory: the qwen directory's absolute path.
    ///   - isDefault: whether it is the default `$HOME/.qwen`.
    ///   - runtimeDirectory: `$XDG_RUNTIME_DIR`, when set.
    public static func path(qwenDirectory: String, isDefault: Bool, runtimeDirectory: String?) -> String {
        let folder = runtimeDirectory.map { PathNormalizer.absolute($0) + "/qwen-sync" } ?? "/tmp/qwen-sync-\(getuid())"
        return folder + "/" + fileName(qwenDirectory: qwenDirectory, isDefault: isDefault)
    }

    /// `control.sock` for the default directory, `control-<hash>.sock` for any other; with
    /// `stem` and `suffix`, the same for a file beside it (`serve.sock`, `serve-<hash>.sock`).
    public static func fileName(_ stem: String = "control", _ suffix: String = ".sock", qwenDirectory: String, isDefault: Bool) -> String {
        isDefault ? stem + suffix : stem + "-" + hash(qwenDirectory) + suffix
    }

    /// 64-bit FNV-1a of the path's bytes, as 16 lowercase hex digits: stable across runs,
    /// builds and machines (unlike `Hasher`).
    static func hash(_ path: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in path.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
