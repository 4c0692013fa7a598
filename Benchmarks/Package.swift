// swift-tools-version: 6.1
//
// In-process benchmarks (ordo-one/package-benchmark) of qwen-sync's hot paths: JSON, the
// locked store transaction and the sync rules. A package of its own, so the main build never
// compiles the benchmark tool. Run from the repository root with `make bench-swift`.

import PackageDescription

let package = Package(
    name: "qwen-sync-benchmarks",
    dependencies: [
        .package(name: "qwen-sync", path: ".."),
        // The malloc interposer only: the runtime interposer is not on this machine's mirror.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "QwenSyncBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QwenSyncCore", package: "qwen-sync"),
                .product(name: "QwenSyncDaemon", package: "qwen-sync"),
            ],
            path: "Benchmarks/QwenSyncBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
