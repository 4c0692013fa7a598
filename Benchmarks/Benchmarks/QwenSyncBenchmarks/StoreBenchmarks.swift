import Benchmark
import QwenSyncCore

/// The locked transaction on real files (two lock files, two fsynced renames) and the read
/// outside the locks.
func storeBenchmarks() {
    Benchmark("CredentialStore.transaction:refresh-1-of-50") { benchmark in
        let store = try makeQwenDirectory()
        defer { removeQwenDirectory(store) }
        var generation = 0
        for _ in benchmark.scaledIterations {
            generation += 1
            let token = Inputs.credentials(account: 25, generation: generation)
            try store.transaction { state in
                state.accounts.update(id: "acct_bench_25") { $0.setToken(token, nowMs: 1_700_000_000_000 + Int64(generation)) }
                state.credentials = token
            }
        }
    }
    Benchmark("CredentialStore.read:50-accounts") { benchmark in
        let store = try makeQwenDirectory()
        defer { removeQwenDirectory(store) }
        for _ in benchmark.scaledIterations { blackHole(try store.read()) }
    }
}
