import QwenServe
import QwenSyncCore
import Testing

/// The counts `status` shows, as pure counting.
@Suite("serve: counts")
struct ServeCountsTests {
    @Test(
        "errors are classed by status",
        arguments: [
            (200, nil), (302, nil), (400, "bad_request"), (401, "unauthorized"), (404, "bad_request"), (413, "bad_request"),
            (429, "quota"), (500, "internal"), (502, "upstream"), (503, "upstream"),
        ] as [(Int, String?)])
    func errorClass(status: Int, expected: String?) {
        #expect(ServeCounts.ErrorClass(status: status)?.rawValue == expected)
    }

    @Test("requests, errors, retries, fallbacks and switches add up in the document, with RFC 3339 times")
    func document() throws {
        var counts = ServeCounts(startedAtMs: 1_765_000_000_000, pid: 42)
        let fresh = try #require(counts.document.objectValue)
        #expect(fresh["last_request_at"] == .null)
        #expect(fresh["requests"]?.int64Value == 0)
        counts.request(status: 200, atMs: 1_765_000_001_000)
        counts.chat(retries: 2, fallback: false, accountsSwitched: 1)
        counts.request(status: 401, atMs: 1_765_000_002_000)
        counts.request(status: 200, atMs: 1_765_000_003_500)
        counts.chat(retries: 0, fallback: true, accountsSwitched: 2)
        let document = try #require(counts.document.objectValue)
        #expect(document["pid"]?.int64Value == 42)
        #expect(document["started_at"]?.stringValue == "2025-12-06T05:46:40Z")
        #expect(document["last_request_at"]?.stringValue == "2025-12-06T05:46:43Z")
        #expect(document["requests"]?.int64Value == 3)
        #expect(document["retries"]?.int64Value == 2)
        #expect(document["fallbacks"]?.int64Value == 1)
        #expect(document["accounts_switched"]?.int64Value == 3)
        let errors = try #require(document["errors"]?.objectValue)
        #expect(errors.keys == ["unauthorized", "quota", "bad_request", "internal", "upstream"])
        #expect(errors["unauthorized"]?.int64Value == 1)
        #expect(errors["upstream"]?.int64Value == 0)
    }
}
