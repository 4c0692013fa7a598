/// Which process runs ``HTTPClient``'s transfers.
public enum HTTPIsolation: Sendable, Equatable {
    /// This process: libcurl and its TLS stack are loaded on the first request and stay mapped
    /// for the life of the process. Right for short-lived commands.
    case inProcess
    /// A short-lived child: `executable` run with ``HTTPExchange/argument``, the request on its
    /// standard input and the response on its standard output (``HTTPExchange``). The calling
    /// process never maps libcurl, which keeps a long-running daemon small after its first
    /// refresh. Secrets travel only through the pipes, never in arguments or the environment.
    case childProcess(executable: String)
}
