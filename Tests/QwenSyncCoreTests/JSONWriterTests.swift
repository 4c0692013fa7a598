import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// The writer must produce exactly what JavaScript's `JSON.stringify(x, null, 2)` produces for
/// documents whose numbers are in JavaScript's own form; other number literals are kept as written.
@Suite("JSON writer")
struct JSONWriterTests {
    /// Representative inputs: the credential and accounts shapes, escapes, Unicode, nesting,
    /// empty containers and number forms JavaScript writes unchanged.
    static let representative: [String] = [
        #"{"access_token":"a.b.c","token_type":"Bearer","refresh_token":"r/t+=","resource_url":"portal.qwen.ai","expiry_date":1795321151953}"#,
        #"{"version":1,"activeAccountId":null,"accounts":[{"id":"acct_m1_0a1b2c3d","token":{"access_token":"x","expiry_date":0},"exhaustedUntil":0,"createdAt":1,"updatedAt":2}],"x":{}}"#,
        #"{"esc":"q\"b\\s/ \n\r\t\b\f \u0000\u0001\u001f\u007f","uni":"é 😀 \u2028\u2029 中文","e":[],"o":{},"n":[null,true,false]}"#,
        #"[0,-1,1.5,-0.25,123456789,9007199254740991,[[[]]],{"a":{"b":{"c":[1,{"d":"e"}]}}}]"#,
        #""just a string""#,
        "42",
        "null",
        "[]",
    ]

    @Test("pretty output equals hard-coded JSON.stringify(x, null, 2) bytes (no node needed)")
    func hardCodedPretty() throws {
        let value: JSONValue = [
            "access_token": "a\"b\\c/d",
            "n": .int(1_795_321_151_953),
            "f": 1.5,
            "list": [1, "two", nil, true, [], [:]],
            "nested": ["inner": ["deep": false]],
            "ctl": "\u{01}\u{1F}\n\u{7F}é😀",
        ]
        let expected = """
            {
              "access_token": "a\\"b\\\\c/d",
              "n": 1795321151953,
              "f": 1.5,
              "list": [
                1,
                "two",
                null,
                true,
                [],
                {}
              ],
              "nested": {
                "inner": {
                  "deep": false
                }
              },
              "ctl": "\\u0001\\u001f\\n\u{7F}é😀"
            }
            """
        #expect(value.serialized(.pretty) == expected)
        #expect(value.serializedBytes().last == UInt8(ascii: "}"))
        #expect(JSONValue.string("x").serialized() == "\"x\"")
        #expect(JSONValue.object(JSONObject()).serialized() == "{}")
        #expect(JSONValue.array([]).serialized() == "[]")
        #expect(JSONValue.array([[]]).serialized() == "[\n  []\n]")
    }

    @Test(
        "strings: escapes between runs of plain text, CR LF (one Character) escaped byte by byte, text after the last escape",
        arguments: [
            ("", #""""#), ("plain", #""plain""#), ("a\r\nb", #""a\r\nb""#), ("\"é\"", #""\"é\"""#),
            ("😀\\\u{1}x", #""😀\\\u0001x""#), ("\t", #""\t""#), ("e\u{301}\n", "\"e\u{301}\\n\""),
        ])
    func strings(text: String, expected: String) throws {
        #expect(JSONValue.string(text).serialized(.compact) == expected)
        #expect(try JSON.parse(JSONValue.string(text).serializedBytes(.compact)) == .string(text))
    }

    @Test("compact output has no whitespace")
    func compact() {
        let value: JSONValue = ["a": [1, ["b": nil]], "c": "d e"]
        #expect(value.serialized(.compact) == #"{"a":[1,{"b":null}],"c":"d e"}"#)
    }

    @Test(
        "parse then write is byte-identical to node's JSON.stringify(JSON.parse(x), null, 2)",
        .enabled(if: NodeJS.isAvailable, "node is not installed; the JSON.stringify comparison is skipped"))
    func matchesNode() async throws {
        try await withTemporaryDirectory { directory in
            for (index, text) in Self.representative.enumerated() {
                let file = directory.appending("input-\(index).json")
                try FileTools.write(file, text)
                let node = try await NodeJS.stringifyPretty(file: file)
                let ours = try JSON.parse(text).serialized(.pretty)
                #expect(ours == node, "input \(index)")
            }
        }
    }

    /// Literals JavaScript would rewrite, with what `JSON.stringify(JSON.parse(x))` makes of them.
    static let nonCanonicalNumbers: [(literal: String, javaScript: String)] = [
        ("1.0", "1"), ("1e3", "1000"), ("-0", "0"), ("1E2", "100"), ("0.10", "0.1"), ("2.50e-1", "0.25"),
    ]

    @Test("number literals are written as read, even where JSON.stringify would rewrite them")
    func literalsKept() throws {
        for (literal, _) in Self.nonCanonicalNumbers {
            let text = #"{"n":\#(literal),"list":[\#(literal)]}"#
            #expect(try JSON.parse(text).serialized(.compact) == text)
        }
    }

    @Test(
        "for those literals node's JSON.stringify differs, so byte identity needs canonical numbers",
        .enabled(if: NodeJS.isAvailable, "node is not installed; the JSON.stringify comparison is skipped"))
    func nodeRewritesNonCanonicalNumbers() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appending("numbers.json")
            try FileTools.write(file, "[" + Self.nonCanonicalNumbers.map(\.literal).joined(separator: ",") + "]")
            let node = try await NodeJS.stringifyPretty(file: file)
            let ours = try JSON.parse(#require(FileTools.text(file))).serialized(.pretty)
            let expectedNode = "[\n" + Self.nonCanonicalNumbers.map { "  " + $0.javaScript }.joined(separator: ",\n") + "\n]"
            let expectedOurs = "[\n" + Self.nonCanonicalNumbers.map { "  " + $0.literal }.joined(separator: ",\n") + "\n]"
            #expect(node == expectedNode)
            #expect(ours == expectedOurs)
        }
    }

    @Test(
        "numbers built from Double are written as JavaScript writes them",
        .enabled(if: NodeJS.isAvailable, "node is not installed; the JSON.stringify comparison is skipped"))
    func doublesMatchNode() async throws {
        let doubles: [Double] = [0, -0.0, 1, -1, 0.1, 1.5, 1e15, 123456.789, -2.5e-3]
        let ours = JSONValue.array(doubles.map { .number(JSONNumber($0)) }).serialized(.pretty)
        let node = try await NodeJS.run(
            "process.stdout.write(JSON.stringify([0, -0, 1, -1, 0.1, 1.5, 1e15, 123456.789, -2.5e-3], null, 2))", [])
        #expect(ours == node)
    }
}
