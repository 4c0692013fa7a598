import Glibc
import QwenSyncCore

/// The folder a control socket lives in must belong to the user and be writable by nobody
/// else: whoever can write there can replace the socket and answer in the daemon's name.
/// That matters for the `/tmp/qwen-sync-<uid>` fallback (another user may have created it
/// first); `$XDG_RUNTIME_DIR` is the user's own already.
public enum ControlSocketDirectory {
    /// For the daemon: creates the folder (0700) when missing, then checks it.
    ///
    /// - Throws: ``FileError`` when it cannot be created or is not safe (see ``verify(_:)``).
    public static func prepare(_ directory: String) throws(FileError) {
        var status = stat()
        if lstat(directory, &status) != 0 {
            _ = try SecureFile.ensureDirectory(directory)
        }
        try verify(directory)
    }

    /// For a client and the daemon: the folder exists, is a directory (not a symlink), is
    /// owned by the current user and has no write permission for group or others.
    ///
    /// - Throws: ``FileError`` naming the folder and what is wrong with it.
    public static func verify(_ directory: String) throws(FileError) {
        var status = stat()
        guard lstat(directory, &status) == 0 else { throw FileError.system("cannot inspect the control socket's folder", path: directory) }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw FileError(path: directory, reason: "the control socket's folder is not a directory (a symlink?); refusing it")
        }
        guard status.st_uid == getuid() else {
            throw FileError(
                path: directory,
                reason:
                    "the control socket's folder belongs to uid \(status.st_uid), not to you (uid \(getuid())); refusing it: \(privateFolderAdvice)"
            )
        }
        let mode = status.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw FileError(
                path: directory,
                reason: "the control socket's folder has mode \(String(mode, radix: 8)), writable by others; refusing it: \(privateFolderAdvice)")
        }
    }

    /// What to do about a folder that is not private: use another one. A shared folder's
    /// permissions (`/tmp`'s 1777) are never to be changed, so no `chmod` is suggested.
    static let privateFolderAdvice =
        "put the socket in a folder only you can write (--socket or QWEN_SYNC_SOCKET, e.g. in one made with `mkdir -m 700`), or set XDG_RUNTIME_DIR"
}
