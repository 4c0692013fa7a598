import ArgumentParser

/// Rewrites of the raw arguments that ArgumentParser cannot express by itself.
enum CommandLineArguments {
    /// Moves global options given before the command (`qwen-sync --qwen-dir X status`) to just
    /// after the command path (`qwen-sync status --qwen-dir X`), where every command accepts them.
    ///
    /// Arguments without a leading global option, or without a command after them, are returned
    /// unchanged (the parser then reports what is wrong).
    static func hoistingGlobalOptions(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
        var hoisted: [String] = []
        var index = 0
        scan: while index < arguments.count {
            let argument = arguments[index]
            for name in GlobalOptions.valueOptionNames {
                if argument == name, index + 1 < arguments.count {
                    hoisted += arguments[index...index + 1]
                    index += 2
                    continue scan
                }
                if argument.hasPrefix(name + "=") {
                    hoisted.append(argument)
                    index += 1
                    continue scan
                }
            }
            break
        }
        guard !hoisted.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        let depth = commandPath(rest, root: root).count
        guard depth > 0 else { return arguments }
        rest.insert(contentsOf: hoisted, at: depth)
        return rest
    }

    /// `help NAME…` naming no command: a usage error (ArgumentParser would show the root help
    /// and exit 0).
    static func checkHelpTopic(_ arguments: [String], root: any ParsableCommand.Type) throws {
        guard arguments.first == "help" else { return }
        let topic = arguments.dropFirst().filter { !$0.hasPrefix("-") }
        let path = commandPath(Array(topic), root: root)
        guard path.count < topic.count else { return }
        let unknown = topic[topic.startIndex + path.count]
        throw CommandFailure(
            "no command \"\(TerminalText.escaped(unknown))\"; see `\(([root._commandName] + path.map(\.name)).joined(separator: " ")) --help`",
            exitCode: QwenSync.usageExitCode
        )
    }

    /// The subcommands named at the start of `arguments`, in order.
    static func commandPath(_ arguments: [String], root: any ParsableCommand.Type) -> [(name: String, type: any ParsableCommand.Type)] {
        var path: [(name: String, type: any ParsableCommand.Type)] = []
        var current = root
        for argument in arguments {
            guard let next = current.configuration.subcommands.first(where: { $0._commandName == argument || $0.configuration.aliases.contains(argument) })
            else { break }
            path.append((argument, next))
            current = next
        }
        return path
    }
}
