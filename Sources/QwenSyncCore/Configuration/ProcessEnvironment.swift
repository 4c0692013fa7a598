import Glibc

/// A snapshot of environment variables, or this process's own environment looked up in place.
///
/// Read from the real environment once with ``current``; tests build their own. The hot paths
/// (`status`) use ``process``, which copies nothing: building the snapshot's dictionary is the
/// costliest start-up work a short command does (its first `Hashable` conformance lookup
/// scans every conformance record in the binary).
public struct ProcessEnvironment: Sendable {
    private enum Source: Sendable {
        case snapshot([String: String])
        case process
    }

    private var source: Source

    /// The variables (for ``process``, read from the environment now).
    public var variables: [String: String] {
        get {
            switch source {
            case .snapshot(let variables): variables
            case .process: Self.current.variables
            }
        }
        set { source = .snapshot(newValue) }
    }

    /// An environment with exactly these variables.
    public init(_ variables: [String: String]) { source = .snapshot(variables) }

    private init(source: Source) { self.source = source }

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

    /// The environment of this process, each variable looked up (`getenv`) when asked for; for
    /// a process that reads a few variables once and never changes its environment.
    public static let process = ProcessEnvironment(source: .process)

    /// The variables as `NAME=value` strings, the form a child process's environment takes.
    public var assignments: [String] { variables.map { "\($0.key)=\($0.value)" } }

    /// The value of `name`, or `nil` when it is unset or empty.
    public subscript(name: String) -> String? {
        let value: String?
        switch source {
        case .snapshot(let variables): value = variables[name]
        case .process: value = getenv(name).map { String(cString: $0) }
        }
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
