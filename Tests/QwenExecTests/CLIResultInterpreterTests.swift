import QwenProcess
import QwenSyncCore
import Testing
@testable import QwenExec

@Suite("Reading the qwen CLI's result")
struct CLIResultInterpreterTests {
    private func outcome(
        _ stdout: String,
        exit: Int32 = 0,
        stderr: String = "",
        interruption: ChildProcessOutcome.Interruption? = nil
    ) -> CLIOutcome {
        CLIResultInterpreter.interpret(
            ChildProcessOutcome(
                termination: .exited(exit),
                interruption: interruption,
                standardOutput: Array(stdout.utf8),
                standardError: Array(stderr.utf8)
            ),
            timeout: .seconds(180)
        )
    }

    @Test("the last result element is the answer, with usage")
    func answer() {
        let stdout =
            #"[{"type":"system","subtype":"init"},{"type":"result","result":"first"},{"type":"assistant"},{"type":"result","is_error":false,"result":"second","usage":{"input_tokens":5,"output_tokens":2}}]"#
        #expect(outcome(stdout) == .answered(CLIAnswer(text: "second", usage: TokenUsage(promptTokens: 5, completionTokens: 2, totalTokens: 7))))
    }

    @Test("quota errors are recognised in the result error and on stderr")
    func quota() {
        let stdout = #"[{"type":"result","is_error":true,"error":{"message":"[API Error: 403 Free allocated quota exceeded.]"}}]"#
        guard case .quotaExceeded = outcome(stdout, exit: 1) else { Issue.record("not a quota error"); return }
        guard case .quotaExceeded = outcome("", exit: 1, stderr: "Error: 429 You exceeded your current quota") else {
            Issue.record("stderr quota not recognised"); return
        }
        guard case .failed = outcome("", exit: 1, stderr: "429 Too Many Requests: rate limit") else {
            Issue.record("a rate limit is not a quota error"); return
        }
    }

    /// Failed runs and the error code each must give.
    static let failures: [(String, Int32, String, ChildProcessOutcome.Interruption?, String)] = [
        (#"[{"type":"result","is_error":true,"error":{"message":"Reached max turns"}}]"#, 53, "", nil, "model_wanted_tools"),
        ("", 41, "Failed to authenticate", nil, "auth_failed"),
        (#"[{"type":"result","is_error":true,"error":{"message":"[API Error: 401 invalid access token]"}}]"#, 1, "", nil, "auth_failed"),
        ("", 0, "", .stopMarkerSeen, "auth_failed"),
        ("", 0, "", .timedOut, "cli_timeout"),
        ("", 0, "", .outputLimitExceeded, "cli_output_too_large"),
        (#"[{"type":"result","is_error":true,"error":{"message":"boom"}}]"#, 1, "", nil, "cli_failed"),
        ("", 1, "No input provided", nil, "cli_failed"),
        ("{garbage", 0, "", nil, "invalid_cli_output"),
        (#"[{"type":"assistant"}]"#, 0, "", nil, "invalid_cli_output"),
        (#"{"type":"result","result":"not in an array"}"#, 0, "", nil, "invalid_cli_output"),
    ]

    @Test("failures map to exit 6 with a clear code", arguments: failures.indices)
    func failure(index: Int) {
        let (stdout, exit, stderr, interruption, code) = Self.failures[index]
        guard case .failed(let failure) = outcome(stdout, exit: exit, stderr: stderr, interruption: interruption) else {
            Issue.record("case \(index) did not fail"); return
        }
        #expect(failure.code == code, "\(failure.message)")
        #expect(failure.exitCode == 6)
    }
}
