/// A JSON object that keeps its keys in document order.
///
/// Setting an existing key replaces its value in place; a new key goes at the end;
/// setting `nil` removes the key. Duplicate keys in parsed input keep the place of the first
/// and the value of the last, as `JSON.parse` in JavaScript does.
///
/// Reading, replacing and appending a key cost O(1): an object of more than
/// ``indexThreshold`` members keeps an index from key to position beside its ordered members
/// (smaller ones, most of them, are scanned instead and allocate no index), so parsing an
/// object of n keys is O(n). Removing a key costs O(n), because the positions after it move.
public struct JSONObject: Sendable, Equatable, Sequence {
    /// The members in order.
    public private(set) var members: [(key: String, value: JSONValue)]
    /// The position of each key in ``members`` when there are more than ``indexThreshold``
    /// of them; empty otherwise.
    private var positions: [String: Int]

    /// Objects with up to this many members are searched member by member.
    public static let indexThreshold = 16

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
        for (key, value) in pairs { self[key] = value }
    }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The number of members.
    public var count: Int { members.count }

    /// The value for `key`; assigning `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            switch (position(of: key), newValue) {
            case (let index?, let value?): members[index].value = value
            case (let index?, nil): remove(at: index)
            case (nil, let value?): append(key, value)
            case (nil, nil): break
            }
        }
    }

    private func position(of key: String) -> Int? {
        members.count > Self.indexThreshold ? positions[key] : members.firstIndex { $0.key == key }
    }

    private mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key, value))
        if members.count > Self.indexThreshold + 1 {
            positions[key] = members.count - 1
        } else if members.count == Self.indexThreshold + 1 {
            reindex(from: 0)
        }
    }

    private mutating func remove(at index: Int) {
        let removed = members.remove(at: index)
        guard members.count > Self.indexThreshold else {
            positions = [:]
            return
        }
        positions[removed.key] = nil
        reindex(from: index)
    }

    /// Records the positions of the members from `start` on.
    private mutating func reindex(from start: Int) {
        for index in start..<members.count { positions[members[index].key] = index }
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
