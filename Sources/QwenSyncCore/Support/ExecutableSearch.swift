import Glibc

/// Finding a program on `PATH`; the one `PATH` lookup of the project.
public enum ExecutableSearch {
    /// The `PATH` used when the environment has none.
    public static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// The first regular file called `name` that this process may execute, in the absolute
    /// directories of `path` (a `PATH` value; empty and relative entries are skipped, and a
    /// missing value means ``defaultPath``).
    public static func find(_ name: String, inPath path: String?) -> String? {
        for directory in (path ?? defaultPath).split(separator: ":") where directory.hasPrefix("/") {
            let candidate = "\(directory)/\(name)"
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// Whether `path` is a regular file this process may execute.
    public static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
