import Glibc

/// Reading and writing `oauth_creds.json` the way qwen-code accepts it.
public enum CredentialsFile {
    /// What was found at the credentials path.
    public enum ReadResult: Sendable, Equatable {
        /// No file.
        case missing
        /// Valid credentials, and the file version they came from.
        case valid(OAuthCredentials, FileIdentity)
        /// A file that cannot be used, with the reason; it is never overwritten silently.
        case invalid(String, FileIdentity?)

        /// The credentials when valid.
        public var credentials: OAuthCredentials? {
            if case .valid(let credentials, _) = self { return credentials }
            return nil
        }

        /// The version of the file read, if there was a file.
        public var identity: FileIdentity? {
            switch self {
            case .missing: nil
            case .valid(_, let identity): identity
            case .invalid(_, let identity): identity
            }
        }
    }

    /// Reads and validates the file at `path`; never throws, every problem becomes `.invalid`.
    public static func read(_ path: String) -> ReadResult {
        let contents: SecureFile.Contents?
        do {
            contents = try SecureFile.read(path)
        } catch {
            return .invalid(error.reason, FileIdentity.of(path))
        }
        guard let contents else { return .missing }
        if let owner = foreignOwner(of: path) {
            return .invalid(
                "owned by uid \(owner), not by you (uid \(getuid())); ignored: a file another user put in your qwen dir is never adopted (remove it)",
                contents.identity)
        }
        do {
            return .valid(try parse(contents.bytes), contents.identity)
        } catch {
            return .invalid(error.description, contents.identity)
        }
    }

    /// The owner of the file at `path` (through a symlink) when it is not the current user.
    static func foreignOwner(of path: String) -> uid_t? {
        var status = stat()
        guard stat(path, &status) == 0, status.st_uid != getuid() else { return nil }
        return status.st_uid
    }

    /// The tokens of an invalid file whose refresh token may still work (say, `expiry_date`
    /// written as a string), read leniently so that writing over the file loses nothing.
    public static func salvage(_ path: String) -> OAuthCredentials? {
        guard foreignOwner(of: path) == nil, let bytes = (try? SecureFile.read(path, limit: CredentialStore.ownFileReadLimit))??.bytes,
            let object = (try? JSON.parse(bytes))?.objectValue,
            let refreshToken = object["refresh_token"]?.stringValue, !refreshToken.isEmpty
        else { return nil }
        let expiry = object["expiry_date"].flatMap { value -> Int64? in
            if case .number(let number) = value { return number.int64 }
            return value.stringValue.flatMap { Int64($0) }
        }
        return OAuthCredentials(
            // A placeholder keeps the entry valid where it is kept; the next refresh replaces it.
            accessToken: object["access_token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "missing", refreshToken: refreshToken,
            tokenType: object["token_type"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "Bearer", expiryDate: expiry ?? 0,
            resourceURL: object["resource_url"]?.stringValue
        )
    }

    /// Parses credentials from file bytes.
    public static func parse(_ bytes: [UInt8]) throws(CredentialsError) -> OAuthCredentials {
        guard bytes.contains(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) else { throw .empty }
        let value: JSONValue
        do { value = try JSON.parse(bytes) } catch { throw .notJSON(error) }
        return try OAuthCredentials(json: value)
    }

    /// The bytes qwen-code would write, `JSON.stringify(creds, null, 2)` with no trailing newline,
    /// as long as every number is in JavaScript's own form; a number read from a file keeps its
    /// literal (``JSONStyle/pretty`` says which forms differ).
    public static func encode(_ credentials: OAuthCredentials) -> [UInt8] {
        credentials.json.serializedBytes(.pretty)
    }

    /// Atomically writes `credentials` to `path` (mode 0600, newer mtime).
    public static func write(_ credentials: OAuthCredentials, to path: String) throws(FileError) {
        try SecureFile.replace(path, with: encode(credentials))
    }
}
