import QwenSyncCore
import Testing

/// RFC 8259 strictness of `JSON.parse`: what it must accept, what it must refuse, and where.
@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "accepts every RFC 8259 value form",
        arguments: [
            ("null", JSONValue.null),
            ("true", .bool(true)),
            (" false ", .bool(false)),
            ("0", .int(0)),
            ("-0", .number(JSONNumber(Int64(0)))),
            ("-12.5e+3", .number(JSONNumber(-12500.0))),
            ("1E2", .int(100)),
            ("\"\"", .string("")),
            ("[]", .array([])),
            ("{}", .object(JSONObject())),
            ("\t\r\n [1 , {\"a\" : [ ] } ]\n", [1, ["a": []]]),
        ] as [(String, JSONValue)])
    func acceptsValidDocuments(text: String, expected: JSONValue) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test(
        "refuses what RFC 8259 refuses",
        arguments: [
            "", "   ", "01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity",
            "[1,]", "{\"a\":1,}", "[,1]", "{,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "['a']", "[1 2]",
            "tru", "nul", "True", "\"\\x41\"", "\"\\u12\"", "\"\\u12G4\"", "\"tab\there\"", "\"line\nbreak\"",
            "\"unterminated", "[1", "{\"a\":1", "1 2", "{} {}", "// comment\n1", "/* c */ 1", "\u{0B}1", "\u{A0}1",
        ])
    func refusesInvalidDocuments(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test("refuses invalid UTF-8 inside strings and stray bytes outside")
    func refusesInvalidUTF8() {
        let cases: [[UInt8]] = [
            [0x22, 0xC3, 0x22],  // truncated two-byte sequence
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
            [0x22, 0xFF, 0x22],
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xF0, 0x9F, 0x98, 0x22],  // truncated four-byte sequence: as long as its repair
            [0x22, 0x5C, 0x6E, 0xFF, 0x22],  // after an escape
            [0xFE, 0x31],
            [0x31, 0x00],
        ]
        for bytes in cases {
            #expect(throws: JSONParseError.self, "\(bytes)") { try JSON.parse(bytes) }
        }
    }

    @Test("keeps valid UTF-8 in strings as it is, with and without escapes (U+FFFD included)")
    func keepsValidUTF8() throws {
        #expect(try JSON.parse(Array("\"a\u{FFFD}é😀\"".utf8)) == .string("a\u{FFFD}é😀"))
        #expect(try JSON.parse(Array("\"é\\n😀\\u00e9\"".utf8)) == .string("é\n😀é"))
    }

    @Test("decodes escapes and surrogate pairs; refuses lone surrogates")
    func surrogates() throws {
        #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSON.parse(#""\u00e9\/\b\f\n\r\t\"\\""#) == .string("é/\u{08}\u{0C}\n\r\t\"\\"))
        #expect(try JSON.parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try JSON.parse("\"é😀\"") == .string("é😀"))
        for lone in [#""\ud83d""#, #""\ude00""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ude00\ud83d""#, #""\ud83d\n""#] {
            let error = #expect(throws: JSONParseError.self, "\(lone)") { try JSON.parse(lone) }
            #expect(error?.reason.contains("surrogate") == true, "\(lone): \(String(describing: error))")
        }
    }

    @Test("keeps big and precise number literals exactly, also beyond Double (JavaScript reads them as ±Infinity)")
    func bigNumbers() throws {
        for literal in ["1795321151953", "12345678901234567890123", "-9223372036854775808", "0.1", "1.5e300", "1E-400", "3.141592653589793238"] {
            let value = try JSON.parse(literal)
            #expect(value.serialized() == literal)
        }
        #expect(try JSON.parse("9223372036854775807").int64Value == Int64.max)
        #expect(try JSON.parse("12345678901234567890123").int64Value == nil)
        #expect(try JSON.parse("5.0").int64Value == 5)
        #expect(try JSON.parse("5.5").int64Value == nil)
        for huge in ["1e400", "-1e400", "1" + String(repeating: "0", count: 400)] {
            let value = try JSON.parse(huge)
            #expect(value.serialized() == huge)
            #expect(value.int64Value == nil)
            #expect(value.doubleValue?.isInfinite == true)
        }
    }

    @Test("nesting is limited: 128 levels parse, 129 are refused without crashing, 100 000 too")
    func depthLimit() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try JSON.parse(ok) }
        let tooDeep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        let error = #expect(throws: JSONParseError.self) { try JSON.parse(tooDeep) }
        #expect(error?.reason.contains("nesting") == true)
        let objects = String(repeating: "{\"a\":", count: 129) + "1" + String(repeating: "}", count: 129)
        #expect(throws: JSONParseError.self) { try JSON.parse(objects) }
        let hostile = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(hostile) }
        #expect(throws: Never.self) { try JSON.parse(tooDeep, maxDepth: 200) }
    }

    @Test("errors report line and column")
    func errorPosition() {
        let error = #expect(throws: JSONParseError.self) { try JSON.parse("{\n  \"a\": 1,\n  \"b\" 2\n}") }
        #expect(error?.line == 3)
        #expect(error?.column == 7)
        #expect(error?.description.contains("line 3, column 7") == true)
        let empty = #expect(throws: JSONParseError.self) { try JSON.parse("") }
        #expect(empty?.reason == "empty input")
    }

    @Test("object keys keep document order; a duplicate key keeps its first place and last value")
    func orderPreservation() throws {
        let value = try JSON.parse(#"{"zeta":1,"alpha":2,"mid":{"y":1,"x":2},"alpha":3}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["zeta", "alpha", "mid"])
        #expect(object["alpha"] == 3)
        #expect(object["mid"]?.objectValue?.keys == ["y", "x"])
        #expect(value.serialized(.compact) == #"{"zeta":1,"alpha":3,"mid":{"y":1,"x":2}}"#)
    }

    @Test("a UTF-8 byte order mark is skipped")
    func byteOrderMark() throws {
        #expect(try JSON.parse([0xEF, 0xBB, 0xBF] + Array("{\"a\":1}".utf8)) == ["a": 1])
    }
}
