import Glibc
import QwenSyncCore

/// What `lstat` says about a path: type, permission bits, owner, and a link's target.
struct FileFacts {
    /// `S_IFMT` bits of the path itself (a symbolic link is not followed).
    let type: mode_t
    /// The permission bits (`0o777`) of the path, or of a link's target.
    let permissions: mode_t
    /// The owner of the path, or of a link's target.
    let owner: uid_t
    /// The absolute target of a symbolic link.
    let linkTarget: String?

    /// The facts about `path`, or `nil` when it does not exist (a dangling link does).
    static func of(_ path: String) -> FileFacts? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        guard (status.st_mode & S_IFMT) == S_IFLNK else {
            return FileFacts(type: status.st_mode & S_IFMT, permissions: status.st_mode & 0o777, owner: status.st_uid, linkTarget: nil)
        }
        let raw = SymbolicLink.target(of: path) ?? ""
        let target = raw.hasPrefix("/") ? raw : PathNormalizer.directory(of: path) + "/" + raw
        var targetStatus = stat()
        let resolved = stat(path, &targetStatus) == 0
        return FileFacts(
            type: S_IFLNK,
            permissions: resolved ? targetStatus.st_mode & 0o777 : 0,
            owner: resolved ? targetStatus.st_uid : status.st_uid,
            linkTarget: PathNormalizer.absolute(target)
        )
    }

    /// Whether it is a symbolic link.
    var isSymlink: Bool { type == S_IFLNK }

    /// `0644`-style text of the permission bits.
    var modeText: String {
        let octal = String(permissions, radix: 8)
        return String(repeating: "0", count: max(0, 4 - octal.count)) + octal
    }
}

/// The name of user `uid`, or `uid N` when it has none.
func userName(_ uid: uid_t) -> String {
    guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "uid \(uid)" }
    return String(cString: name)
}

/// `2026-12-04 23:50:01 UTC` for an epoch-ms value.
func utcText(ms: Int64) -> String {
    let iso = UTCTimestamp.iso8601(ms: ms)  // 2026-12-04T23:50:01Z
    return String(iso.dropLast().map { $0 == "T" ? " " : $0 }) + " UTC"
}

/// "3 min", "2 h 5 min", "45 s" for a duration in milliseconds.
func durationText(ms: Int64) -> String {
    let seconds = max(0, ms / 1000)
    if seconds < 120 { return "\(seconds) s" }
    let minutes = seconds / 60
    if minutes < 120 { return "\(minutes) min" }
    let hours = minutes / 60
    if hours < 48 { return "\(hours) h \(minutes % 60) min" }
    return "\(hours / 24) days"
}
