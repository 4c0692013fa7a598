import Benchmark

/// The tolerances `swift package benchmark thresholds check` applies to `Thresholds/` (p90).
/// Benchmark names have no spaces: the tool writes a threshold file with `_` for a space but
/// looks for it with the space.
///
/// Allocation counts do not depend on the machine: 5 % catches a change in how the code works.
/// Wall clock on a shared 2-core machine varies by 10x at p90 (process CPU time is counted in
/// 10 ms ticks here, too coarse to use), so it may grow 10x before it counts: loose, but a
/// quadratic parser is 70x slower on the 40,000-key store.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(2),
        maxIterations: 2_000,
        thresholds: [
            .wallClock: .init(relative: [.p90: 1_000.0]),
            .mallocCountTotal: .init(relative: [.p90: 5.0]),
        ]
    )
    jsonBenchmarks()
    storeBenchmarks()
    syncRulesBenchmarks()
}
