/// Why `oauth_creds.json` (or an account's `token`) is not usable. Messages never contain token values.
public enum CredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file exists but is empty.
    case empty
    /// The text is not JSON.
    case notJSON(JSONParseError)
    /// The JSON is not an object.
    case notAnObject(String)
    /// A required field is absent.
    case missingField(String)
    /// A required string field is empty.
    case emptyField(String)
    /// A field has the wrong JSON type.
    case wrongType(String, expected: String, found: String)

    public var description: String {
        switch self {
        case .empty: "the file is empty"
        case .notJSON(let error): "not valid JSON (\(error))"
        case .notAnObject(let type): "expected a JSON object, found \(type == "array" ? "an array" : "a \(type)")"
        case .missingField(let key): "the field \"\(key)\" is missing"
        case .emptyField(let key): "the field \"\(key)\" is empty"
        case .wrongType(let key, let expected, let found): "the field \"\(key)\" must be \(expected), not \(found == "array" ? "an array" : "a \(found)")"
        }
    }
}
