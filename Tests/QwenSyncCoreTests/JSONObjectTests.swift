import QwenSyncCore
import Testing

/// `JSONObject`: document order, the key index beside it, and duplicate keys.
@Suite("JSON object")
struct JSONObjectTests {
    @Test("a repeated key keeps its first place and its last value, built or parsed")
    func duplicates() throws {
        let built = JSONObject([("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5)])
        #expect(built.keys == ["a", "b", "c"])
        #expect(built["a"] == 3)
        #expect(built["b"] == 5)
        let parsed = try #require(try JSON.parse(#"{"a":1,"b":2,"a":3,"c":4,"b":5}"#).objectValue)
        #expect(parsed == built)
        #expect(JSONValue.object(parsed).serialized(.compact) == #"{"a":3,"b":5,"c":4}"#)
    }

    @Test(
        "removing a key keeps the others findable and in order; a key set again goes last",
        arguments: [6, JSONObject.indexThreshold, JSONObject.indexThreshold + 1, JSONObject.indexThreshold + 2, 40])
    func removal(size: Int) {
        var object = JSONObject((0..<size).map { ("k\($0)", JSONValue.int(Int64($0))) })
        object["k1"] = nil
        object["k4"] = nil
        object["missing"] = nil
        let expectedKeys = (0..<size).filter { $0 != 1 && $0 != 4 }.map { "k\($0)" }
        #expect(object.keys == expectedKeys)
        for key in object.keys { #expect(object[key] == .int(Int64(key.dropFirst())!), "\(key)") }
        #expect(object["k1"] == nil)
        #expect(object["k4"] == nil)
        object["k1"] = "again"
        object["k3"] = "replaced"
        #expect(object.keys == expectedKeys + ["k1"])
        #expect(object["k1"] == "again")
        #expect(object["k3"] == "replaced")
        #expect(object["k\(size - 1)"] == .int(Int64(size - 1)))
        #expect(object.count == size - 1)
    }

    @Test("an object growing past the index threshold and shrinking below it finds every key")
    func growAndShrink() {
        var object = JSONObject()
        let size = JSONObject.indexThreshold * 3
        for index in 0..<size {
            object["k\(index)"] = .int(Int64(index))
            for earlier in 0...index { #expect(object["k\(earlier)"] == .int(Int64(earlier))) }
        }
        for index in stride(from: 0, to: size, by: 2) { object["k\(index)"] = nil }
        for index in 0..<size { #expect(object["k\(index)"] == (index % 2 == 0 ? nil : .int(Int64(index))), "k\(index)") }
        #expect(object.keys == stride(from: 1, to: size, by: 2).map { "k\($0)" })
    }

    @Test("equality is by members in order, not by how the object was built")
    func equality() {
        var grown = JSONObject()
        grown["x"] = 1
        grown["y"] = 2
        grown["z"] = 3
        grown["y"] = nil
        #expect(grown == JSONObject([("x", 1), ("z", 3)]))
        #expect(grown != JSONObject([("z", 3), ("x", 1)]))
    }

    @Test("200 000 keys, a quarter of them repeated, parse with the right order and values")
    func wideObject() throws {
        let distinct = 150_000
        var text = "{"
        for index in 0..<200_000 {
            if index > 0 { text += "," }
            text += "\"key\(index % distinct)\":\(index)"
        }
        text += "}"
        let object = try #require(try JSON.parse(text).objectValue)
        #expect(object.count == distinct)
        #expect(object.keys.first == "key0")
        #expect(object.keys.last == "key\(distinct - 1)")
        #expect(object["key0"] == .int(Int64(distinct)))
        #expect(object["key49999"] == .int(Int64(distinct + 49_999)))
        #expect(object["key50000"] == 50_000)
    }
}
