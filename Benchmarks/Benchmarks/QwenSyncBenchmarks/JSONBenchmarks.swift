import Benchmark
import QwenSyncCore

/// Parse and serialize the three file shapes qwen-sync reads: the small credentials file, a
/// 50-account store, and a store with a 40,000-key unknown object (linear, not quadratic).
func jsonBenchmarks() {
    let inputs: [(name: String, bytes: [UInt8])] = [
        ("credentials-file", Inputs.credentialsFile),
        ("50-account-store", Inputs.fiftyAccountStore),
        ("40k-key-object", Inputs.wideStore),
    ]
    for input in inputs {
        Benchmark("JSON.parse:\(input.name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try JSON.parse(input.bytes)) }
        }
        let value = try? JSON.parse(input.bytes)
        Benchmark("JSON.serialize:\(input.name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(value?.serializedBytes(.pretty)) }
        }
    }
    Benchmark("AccountsDocument.read+encode:40k-key-object") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try AccountsDocument(bytes: Inputs.wideStore).encoded()) }
    }
}
