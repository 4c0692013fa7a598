import ArgumentParser

/// "Did you mean" for a mistyped subcommand: `qwen-sync stauts` names `qwen-sync status`
/// instead of only "Unexpected argument".
enum CommandSuggestion {
    /// The usage error for the first word of `arguments` that names no subcommand where one is
    /// expected, with the nearest subcommand, or `nil` when every command word is known (or
    /// nothing is near enough to suggest).
    static func problem(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root.configuration.commandName ?? "qwen-sync"]
        var index = 0
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "--" { return nil }
            if word.hasPrefix("-") {
                if GlobalOptions.valueOptionNames.contains(word) { index += 1 }
                continue
            }
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { names(of: $0).contains(word) }) {
                command = next
                path.append(word)
                continue
            }
            let candidates = subcommands.flatMap(names(of:))
            guard let nearest = candidates.min(by: { distance(word, $0) < distance(word, $1) }),
                distance(word, nearest) <= 2 || nearest.hasPrefix(word)
            else { return nil }
            let parent = path.joined(separator: " ")
            return "unknown command '\(word)'; did you mean `\((path + [nearest]).joined(separator: " "))`? (`\(parent) --help` lists the commands)"
        }
        return nil
    }

    private static func names(of command: any ParsableCommand.Type) -> [String] {
        [command.configuration.commandName ?? ""] + command.configuration.aliases
    }

    /// The Levenshtein distance of `a` and `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
