// swift-tools-version: 6.1
//
// qwen-sync: one process that owns the Qwen OAuth credentials on a Linux machine.
// Every dependency is justified in README.md ("Design"); keep the first build fast.

import PackageDescription

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Release executables are linked by the toolchain's lld with packed relative relocations
/// (DT_RELR, glibc 2.36 and later): about 0.6 MB less for the loader to read and keep resident.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(configuration: .release))
]

let package = Package(
    name: "qwen-sync",
    products: [
        .executable(name: "qwen-sync", targets: ["qwen-sync"]),
        .executable(name: "qwen-syncd", targets: ["qwen-syncd"]),
        .executable(name: "qwen-oauth-standin", targets: ["qwen-oauth-standin"]),
        .executable(name: "qwen-sync-serve", targets: ["qwen-sync-serve"]),
        // For the in-process benchmarks in Benchmarks/ (a package of their own).
        .library(name: "QwenSyncCore", targets: ["QwenSyncCore"]),
        .library(name: "QwenSyncDaemon", targets: ["QwenSyncDaemon"]),
        .library(name: "QwenControl", targets: ["QwenControl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Only for `qwen-sync serve` (its own executable; never linked into qwen-sync or qwen-syncd).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: C library declarations (headers from the Debian -dev packages libsystemd-dev,
        // libcurl4-openssl-dev, libqrencode-dev). Not linked: the libraries are loaded with dlopen
        // when a command first needs them (SharedLibrary in QwenSyncCore).
        .systemLibrary(name: "CSystemd"),
        .systemLibrary(name: "CCurl"),
        .systemLibrary(name: "CQREncode"),

        /// Linux definitions Swift's Glibc module leaves out (it is built without _GNU_SOURCE).
        .target(name: "CQwenLinux"),

        // MARK: Libraries, one job each
        /// JSON, paths, secure files, lock files, credentials and the accounts store.
        .target(
            name: "QwenSyncCore",
            dependencies: ["CQwenLinux"],
            swiftSettings: strictSwift
        ),
        /// One child process run: input, capped output, a deadline, the whole group ended.
        .target(
            name: "QwenProcess",
            dependencies: ["CQwenLinux", "QwenSyncCore"],
            swiftSettings: strictSwift
        ),
        /// The OAuth protocol: HTTP over libcurl, PKCE, device flow, refresh under the locks.
        .target(
            name: "QwenOAuth",
            dependencies: ["QwenSyncCore", "QwenProcess", "CCurl", "CQREncode"],
            swiftSettings: strictSwift
        ),
        /// journald logging and sd_notify.
        .target(
            name: "QwenSystemd",
            dependencies: ["CSystemd", "QwenSyncCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        /// The text-only fallback runner over the `qwen` CLI.
        .target(
            name: "QwenExec",
            dependencies: [
                "QwenProcess",
                "QwenSyncCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),
        /// The control socket: its client, its non-blocking server, the requests and the typed
        /// status document, for the daemon and every command that talks to it.
        .target(
            name: "QwenControl",
            dependencies: ["CQwenLinux", "QwenSyncCore"],
            swiftSettings: strictSwift
        ),
        /// The daemon: inotify, sync rules, refresh scheduling, serving the control socket.
        .target(
            name: "QwenSyncDaemon",
            dependencies: [
                "CQwenLinux", "QwenSyncCore", "QwenOAuth", "QwenSystemd", "QwenControl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),

        /// What every executable's command line shares: the usage-error exit status.
        .target(
            name: "QwenCommandLine",
            dependencies: ["QwenSyncCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),

        /// `qwen-sync serve`: the OpenAI-compatible endpoint over the accounts (Hummingbird server,
        /// AsyncHTTPClient upstream); request shaping and failover decisions are pure code.
        .target(
            name: "QwenServe",
            dependencies: [
                "CQwenLinux", "QwenSyncCore", "QwenOAuth", "QwenExec", "QwenSystemd", "QwenControl",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift
        ),

        /// `qwen-sync doctor`: the checks a user would otherwise make by hand.
        .target(
            name: "QwenDoctor",
            dependencies: ["QwenSyncCore", "QwenProcess", "QwenExec", "QwenControl"],
            swiftSettings: strictSwift
        ),

        // MARK: Executables
        .executableTarget(
            name: "qwen-sync",
            dependencies: [
                "QwenSyncCore", "QwenOAuth", "QwenExec", "QwenSystemd", "QwenSyncDaemon", "QwenControl", "QwenDoctor", "QwenCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift,
            linkerSettings: releaseLinking
        ),
        /// The daemon's own executable, without the command-line parser: `qwen-sync daemon`
        /// hands over to it, and it makes the daemon's HTTP requests in children of itself.
        .executableTarget(
            name: "qwen-syncd",
            dependencies: [
                "QwenSyncCore", "QwenOAuth", "QwenSystemd", "QwenSyncDaemon",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift,
            linkerSettings: releaseLinking
        ),
        /// The endpoint's executable: `qwen-sync serve` hands over to it, so the HTTP stack stays
        /// out of `qwen-sync` and `qwen-syncd`.
        .executableTarget(
            name: "qwen-sync-serve",
            dependencies: ["QwenServe", "QwenSyncCore"],
            swiftSettings: strictSwift,
            linkerSettings: releaseLinking
        ),
        /// A loopback stand-in for the Qwen OAuth server (tests, benchmarks, trying `login`).
        .executableTarget(
            name: "qwen-oauth-standin",
            dependencies: [
                "QwenSyncCore", "QwenOAuth", "QwenCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        /// Worker processes for multi-process tests and benchmarks (lock contention, kill -9).
        .executableTarget(
            name: "qwen-sync-stress",
            dependencies: [
                "QwenSyncCore", "QwenCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),

        // MARK: Tests
        /// Shared test helpers: temporary qwen dirs, running the built executables.
        .target(
            name: "QwenSyncTestSupport",
            dependencies: [
                "CQwenLinux",
                "QwenSyncCore",
                "QwenProcess",
            ],
            swiftSettings: strictSwift
        ),
        /// Library-level tests; `qwen-sync-stress` is their multi-process worker.
        .testTarget(
            name: "QwenSyncCoreTests",
            dependencies: ["QwenSyncCore", "QwenSyncTestSupport", "qwen-sync-stress"],
            swiftSettings: strictSwift
        ),
        /// `qwen-sync <command>` run as a user runs it: accounts, login, refresh, logs, exit codes.
        .testTarget(
            name: "QwenSyncCLITests",
            dependencies: [
                "QwenSyncCore", "QwenSystemd", "QwenSyncTestSupport", .product(name: "Logging", package: "swift-log"),
                "qwen-sync", "qwen-sync-stress", "qwen-oauth-standin",
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "QwenOAuthTests",
            dependencies: ["QwenOAuth", "QwenSyncTestSupport", "qwen-oauth-standin", "qwen-syncd"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "QwenSystemdTests",
            dependencies: ["QwenSystemd", "QwenSyncTestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "QwenExecTests",
            dependencies: ["QwenExec", "QwenProcess", "QwenSyncTestSupport", "qwen-sync", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift
        ),
        /// The endpoint: pure shaping and failover decisions, and `qwen-sync-serve` run for real
        /// against the stand-in upstream with the official `openai` Python client.
        .testTarget(
            name: "QwenServeTests",
            dependencies: ["QwenServe", "QwenSyncTestSupport", "qwen-sync", "qwen-sync-serve", "qwen-oauth-standin"],
            exclude: ["Fixtures"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "QwenDoctorTests",
            dependencies: ["QwenDoctor", "QwenProcess", "QwenSyncTestSupport", "qwen-sync"],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "QwenSyncDaemonTests",
            dependencies: ["QwenSyncDaemon", "QwenControl", "QwenSyncTestSupport", "qwen-sync", "qwen-syncd", "qwen-oauth-standin"],
            swiftSettings: strictSwift
        ),
        /// The control protocol and server with real sockets: the status document's round trip,
        /// deadlines, the connection cap.
        .testTarget(
            name: "QwenControlTests",
            dependencies: ["QwenControl", "QwenSyncTestSupport"],
            swiftSettings: strictSwift
        ),
    ]
)
