import ArgumentParser
import QwenSyncCore

@main
struct QwenSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qwen-sync",
        abstract: "x",
        version: QwenSyncVersion.current,
        subcommands: [ExecCommand.self]
    )
}
