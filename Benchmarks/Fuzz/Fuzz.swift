// libFuzzer entry for every parser of outside input that lives in QwenSyncCore and QwenExec.
//
// Each input goes through all of them; a crash, a sanitizer report or a broken round trip
// (parse → serialize → parse gives something else) is a finding. Built by build.sh.
@testable import QwenExec
import QwenProcess
import QwenSyncCore

/// One fuzz input: the JSON layer, both credential files, a token answer, the rotation journal,
/// the chat request and the CLI's output.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkJSON(bytes)
    checkCredentials(bytes)
    checkAccounts(bytes)
    checkTokenResponse(bytes)
    checkRotationJournal(bytes)
    _ = try? ChatRequestParser.parse(bytes)
    for code: Int32 in [0, 1, 41, 53] {
        let outcome = ChildProcessOutcome(
            termination: .exited(code), interruption: nil, standardOutput: bytes, standardError: Array(bytes.prefix(256))
        )
        _ = CLIResultInterpreter.interpret(outcome, timeout: .seconds(30))
    }
    return 0
}

/// Parsed JSON survives both serializations unchanged, and its serialization is a fixed point;
/// every object's index agrees with its members; input nested deeper than the limit is refused
/// (with the nesting error only when it really is too deep).
func checkJSON(_ bytes: [UInt8]) {
    let nesting = nestingDepth(bytes)
    let value: JSONValue
    do {
        value = try JSON.parse(bytes)
    } catch {
        if error.reason.hasPrefix("nesting"), nesting <= JSON.defaultMaxDepth {
            fatalError("nesting error for a document only \(nesting) levels deep")
        }
        return
    }
    guard nesting <= JSON.defaultMaxDepth else { fatalError("a document \(nesting) levels deep was accepted") }
    checkObjectIndexes(value)
    for style in [JSONStyle.compact, .pretty] {
        let text = value.serialized(style)
        guard let again = try? JSON.parse(text) else { fatalError("serialized JSON does not parse: \(text)") }
        guard again == value else { fatalError("JSON round trip changed the value: \(text)") }
        guard again.serialized(style) == text else { fatalError("serializing the re-parsed value changed the text: \(text)") }
    }
}

/// The deepest run of `[`/`{` outside strings: the document's nesting when it is valid JSON, and
/// never less than the parser has entered before it stopped.
func nestingDepth(_ bytes: [UInt8]) -> Int {
    var depth = 0
    var deepest = 0
    var inString = false
    var escaped = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            depth += 1
            deepest = max(deepest, depth)
        case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
        default: break
        }
    }
    return deepest
}

/// Keys are unique in every object and each one looks up its own member's value.
func checkObjectIndexes(_ value: JSONValue) {
    switch value {
    case .object(let object):
        guard Set(object.keys).count == object.count else { fatalError("an object holds a key twice") }
        for member in object.members {
            guard object[member.key] == member.value else { fatalError("the index of key \(member.key) points elsewhere") }
            checkObjectIndexes(member.value)
        }
    case .array(let elements): elements.forEach(checkObjectIndexes)
    default: break
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

/// A token answer never traps: its lifetime is within 1 s … a year, its expiry saturates for
/// any arrival time, and a refresh token it carries is never lost by the journal's form of it.
func checkTokenResponse(_ bytes: [UInt8]) {
    guard let response = TokenResponse(body: bytes) else { return }
    guard (1...OutsideNumbers.maximumLifetimeSeconds).contains(response.lifetime.seconds) else {
        fatalError("lifetime \(response.lifetime.seconds) out of range")
    }
    for now in [Int64.min, -1, 0, 1_795_321_151_953, Int64.max] { _ = response.expiryDate(receivedAtMs: now) }
    guard response.refreshToken != nil else { return }
    let entry = RotationJournal.Entry(accountID: "acct_fuzz", replaces: "f", receivedAtMs: 0, response: response)
    guard let again = RotationJournal.Entry(line: entry.line.dropFirst().dropLast()), sameRotation(again, entry) else {
        fatalError("a journal entry does not read back")
    }
}

/// Whether two entries record the same rotation (the journal keeps `expires_in` as interpreted,
/// not the reason it was corrected).
func sameRotation(_ a: RotationJournal.Entry, _ b: RotationJournal.Entry) -> Bool {
    a.accountID == b.accountID && a.replaces == b.replaces && a.receivedAtMs == b.receivedAtMs
        && a.response.refreshToken == b.response.refreshToken && a.response.accessToken == b.response.accessToken
        && a.response.tokenType == b.response.tokenType && a.response.lifetime.seconds == b.response.lifetime.seconds
        && a.response.resourceURL == b.response.resourceURL && a.response.idToken == b.response.idToken && a.response.scope == b.response.scope
}

/// The journal reader takes any bytes: every line it accepts carries a refresh token and reads
/// back the same after being written again; folding what it read never traps.
func checkRotationJournal(_ bytes: [UInt8]) {
    var entries: [RotationJournal.Entry] = []
    for line in bytes.split(separator: UInt8(ascii: "\n")) {
        guard let entry = RotationJournal.Entry(line: line) else { continue }
        guard entry.response.refreshToken != nil, let again = RotationJournal.Entry(line: entry.line.dropFirst().dropLast()),
            sameRotation(again, entry)
        else {
            fatalError("a journal line does not round-trip")
        }
        entries.append(entry)
    }
    guard !entries.isEmpty else { return }
    var accounts = AccountsDocument()
    for id in Set(entries.map(\.accountID)).sorted().prefix(4) {
        accounts.add(StoredAccount(id: id, token: OAuthCredentials(accessToken: "at", refreshToken: "rt-\(id)", expiryDate: 0), nowMs: 0))
    }
    var state = CredentialState(accounts: accounts, credentials: nil)
    state.foldRotations(entries, nowMs: 1_795_321_151_953)
    let before = state.accounts
    state.foldRotations(entries, nowMs: 1_795_321_151_954)
    guard state.accounts == before else { fatalError("folding the journal twice changed the store") }
}
