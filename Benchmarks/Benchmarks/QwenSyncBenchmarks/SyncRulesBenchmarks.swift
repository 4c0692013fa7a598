import Benchmark
import QwenSyncCore
import QwenSyncDaemon

/// The sync rules deciding what a refreshed `oauth_creds.json` changes in a 50-account store.
func syncRulesBenchmarks() {
    Benchmark("SyncRules.apply:refresh-1-of-50") { benchmark in
        let store = try makeQwenDirectory()
        defer { removeQwenDirectory(store) }
        var state = try store.read()
        state.credentials = Inputs.credentials(account: 25, generation: 1)
        for _ in benchmark.scaledIterations {
            var copy = state
            blackHole(SyncRules.apply(to: &copy, trigger: .credentialsChanged, nowMs: 1_700_000_000_000))
        }
    }
}
