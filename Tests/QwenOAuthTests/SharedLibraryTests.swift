@testable import QwenOAuth
import QwenSyncCore
import Testing

@Suite("Libraries loaded on first use")
struct SharedLibraryTests {
    @Test func sha256MatchesFIPS180Vectors() {
        func hex(_ text: String) -> String { SHA256.hex(text) }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding needs a second block.
        #expect(
            hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1_000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
        // 55 and 64 bytes: the last lengths that fit one padded block, and an exact block.
        #expect(hex(String(repeating: "a", count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(hex(String(repeating: "a", count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func aMissingLibraryIsNamedWithItsDebianPackage() {
        let error = #expect(throws: SharedLibraryError.self) {
            try SharedLibrary(soname: "libqwen-sync-absent.so.9", debianPackage: "libqwen-sync-absent9")
        }
        #expect(error?.description.hasPrefix("cannot load libqwen-sync-absent.so.9 (install the Debian package libqwen-sync-absent9): ") == true)
    }

    @Test func aMissingSymbolIsAnErrorNotACrash() throws {
        let library = try SharedLibrary(soname: "libcurl.so.4", debianPackage: "libcurl4")
        let error = #expect(throws: SharedLibraryError.self) { try library.address(of: "curl_no_such_function") }
        #expect(error?.description.contains("it has no curl_no_such_function") == true)
        _ = try library.address(of: "curl_easy_setopt")
    }

    @Test func curlAndQREncodeLoad() throws {
        _ = try LibCurl.shared.get()
        _ = try LibQREncode.shared.get()
    }
}
