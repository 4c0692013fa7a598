import Glibc

/// A snapshot of environment variables.
///
/// Read from the real environment once with ``current``; tests build their own.
public struct ProcessEnvironment: Sendable {
    /// The variables.
    public var variables: [String: String]

    /// An environment with exactly these variables.
    public init(_ variables: [String: String]) { self.variables = variables }

    /// The environment of this process, read now (Foundation's view of `HOME` is not used).
    public static var current: ProcessEnvironment {
        var variables: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return ProcessEnvironment(variables)
    }

    /// The variables as `NAME=value` strings, the form a child process's environment takes.
    public var assignments: [String] { variables.map { "\($0.key)=\($0.value)" } }

    /// The value of `name`, or `nil` when it is unset or empty.
    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }
}
