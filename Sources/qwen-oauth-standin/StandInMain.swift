import Glibc
import QwenCommandLine
import QwenSyncCore

/// The process entry: parse flags, listen, announce the URL, stop on SIGTERM/SIGINT.
enum StandInMain {
    /// Runs the stand-in until a signal (or end of stdin with `--exit-on-stdin-eof`).
    static func run() -> Never {
        let options = CommandLineOptions.parseOrExitWithUsageCode()
        signal(SIGPIPE, SIG_IGN)
        // Block the stop signals in every thread; the main thread takes them with sigwait.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let server: OAuthStandIn
        do {
            server = try OAuthStandIn(port: options.port, config: options.config(), verbose: options.verbose, listenAny: options.listenAny)
        } catch {
            Console.error("qwen-oauth-standin: \(error.description)\n")
            exit(1)
        }
        PosixThread.runDetached { server.run() }
        if options.exitOnStdinEOF { PosixThread.runDetached { waitForEndOfInput() } }
        Console.out("LISTENING \(server.baseURL)\n")
        if let urlFile = options.urlFile {
            do {
                try SecureFile.replace(PathNormalizer.absolute(urlFile), with: Array(server.baseURL.utf8))
            } catch {
                Console.error("qwen-oauth-standin: cannot write --url-file: \(error.description)\n")
                exit(1)
            }
        }

        var received: Int32 = 0
        while sigwait(&stopSignals, &received) != 0 {}
        exit(0)
    }

    private static func waitForEndOfInput() -> Never {
        var scratch = [UInt8](repeating: 0, count: 256)
        while (try? SystemCall.retrying { read(STDIN_FILENO, &scratch, scratch.count) }) ?? 0 > 0 {}
        exit(0)
    }
}
