import Glibc

/// Runs built products under a chosen umask without touching the test process's own (the
/// umask is process-wide, so changing it would race every other test running in parallel):
/// each product runs in a child started by `sh` after `umask`.
public enum Umask {
    /// `sh -c 'umask M && exec PRODUCT ARGS…'`, the product and its arguments passed as `$0 $@`:
    /// the arguments for `/bin/sh`.
    public static func shellArguments(_ mask: mode_t, _ product: String, _ arguments: [String]) -> [String] {
        ["-c", "umask \(String(mask, radix: 8)) && exec \"$0\" \"$@\"", BuiltProducts.path(of: product)] + arguments
    }

    /// Runs the built `product` with `arguments` under `mask`, to completion.
    public static func run(_ mask: mode_t, _ product: String, _ arguments: [String]) async throws -> ProcessOutcome {
        try await runProduct("/bin/sh", shellArguments(mask, product, arguments))
    }
}
