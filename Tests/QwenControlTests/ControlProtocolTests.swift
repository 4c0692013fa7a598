import QwenControl
import QwenSyncCore
import Testing

/// The requests and the status document: each side of the wire through the same type.
@Suite("control: protocol")
struct ControlProtocolTests {
    private static let sample = DaemonStatus(
        daemon: .init(pid: 42, version: "1.2.3", uptimeSeconds: 7),
        qwenDirectory: "/home/u/.qwen",
        activeAccount: "a1",
        accounts: [],
        counters: .init(syncs: 3, refreshes: 2, refreshFailures: 1),
        locks: [
            .init(path: "/home/u/.qwen/oauth_creds.lock", holder: nil),
            .init(path: "/home/u/.qwen/oauth_accounts.lock", holder: .init(pid: 99, ageMs: 1500)),
        ],
        refreshInFlight: nil,
        lastEvent: .init(atMs: 1_000, message: "synced"),
        credentialsProblem: nil
    )

    @Test("the status document keeps the contract's keys and order; `sync_error` appears only when set, `clock` is null before the first jump")
    func wireFormat() throws {
        let text = Self.sample.json.serialized(.compact)
        #expect(
            text
                == #"{"daemon":{"pid":42,"version":"1.2.3","uptime_s":7},"qwen_dir":"/home/u/.qwen","active_account":"a1","accounts":[],"counters":{"syncs":3,"refreshes":2,"refresh_failures":1},"locks":[{"path":"/home/u/.qwen/oauth_creds.lock","held":false},{"path":"/home/u/.qwen/oauth_accounts.lock","held":true,"holder_pid":99,"age_ms":1500}],"refresh_in_flight":null,"last_event":{"at_ms":1000,"message":"synced"},"credentials_problem":null,"clock":null}"#
        )
        var failing = Self.sample
        failing.syncError = .init(sinceMs: 5, message: "disk full")
        failing.clock = .init(lastJumpAtMs: 6, kind: "resume", stepSeconds: 3600, action: "refreshed")
        let object = try #require(failing.json.objectValue)
        #expect(object["sync_error"]?.serialized(.compact) == #"{"since_ms":5,"message":"disk full"}"#)
        #expect(object["clock"]?.serialized(.compact) == #"{"last_jump_at_ms":6,"kind":"resume","step_s":3600,"action":"refreshed"}"#)
    }

    @Test("what the daemon encodes, a client decodes to the same value, through the text on the wire")
    func roundTrip() throws {
        var status = Self.sample
        status.syncError = .init(sinceMs: 5, message: "disk full")
        status.clock = .init(lastJumpAtMs: 6, kind: "step", stepSeconds: -3600, action: "rescheduled")
        status.refreshInFlight = "a1"
        let account = try DaemonStatus(
            json: [
                "daemon": ["pid": 1], "qwen_dir": "/q",
                "accounts": [
                    [
                        "id": "a1", "label": "work", "identity": "j…@example.com", "active": true, "state": "healthy", "cooldown_until_ms": nil,
                        "expires_at_ms": 77, "next_refresh_at_ms": 70, "last_refresh": ["at_ms": 60, "result": "ok"],
                    ]
                ],
            ]
        ).accounts
        status.accounts = account
        let decoded = try DaemonStatus(json: try JSON.parse(status.json.serializedBytes(.compact)))
        #expect(decoded == status)
        #expect(decoded.accounts.first?.lastRefreshResult == "ok" && decoded.accounts.first?.nextRefreshAtMs == 70)
    }

    @Test("an error reply or a reply without daemon and qwen_dir is refused with a message, not read as empty")
    func badReplies() {
        #expect(throws: ControlProtocolError("the daemon says: nope")) { try DaemonStatus(json: ControlReply.error("nope")) }
        #expect(throws: ControlProtocolError.self) { try DaemonStatus(json: ["qwen_dir": "/q"]) }
        #expect(throws: ControlProtocolError.self) { try DaemonStatus(json: ["daemon": ["pid": 1], "qwen_dir": "/q", "accounts": [["id": "x"]]]) }
        #expect(throws: ControlProtocolError.self) { try DaemonStatus(json: "text") }
    }

    @Test("requests: status, ping and refresh (with or without an account) decode from what clients send")
    func requests() throws {
        for request in [ControlRequest.status, .ping, .refresh(accountID: nil), .refresh(accountID: "work")] {
            #expect(try ControlRequest(line: request.json.serializedBytes(.compact)) == request)
        }
        #expect(try ControlRequest(line: Array(#"{"command":"refresh"}"#.utf8)) == .refresh(accountID: nil))
        #expect(throws: ControlProtocolError("unknown command; supported: status, ping, refresh")) {
            try ControlRequest(line: Array(#"{"command":"launch"}"#.utf8))
        }
        #expect(throws: ControlProtocolError.self) { try ControlRequest(line: Array("not json".utf8)) }
        #expect(throws: ControlProtocolError.self) { try ControlRequest(line: Array(#"{"command":"refresh","account":7}"#.utf8)) }
        #expect(ControlReply.unsupported(.refresh(accountID: nil)).objectValue?["unsupported"]?.boolValue == true)
    }

    @Test("refresh conditions: min_ttl_ms, force with an expiry guard, the old form as a forced refresh; nonsense refused")
    func refreshConditions() throws {
        let requests: [ControlRequest] = [
            .refresh(accountID: "a1", when: .ifExpiringWithin(.milliseconds(60_000))), .refresh(accountID: nil, when: .forced(whileExpiryIs: 1_234)),
            .refresh(accountID: "work", when: .forced(whileExpiryIs: nil)),
        ]
        for request in requests { #expect(try ControlRequest(line: request.json.serializedBytes(.compact)) == request) }
        #expect(
            ControlRequest.refresh(accountID: "a1", when: .ifExpiringWithin(.milliseconds(5))).json.serialized(.compact)
                == #"{"command":"refresh","account":"a1","min_ttl_ms":5}"#)
        #expect(try ControlRequest(line: Array(#"{"command":"refresh","account":"a1"}"#.utf8)) == .refresh(accountID: "a1", when: .forced(whileExpiryIs: nil)))
        for bad in [
            #"{"command":"refresh","min_ttl_ms":-1}"#, #"{"command":"refresh","min_ttl_ms":"soon"}"#, #"{"command":"refresh","min_ttl_ms":1,"force":true}"#,
            #"{"command":"refresh","unless_rotated_since":"abc"}"#,
        ] {
            #expect(throws: ControlProtocolError.self, "\(bad)") { try ControlRequest(line: Array(bad.utf8)) }
        }
        #expect(RefreshCondition.ifExpiringWithin(.milliseconds(1_000)).needsRefresh(expiryMs: 10_999, nowMs: 10_000))
        #expect(!RefreshCondition.ifExpiringWithin(.milliseconds(1_000)).needsRefresh(expiryMs: 11_000, nowMs: 10_000))
        #expect(RefreshCondition.forced(whileExpiryIs: 5).needsRefresh(expiryMs: 5, nowMs: 10_000))
        #expect(!RefreshCondition.forced(whileExpiryIs: 5).needsRefresh(expiryMs: 6, nowMs: 0), "rotated since: nothing to do")
    }

    @Test("refresh replies round-trip and never look like a declined request")
    func refreshReplies() {
        let replies: [ControlRefreshReply] = [
            .done(accountID: "a1", refreshed: true, expiryMs: 99), .done(accountID: "a1", refreshed: false, expiryMs: 5),
            .loginRequired(accountID: "a1", message: "rejected"), .failed(accountID: "a1", message: "HTTP 500"),
        ]
        for reply in replies { #expect(ControlRefreshReply(json: reply.json) == reply) }
        #expect(ControlRefreshReply(json: ControlReply.declined("the daemon is preparing to sleep")) == nil)
        #expect(ControlRefreshReply(json: ControlReply.unsupported(.refresh(accountID: nil))) == nil)
    }
}
