import Glibc

/// Sets environment variables for the duration of `body`, then restores the previous values.
///
/// The environment is process-wide and other tests run in parallel: call it only in the body of
/// an exit test (`#expect(processExitsWith:)`), which runs in a child process of its own.
@discardableResult
func withEnvironment<T>(_ values: [String: String?], _ body: () throws -> T) rethrows -> T {
    let previous = values.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
    func apply(_ name: String, _ value: String?) {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    for (name, value) in values { apply(name, value) }
    defer { for (name, value) in previous { apply(name, value) } }
    return try body()
}
