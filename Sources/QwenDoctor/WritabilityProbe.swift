import Glibc
import QwenSyncCore

/// Whether a writer can write the qwen files, tested the way a writer will: by creating (and
/// removing at once) a file in every directory where the lock files and the stores are
/// created. `login` and every command that writes ask before they spend anything (a device
/// login, a refresh token); `doctor` reports it.
public struct WritabilityProbe: Sendable {
    /// A directory in which a file cannot be created.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The directory.
        public let directory: String
        /// The files a writer creates or replaces there.
        public let files: [String]
        /// `errno` of the failed creation.
        public let code: Int32
        /// The command that fixes it (in backquotes), or what to do.
        public let fix: String

        public var description: String {
            "cannot create files in \(directory) (\(files.joined(separator: ", "))): \(String(cString: strerror(code)))"
        }
    }

    /// The directories probed, each with the files a writer creates there.
    public let directories: [(directory: String, files: [String])]

    /// The probe for `settings`' files.
    public init(settings: Settings) {
        let qwen = settings.qwenDirectory
        let accountsDirectory = PathNormalizer.directory(of: settings.accountsPath)
        var directories = [
            (
                qwen,
                [settings.credentialsLockPath, settings.credentialsPath, settings.sidecarPath]
                    + (accountsDirectory == qwen ? [settings.accountsLockPath, settings.accountsPath] : [])
            )
        ]
        if accountsDirectory != qwen { directories.append((accountsDirectory, [settings.accountsLockPath, settings.accountsPath])) }
        self.directories = directories.map { ($0.0, $0.1.map(PathNormalizer.fileName(of:))) }
    }

    /// Creates and removes a file in each directory; the problems found, none when all is well.
    public func run() -> [Problem] {
        directories.compactMap { directory, files in
            let probe = directory + "/.qwen-sync-probe-\(getpid())-" + RandomHex.string(byteCount: 4)
            let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd < 0 else {
                close(fd)
                unlink(probe)
                return nil
            }
            let code = errno
            return Problem(directory: directory, files: files, code: code, fix: Self.fix(directory: directory, code: code))
        }
    }

    /// What fixes a failed creation in `directory`: never a change to a directory shared with
    /// other users.
    static func fix(directory: String, code: Int32) -> String {
        var status = stat()
        let exists = stat(directory, &status) == 0
        switch code {
        case ENOENT where !exists:
            return "`mkdir -m 700 \(directory)`"
        case EROFS:
            return "\(directory) is on a read-only file system: remount it read-write, or point --qwen-dir (QWEN_HOME) at a writable directory"
        case ENOSPC, EDQUOT:
            return "free some space on the file system of \(directory)"
        case EACCES, EPERM:
            guard exists, status.st_uid == getuid() else {
                return "`sudo chown \(userName(getuid())) \(directory)`, or point --qwen-dir (QWEN_HOME) at a directory of yours"
            }
            // The user's own directory: giving the owner back its write bit loosens nothing.
            return "`chmod 700 \(directory)`"
        default:
            return "make \(directory) writable for \(userName(getuid())), or point --qwen-dir (QWEN_HOME) at a writable directory"
        }
    }
}
