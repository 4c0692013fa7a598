import Glibc

/// A fresh private directory under `$TMPDIR` (or `/tmp`), removed by ``remove()``.
///
/// Tests use one per test so that qwen dirs, sockets and lock files never collide.
public struct TemporaryDirectory: Sendable {
    /// The absolute path of the directory.
    public let path: String

    /// Creates the directory with mode 0700.
    public init(prefix: String = "qwen-sync-test") throws {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSupportError("mkdtemp failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    /// `path/name`.
    public func appending(_ name: String) -> String { "\(path)/\(name)" }

    /// Removes the directory and everything below it.
    public func remove() {
        _ = path.withCString { _ in system("rm -rf '\(path)'") }
    }
}

/// Runs `body` with a fresh ``TemporaryDirectory`` that is removed afterwards, however
/// `body` ends.
public func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) async throws -> T) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    return try await body(directory)
}

/// A failure inside a test helper, with a readable reason.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
