// libFuzzer entry for every parser of outside input that lives in QwenSyncCore and QwenExec.
//
// Each input goes through all of them; a crash, a sanitizer report or a broken round trip
// (parse → serialize → parse gives something else) is a finding. Built by build.sh.
@testable import QwenExec
import QwenSyncCore

/// One fuzz input: the JSON layer, both credential files, the chat request and the CLI's output.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkJSON(bytes)
    checkCredentials(bytes)
    checkAccounts(bytes)
    _ = try? ChatRequestParser.parse(bytes)
    for code: Int32 in [0, 1, 41, 53] {
        let outcome = ChildProcessOutcome(
            termination: .exited(code), interruption: nil, standardOutput: bytes, standardError: Array(bytes.prefix(256))
        )
        _ = CLIResultInterpreter.interpret(outcome, timeoutSeconds: 30)
    }
    return 0
}

/// Parsed JSON survives both serializations unchanged.
func checkJSON(_ bytes: [UInt8]) {
    guard let value = try? JSON.parse(bytes) else { return }
    for style in [JSONStyle.compact, .pretty] {
        let text = value.serialized(style)
        guard let again = try? JSON.parse(text) else { fatalError("serialized JSON does not parse: \(text)") }
        guard again == value else { fatalError("JSON round trip changed the value: \(text)") }
    }
}

/// Accepted credentials survive being written the way qwen-code writes them.
func checkCredentials(_ bytes: [UInt8]) {
    guard let credentials = try? CredentialsFile.parse(bytes) else { return }
    guard let again = try? CredentialsFile.parse(CredentialsFile.encode(credentials)) else {
        fatalError("encoded credentials do not parse")
    }
    guard again == credentials else { fatalError("credentials round trip changed them") }
}

/// An accepted accounts store keeps its accounts and active id when rewritten.
func checkAccounts(_ bytes: [UInt8]) {
    guard let document = try? AccountsDocument(bytes: bytes) else { return }
    guard let again = try? AccountsDocument(bytes: document.encoded()) else { fatalError("encoded accounts store does not parse") }
    guard again.accounts == document.accounts, again.activeAccountID == document.activeAccountID else {
        fatalError("accounts store round trip changed it")
    }
}
