import Glibc
import QwenProcess
import QwenSyncCore

/// One HTTP request made by a short-lived child process (``HTTPIsolation/childProcess(executable:)``).
///
/// The parent writes the request to the child's standard input as one JSON object; the child
/// (an executable that calls ``serve()`` when given ``argument``) makes the transfer with
/// libcurl and writes one JSON line (`{"status", "headers", "body_bytes"}`, or `{"error":
/// {"kind", "description"}}`), then the body's raw bytes, and exits. Refresh tokens cross only
/// these pipes. Anything else the child does (no answer in time, a crash, output that does not
/// parse or is cut short) is an ``HTTPTransportError``: the caller sees a failed request,
/// exactly as if the connection had failed.
public enum HTTPExchange {
    /// The argument that makes an executable serve one exchange on its standard input and output.
    public static let argument = "--http-exchange"

    /// Time the child may take beyond the request's own timeout (start-up and exit).
    static let startupAllowanceMs = 2_000

    /// The largest request accepted on standard input (form fields are a few hundred bytes).
    static let requestLimit = 64 << 10

    /// The longest timeout a request may ask for (one hour).
    static let maximumTimeoutMs: Int64 = 3_600_000

    /// Runs `request` in a child process started from `executable`.
    ///
    /// - Throws: ``HTTPTransportError``: the child's own error, or kind `other` (or
    ///   `timedOut`) when the child could not be run or did not answer properly.
    static func perform(_ request: HTTPRequest, executable: String) throws(HTTPTransportError) -> HTTPResponse {
        let runner = ChildProcessRunner(
            executable: executable,
            arguments: [argument],
            environment: ProcessEnvironment.current.assignments,
            workingDirectory: "/",
            timeout: .milliseconds(request.timeoutMs + startupAllowanceMs),
            outputLimit: HTTPClient.responseBodyLimit + (64 << 10),
            errorLimit: 4096
        )
        // The child inherits this lock with the descriptor: a refresh is known in flight from
        // before the child starts until it exits, even when this process is killed meanwhile.
        let inFlight = RotationJournal.InFlight(path: request.rotationJournal?.path, inheritable: true)
        let outcome: ChildProcessOutcome
        do { outcome = try withExtendedLifetime(inFlight) { () throws(ChildProcessError) in try runner.run(input: encode(request)) } } catch {
            throw HTTPTransportError(.other, "could not start the HTTP helper: \(error.description)")
        }
        if outcome.interruption == .timedOut {
            throw HTTPTransportError(.timedOut, "the HTTP helper did not answer within \((request.timeoutMs + startupAllowanceMs) / 1000) s")
        }
        guard outcome.termination == .exited(0), outcome.interruption == nil else {
            throw HTTPTransportError(.other, "the HTTP helper \(executable) failed (\(describe(outcome.termination)))")
        }
        return try decodeResponse(outcome.standardOutput)
    }

    /// Serves one exchange: reads the request from standard input, makes it, writes the answer
    /// to standard output.
    ///
    /// A token refresh is recorded in its ``RotationJournal`` before the answer is written
    /// (``HTTPRequest/performRecordingRotation()``), and only then does the child arrange to
    /// die with its parent: a parent killed while the request is in flight leaves the child to
    /// finish it and keep the rotated token.
    ///
    /// - Returns: the exit status: 0 when an answer (a response or a transport error) was
    ///   written, 2 when standard input held no valid request, 1 when the answer could not
    ///   be written (or the parent had gone).
    public static func serve() -> Int32 {
        let parent = getppid()
        guard let input = try? DescriptorInput.readAll(STDIN_FILENO, limit: requestLimit), let request = decodeRequest(input) else {
            DescriptorOutput.writeAll("qwen-sync: \(argument) expects one request object on standard input\n", to: STDERR_FILENO)
            return 2
        }
        let answer: [UInt8]
        do { answer = encode(try request.performRecordingRotation()) } catch { answer = encode(error) }
        guard RotationJournal.dieWithParent(originalParent: parent) else { return 1 }
        return DescriptorOutput.writeAll(answer, to: STDOUT_FILENO) ? 0 : 1
    }

    // MARK: Wire format

    static func encode(_ request: HTTPRequest) -> [UInt8] {
        let document: JSONValue = [
            "url": .string(request.url),
            "fields": .array(request.fields.map { [.string($0.0), .string($0.1)] }),
            "headers": .object(JSONObject(request.headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "user_agent": .string(request.userAgent),
            "connect_timeout_ms": .int(Int64(request.connectTimeoutMs)),
            "timeout_ms": .int(Int64(request.timeoutMs)),
        ]
        guard var object = document.objectValue, let journal = request.rotationJournal else { return document.serializedBytes(.compact) }
        object["rotation_journal"] = ["path": .string(journal.path), "account": .string(journal.accountID)]
        return JSONValue.object(object).serializedBytes(.compact)
    }

    static func decodeRequest(_ bytes: [UInt8]) -> HTTPRequest? {
        guard let object = try? JSON.parse(bytes).objectValue,
            let url = object["url"]?.stringValue,
            let fieldValues = object["fields"]?.arrayValue,
            let headerObject = object["headers"]?.objectValue,
            let userAgent = object["user_agent"]?.stringValue,
            let connectTimeoutMs = OutsideNumbers.clamped(object["connect_timeout_ms"], to: 0...maximumTimeoutMs), connectTimeoutMs > 0,
            let timeoutMs = OutsideNumbers.clamped(object["timeout_ms"], to: 0...maximumTimeoutMs), timeoutMs > 0
        else { return nil }
        var journal: RotationJournal.Destination?
        if let value = object["rotation_journal"], !value.isNull {
            guard let path = value.objectValue?["path"]?.stringValue, let account = value.objectValue?["account"]?.stringValue else { return nil }
            journal = RotationJournal.Destination(path: path, accountID: account)
        }
        var fields: [(String, String)] = []
        for value in fieldValues {
            guard let pair = value.arrayValue, pair.count == 2, let name = pair[0].stringValue, let text = pair[1].stringValue else { return nil }
            fields.append((name, text))
        }
        var headers: [String: String] = [:]
        for (name, value) in headerObject {
            guard let text = value.stringValue else { return nil }
            headers[name] = text
        }
        return HTTPRequest(
            url: url, fields: fields, headers: headers, userAgent: userAgent,
            connectTimeoutMs: Int(connectTimeoutMs), timeoutMs: Int(timeoutMs), rotationJournal: journal)
    }

    static func encode(_ response: HTTPResponse) -> [UInt8] {
        let head: JSONValue = [
            "status": .int(Int64(response.status)),
            "headers": .object(JSONObject(response.headers.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            "body_bytes": .int(Int64(response.body.count)),
        ]
        return head.serializedBytes(.compact) + [UInt8(ascii: "\n")] + response.body
    }

    static func encode(_ error: HTTPTransportError) -> [UInt8] {
        let head: JSONValue = ["error": ["kind": .string(error.kind.rawValue), "description": .string(error.description)]]
        return head.serializedBytes(.compact) + [UInt8(ascii: "\n")]
    }

    /// The child's answer: its response, or its transport error thrown.
    static func decodeResponse(_ bytes: [UInt8]) throws(HTTPTransportError) -> HTTPResponse {
        let garbled = HTTPTransportError(.other, "the HTTP helper's answer is malformed")
        guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")), let head = try? JSON.parse(Array(bytes[..<newline])).objectValue
        else { throw garbled }
        if let error = head["error"]?.objectValue {
            guard let kind = error["kind"]?.stringValue.flatMap(HTTPTransportError.Kind.init(rawValue:)),
                let description = error["description"]?.stringValue
            else { throw garbled }
            throw HTTPTransportError(kind, description)
        }
        let body = Array(bytes[(newline + 1)...])
        guard let status = OutsideNumbers.clamped(head["status"], to: 0...999), let headerObject = head["headers"]?.objectValue,
            let bodyBytes = OutsideNumbers.clamped(head["body_bytes"], to: 0...Int64(Int32.max))
        else { throw garbled }
        guard bodyBytes == body.count else {
            throw HTTPTransportError(.connectionReset, "the HTTP helper's answer was cut short (\(body.count) of \(bodyBytes) body bytes)")
        }
        var headers: [String: String] = [:]
        for (name, value) in headerObject {
            guard let text = value.stringValue else { throw garbled }
            headers[name] = text
        }
        return HTTPResponse(status: Int(status), headers: headers, body: body)
    }

    private static func describe(_ termination: ChildProcessOutcome.Termination) -> String {
        switch termination {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}
