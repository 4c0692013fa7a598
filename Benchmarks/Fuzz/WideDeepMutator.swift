// libFuzzer custom mutator: makes JSON inputs wide (thousands of members, repeated keys) and
// deep (nesting just below, at and beyond the parser's limit). Other inputs, and half of the
// JSON ones, get libFuzzer's own byte-level mutations. Built with Fuzz.swift by build.sh.
import QwenSyncCore

/// libFuzzer's built-in mutator.
@_silgen_name("LLVMFuzzerMutate")
func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var random = SplitMix64(seed: UInt64(seed))
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    if random.next() % 2 == 0, let value = try? JSON.parse(input) {
        var mutator = WideDeepMutator(random: random, maxSize: maxSize)
        let output = random.next() % 2 == 0 ? mutator.widen(value) : mutator.deepen(value)
        if let output, output.count <= maxSize {
            output.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: output.count) }
            return output.count
        }
    }
    return libFuzzerMutate(data, size, maxSize)
}

/// A small deterministic generator, so a crash replays from libFuzzer's seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
}

/// Rewrites one node of a parsed document as compact JSON text: a container chosen by a random
/// walk gets many more members, or gets wrapped in enough levels to reach the depth limit.
struct WideDeepMutator {
    var random: SplitMix64
    let maxSize: Int

    /// Values for new members: every kind, numbers in forms JavaScript would rewrite.
    static let values = [
        "0", "1.0", "-0", "1e3", "1E-2", "12345678901234567890", "\"\"", "\"é\\u00e9\\ud83d\\ude00\"",
        "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "null", "true", "false", "[]", "{}", "[1,[2]]", "{\"a\":{\"b\":1}}",
    ]

    /// The document with one object (or array) given up to thousands of extra members, many of
    /// them repeating a key already there, so that the output still fits `maxSize`.
    mutating func widen(_ value: JSONValue) -> [UInt8]? {
        let path = randomPath(in: value)
        var count = [16, 256, 4_096, 16_384][random.below(4)]
        while count >= 1 {
            let text = Self.render(value, path: path[...]) { target in self.widened(target, extra: count) }
            if text.utf8.count <= maxSize { return Array(text.utf8) }
            count /= 4
        }
        return nil
    }

    /// The document with one node wrapped in arrays and objects so that its nesting ends a few
    /// levels below, at, or a few levels beyond ``JSON/defaultMaxDepth``.
    mutating func deepen(_ value: JSONValue) -> [UInt8]? {
        let path = randomPath(in: value)
        let target = Self.node(at: path[...], in: value)
        let levels = max(0, JSON.defaultMaxDepth - path.count - Self.depth(of: target) + random.below(7) - 3)
        let text = Self.render(value, path: path[...]) { target in self.wrapped(target, levels: levels) }
        return Array(text.utf8)
    }

    private mutating func widened(_ target: JSONValue, extra: Int) -> String {
        let existing = target.objectValue?.keys ?? []
        var members: [String] = []
        members.reserveCapacity(extra + existing.count)
        if case .object(let object) = target {
            members += object.members.map { JSONValue.string($0.key).serialized(.compact) + ":" + $0.value.serialized(.compact) }
        }
        for index in 0..<extra {
            let key: String
            switch random.below(4) {
            case 0 where !existing.isEmpty: key = existing[random.below(existing.count)]
            case 1: key = "k\(random.below(max(extra / 4, 1)))"  // repeats among the new members
            default: key = "k\(index)-\(random.below(1_000))"
            }
            members.append(JSONValue.string(key).serialized(.compact) + ":" + Self.values[random.below(Self.values.count)])
        }
        if case .array(let elements) = target {
            return "[" + (elements.map { $0.serialized(.compact) } + ["{" + members.joined(separator: ",") + "}"]).joined(separator: ",") + "]"
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    private mutating func wrapped(_ target: JSONValue, levels: Int) -> String {
        var opening = ""
        var closing = ""
        for _ in 0..<levels {
            if random.below(2) == 0 {
                opening += "["
                closing = "]" + closing
            } else {
                opening += "{\"d\":"
                closing = "}" + closing
            }
        }
        return opening + target.serialized(.compact) + closing
    }

    /// Child positions from the root to a node reached by a random walk.
    private mutating func randomPath(in value: JSONValue) -> [Int] {
        var path: [Int] = []
        var current = value
        while random.below(3) != 0 {
            let children: [JSONValue]
            switch current {
            case .object(let object): children = object.members.map(\.value)
            case .array(let elements): children = elements
            default: return path
            }
            guard !children.isEmpty else { return path }
            let index = random.below(children.count)
            path.append(index)
            current = children[index]
        }
        return path
    }

    private static func node(at path: ArraySlice<Int>, in value: JSONValue) -> JSONValue {
        guard let step = path.first else { return value }
        switch value {
        case .object(let object): return node(at: path.dropFirst(), in: object.members[step].value)
        case .array(let elements): return node(at: path.dropFirst(), in: elements[step])
        default: return value
        }
    }

    /// Compact text of `value` with the node at `path` replaced by `replace(node)`.
    private static func render(_ value: JSONValue, path: ArraySlice<Int>, replace: (JSONValue) -> String) -> String {
        guard let step = path.first else { return replace(value) }
        switch value {
        case .object(let object):
            let members = object.members.enumerated().map { index, member in
                JSONValue.string(member.key).serialized(.compact) + ":"
                    + (index == step ? render(member.value, path: path.dropFirst(), replace: replace) : member.value.serialized(.compact))
            }
            return "{" + members.joined(separator: ",") + "}"
        case .array(let elements):
            let texts = elements.enumerated().map { index, element in
                index == step ? render(element, path: path.dropFirst(), replace: replace) : element.serialized(.compact)
            }
            return "[" + texts.joined(separator: ",") + "]"
        default:
            return replace(value)
        }
    }

    /// Levels of arrays and objects inside `value` (0 for a scalar).
    static func depth(of value: JSONValue) -> Int {
        switch value {
        case .object(let object): 1 + (object.members.map { depth(of: $0.value) }.max() ?? 0)
        case .array(let elements): 1 + (elements.map { depth(of: $0) }.max() ?? 0)
        default: 0
        }
    }
}
