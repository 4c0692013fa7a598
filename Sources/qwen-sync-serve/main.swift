// qwen-sync-serve: the OpenAI-compatible endpoint's executable, started by `qwen-sync serve`
// (or a systemd user unit). It has no command-line parser: its settings come from the
// environment `qwen-sync serve` sets; its only argument is `--print-env`.

import Glibc
import Logging
import QwenServe
import QwenSyncCore
import QwenSystemd

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.isEmpty || arguments == ["--print-env"] else {
    DescriptorOutput.writeAll("qwen-sync-serve takes no arguments but --print-env: start it with `qwen-sync serve`\n", to: STDERR_FILENO)
    exit(2)
}
do {
    let configuration = try ServeConfiguration(settings: Settings.resolve(environment: .current), environment: .current)
    if arguments == ["--print-env"] {
        let key = try configuration.apiKey()
        print("OPENAI_BASE_URL='\(configuration.baseURL)'\nOPENAI_API_KEY='\(key)'")
        exit(0)
    }
    LoggingBootstrap.bootstrap()
    let server = try ServeServer(configuration: configuration, logger: Logger(label: "qwen-sync"))
    try await server.run()
} catch let error as ServeError {
    DescriptorOutput.writeAll("qwen-sync: serve: \(error.message)\n", to: STDERR_FILENO)
    exit(1)
} catch {
    DescriptorOutput.writeAll("qwen-sync: serve: \(error)\n", to: STDERR_FILENO)
    exit(1)
}
