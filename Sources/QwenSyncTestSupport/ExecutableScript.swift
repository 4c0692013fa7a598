/// Writes an executable shell script for a test to run.
///
/// A child shell writes the file: had the test process written it, a process that another test
/// spawns at that moment (the suites run in parallel) could inherit the write descriptor until
/// its own exec, and running the script would then fail with ETXTBSY ("Text file busy").
///
/// - Parameters:
///   - path: where the script goes (replaced if present).
///   - body: the shell commands after `#!/bin/sh`.
public func writeExecutableScript(_ path: String, _ body: String) async throws {
    let written = try await runProduct(
        "/bin/sh", ["-c", #"rm -f "$1" && cat > "$1" && chmod 755 "$1""#, "sh", path], input: Array("#!/bin/sh\n\(body)\n".utf8))
    guard written.exitCode == 0 else { throw TestSupportError("cannot write \(path): \(written.standardError)") }
}
