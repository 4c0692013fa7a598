import Glibc
import QwenSyncCore

/// Editor extensions whose "qwen-code" provider reads `oauth_creds.json` once and keeps the
/// token in memory (see `docs/INTEROP.md`, "Editor extensions"): after any other process
/// refreshed, their cached refresh token is dead until the editor reloads the file.
enum EditorExtensionCheck {
    /// Extension id prefixes and the names users know them by.
    static let knownExtensions: [(prefix: String, name: String)] = [
        ("saoudrizwan.claude-dev", "Cline"),
        ("rooveterinaryinc.roo-cline", "Roo Code"),
        ("kilocode.kilo-code", "Kilo Code"),
    ]

    /// Where VS Code and its relatives keep extensions, relative to `$HOME`.
    static let extensionDirectories = [
        ".vscode/extensions", ".vscode-insiders/extensions", ".vscode-server/extensions",
        ".vscode-oss/extensions", ".cursor/extensions", ".cursor-server/extensions", ".windsurf/extensions",
    ]

    static func run(_ context: DoctorContext) -> DoctorFinding {
        guard let home = context.environment["HOME"] else {
            return DoctorFinding("editor_extensions", .skip, "not checked: HOME is not set")
        }
        var found: [String] = []
        for relative in extensionDirectories {
            for entry in entries(of: home + "/" + relative) {
                let lowered = entry.lowercased()
                if let known = knownExtensions.first(where: { lowered.hasPrefix($0.prefix) }) {
                    found.append("\(known.name) (~/\(relative)/\(entry))")
                }
            }
        }
        guard !found.isEmpty else {
            return DoctorFinding("editor_extensions", .ok, "no editor extension known to cache Qwen tokens (Cline, Roo Code, Kilo Code)")
        }
        return DoctorFinding(
            "editor_extensions", .warn,
            "found \(found.joined(separator: ", ")): with the \"qwen-code\" provider it keeps the token in memory, so after another process refreshed, its next refresh fails",
            fix: "when it reports an authentication error, reload the editor window (Developer: Reload Window) so it rereads oauth_creds.json"
        )
    }

    /// The names in directory `path` (none when it cannot be read).
    private static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
