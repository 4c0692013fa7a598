import Glibc
import QwenSyncCore
import QwenSyncTestSupport
import Testing

/// `oauth_creds.json`: qwen-code's validity rules, one clear message per problem, and output
/// byte for byte as qwen-code writes it.
@Suite("Credentials file")
struct CredentialsFileTests {
    static let valid = """
        {
          "access_token": "at",
          "token_type": "Bearer",
          "refresh_token": "rt",
          "resource_url": "portal.qwen.ai",
          "expiry_date": 1795321151953
        }
        """

    @Test(
        "one clear message per problem",
        arguments: [
            (#"{"token_type":"Bearer","refresh_token":"r","expiry_date":1}"#, #"the field "access_token" is missing"#),
            (#"{"access_token":"a","token_type":"Bearer","expiry_date":1}"#, #"the field "refresh_token" is missing"#),
            (#"{"access_token":"a","refresh_token":"r","expiry_date":1}"#, #"the field "token_type" is missing"#),
            (#"{"access_token":"a","token_type":"Bearer","refresh_token":"r"}"#, #"the field "expiry_date" is missing"#),
            (
                #"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expiry_date":"1795321151953"}"#,
                #"the field "expiry_date" must be a number of milliseconds, not a string"#
            ),
            (#"{"access_token":"","token_type":"Bearer","refresh_token":"r","expiry_date":1}"#, #"the field "access_token" is empty"#),
            (
                #"{"access_token":5,"token_type":"Bearer","refresh_token":"r","expiry_date":1}"#,
                #"the field "access_token" must be a string, not a number"#
            ),
            (
                #"{"access_token":"a","token_type":"Bearer","refresh_token":["r"],"expiry_date":1}"#,
                #"the field "refresh_token" must be a string, not an array"#
            ),
            (
                #"{"access_token":"a","token_type":"Bearer","refresh_token":"r","expiry_date":1,"resource_url":7}"#,
                #"the field "resource_url" must be a string, not a number"#
            ),
            ("[]", "expected a JSON object, found an array"),
            ("\"text\"", "expected a JSON object, found a string"),
            ("", "the file is empty"),
            (" \n\t", "the file is empty"),
        ] as [(String, String)])
    func problems(text: String, message: String) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.json")
            try FileTools.write(path, text)
            guard case .invalid(let reason, let identity) = CredentialsFile.read(path) else {
                Issue.record("accepted: \(text)")
                return
            }
            #expect(reason == message)
            #expect(identity == FileIdentity.of(path))
            #expect(FileTools.text(path) == text, "the file must be left untouched")
        }
    }

    @Test("not JSON, too big and not a regular file are reported, never thrown")
    func unreadableFiles() async throws {
        try await withTemporaryDirectory { directory in
            let garbage = directory.appending("garbage.json")
            try FileTools.write(garbage, [0x7B, 0xFF, 0x00, 0x13, 0x37, 0x22])
            guard case .invalid(let notJSON, _) = CredentialsFile.read(garbage) else { Issue.record("garbage accepted"); return }
            #expect(notJSON.hasPrefix("not valid JSON ("))
            #expect(notJSON.contains("line 1, column 2"))

            let big = directory.appending("big.json")
            try FileTools.write(big, String(repeating: " ", count: SecureFile.defaultReadLimit) + Self.valid)
            guard case .invalid(let tooBig, _) = CredentialsFile.read(big) else { Issue.record("2 MB accepted"); return }
            #expect(tooBig.contains("too large"))

            let fifo = directory.appending("fifo.json")
            #expect(mkfifo(fifo, 0o600) == 0)
            guard case .invalid(let notRegular, _) = CredentialsFile.read(fifo) else { Issue.record("FIFO accepted"); return }
            #expect(notRegular == "not a regular file (a FIFO)")

            #expect(CredentialsFile.read(directory.appending("none.json")) == .missing)
        }
    }

    @Test("tokens never appear in messages or descriptions")
    func noSecretsInMessages() throws {
        let text = #"{"access_token":"SECRET-AT","token_type":"Bearer","refresh_token":"SECRET-RT","expiry_date":"soon"}"#
        let error = #expect(throws: CredentialsError.self) { try CredentialsFile.parse(Array(text.utf8)) }
        #expect(error?.description.contains("SECRET") == false)
        let credentials = TestTokens.credentials(access: "SECRET-AT", refresh: "SECRET-RT")
        #expect(!credentials.description.contains("SECRET"))
        #expect(!"\(credentials)".contains("SECRET"))
    }

    @Test("extra fields are tolerated and kept after the known ones; null optional fields are accepted")
    func extraFields() throws {
        let text = #"{"zz":{"a":[1]},"access_token":"a","expiry_date":1795321151953,"token_type":"Bearer","refresh_token":"r","id_token":null,"x":true}"#
        let credentials = try CredentialsFile.parse(Array(text.utf8))
        #expect(credentials.accessToken == "a")
        #expect(credentials.idToken == nil)
        #expect(credentials.extraFields.keys == ["zz", "x"])
        let written = String(decoding: CredentialsFile.encode(credentials), as: UTF8.self)
        #expect(
            written == """
                {
                  "access_token": "a",
                  "token_type": "Bearer",
                  "refresh_token": "r",
                  "expiry_date": 1795321151953,
                  "zz": {
                    "a": [
                      1
                    ]
                  },
                  "x": true
                }
                """)
    }

    @Test("written bytes are exactly qwen-code's: field order, 2-space indent, no trailing newline, 0600")
    func writtenBytes() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.json")
            let credentials = OAuthCredentials(
                accessToken: "at", refreshToken: "rt", expiryDate: 1_795_321_151_953, resourceURL: "portal.qwen.ai")
            try CredentialsFile.write(credentials, to: path)
            #expect(FileTools.text(path) == Self.valid)
            #expect(FileTools.mode(path) == 0o600)
            #expect(CredentialsFile.read(path).credentials == credentials)
        }
    }

    @Test(
        "written bytes equal node's JSON.stringify(JSON.parse(file), null, 2) and pass qwen-code's check",
        .enabled(if: NodeJS.isAvailable, "node is not installed; the JSON.stringify comparison is skipped"))
    func writtenBytesMatchNode() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appending("oauth_creds.json")
            let credentials = OAuthCredentials(
                accessToken: TestTokens.jwt(["sub": "u1"]), refreshToken: "r/t+=é", expiryDate: 1_795_321_151_953,
                resourceURL: "portal.qwen.ai", idToken: "id", extraFields: JSONObject([("k", ["n": nil])]))
            try CredentialsFile.write(credentials, to: path)
            #expect(try await NodeJS.stringifyPretty(file: path) == FileTools.text(path))
            // qwen-code's validity rule, evaluated by JavaScript itself.
            let verdict = try await NodeJS.run(
                """
                const c = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
                const ok = ['access_token', 'refresh_token', 'token_type'].every(k => typeof c[k] === 'string' && c[k].length > 0)
                  && typeof c.expiry_date === 'number';
                process.stdout.write(ok ? 'valid' : 'invalid');
                """, [path])
            #expect(verdict == "valid")
        }
    }
}
