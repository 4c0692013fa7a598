import Glibc
import QwenSyncCore

/// The private temporary working directory a `qwen` run starts in, holding only the project
/// settings the CLI needs and, when the request has one, the system prompt file; removed with
/// everything in it afterwards.
struct ScratchDirectory {
    /// The absolute path.
    let path: String

    /// Creates `$TMPDIR/qwen-sync-exec.XXXXXX` (mode 0700) with `.qwen/settings.json`.
    ///
    /// - Parameter settings: the text of the project settings file.
    /// - Throws: ``ExecFailure`` (exit 1) when the directory cannot be made.
    init(settings: String) throws(ExecFailure) {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/qwen-sync-exec.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .internalError("cannot create a temporary directory in \(base): errno \(errno)")
        }
        path = String(cString: made)
        let settingsDirectory = path + "/.qwen"
        guard mkdir(settingsDirectory, 0o700) == 0 else {
            let code = errno
            remove()
            throw .internalError("cannot create \(settingsDirectory): errno \(code)")
        }
        do {
            _ = try writePrivateFile(".qwen/settings.json", contents: settings)
        } catch {
            remove()
            throw error
        }
    }

    /// Creates `relativePath` inside the directory with mode 0600 (never through a symbolic
    /// link, never over an existing file) and writes `contents` into it.
    ///
    /// - Returns: the file's absolute path.
    /// - Throws: ``ExecFailure`` (exit 1) when the file cannot be created or written.
    func writePrivateFile(_ relativePath: String, contents: String) throws(ExecFailure) -> String {
        let file = path + "/" + relativePath
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .internalError("cannot create \(file): errno \(errno)") }
        defer { close(descriptor) }
        guard DescriptorOutput.writeAll(contents, to: descriptor) else {
            throw .internalError("cannot write \(file): errno \(errno)")
        }
        return file
    }

    /// Removes the directory and whatever the CLI left in it.
    func remove() {
        Self.removeTree(path)
    }

    /// Removes `path` recursively without following symbolic links.
    private static func removeTree(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if (status.st_mode & S_IFMT) == S_IFDIR, let directory = opendir(path) {
            var names: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(directory)
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
