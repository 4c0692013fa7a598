/// A JSON object that keeps its keys in document order.
///
/// Setting an existing key replaces its value in place; a new key goes at the end;
/// setting `nil` removes the key. Duplicate keys in parsed input keep the place of the first
/// and the value of the last, as `JSON.parse` in JavaScript does.
///
/// Reading, replacing and appending a key cost O(1): an index from key to position sits
/// beside the ordered members, so parsing an object of n keys is O(n). Removing a key costs
/// O(n), because the positions after it move.
public struct JSONObject: Sendable, Equatable, Sequence {
    /// The members in order.
    public private(set) var members: [(key: String, value: JSONValue)]
    /// The position of each key in ``members``.
    private var positions: [String: Int]

    /// An empty object.
    public init() {
        members = []
        positions = [:]
    }

    /// An object with these members, in this order (a repeated key keeps its first place and
    /// its last value).
    public init(_ pairs: [(String, JSONValue)]) {
        self.init()
        members.reserveCapacity(pairs.count)
        positions.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The number of members.
    public var count: Int { members.count }

    /// The value for `key`; assigning `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { positions[key].map { members[$0].value } }
        set {
            switch (positions[key], newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): remove(at: index)
            case (nil, let value?):
                positions[key] = members.count
                members.append((key, value))
            case (nil, nil): break
            }
        }
    }

    private mutating func remove(at index: Int) {
        positions[members.remove(at: index).key] = nil
        for later in index..<members.count { positions[members[later].key] = later }
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
