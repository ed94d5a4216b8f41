// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Pingshen",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pingshen", targets: ["pingshen"]),
        .library(name: "PingshenCore", targets: ["PingshenCore"]),
        .library(name: "PingshenSync", targets: ["PingshenSync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        // The panel server (issue 5). Hummingbird's default traits are off: no swift-configuration build.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0", traits: []),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
    ],
    targets: [
        // Pure scoring core: rubric model, rules, line format, aggregation, statistics. No I/O, no dependencies.
        .target(name: "PingshenCore", swiftSettings: strict),
        // The audit chain's hashing (SHA-256) and verification, shared by the local store and the server; the
        // canonical form itself is PingshenCore's AuditRecord (docs/audit.md).
        .target(name: "PingshenAudit",
                dependencies: ["PingshenCore", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Rubric and config files (YAML text -> model) and their checks.
        .target(name: "PingshenRubricFormat",
                dependencies: ["PingshenCore", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        // SQLite store (GRDB): panels, reviewers, applicants, sheets, audit log.
        .target(name: "PingshenStore",
                dependencies: ["PingshenCore", "PingshenAudit", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        // Exports: CSV, JSON, XLSX, HTML.
        .target(name: "PingshenReport",
                dependencies: ["PingshenCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: strict),
        // The sync protocol's wire types (requests, responses), shared by server and client; they reuse the
        // core's Codable model types (panel members, sheets, changes).
        .target(name: "PingshenWire", dependencies: ["PingshenCore"], swiftSettings: strict),
        // Offline-first sync, the client side in one place: the server's HTTP client (URLSession; FoundationNetworking
        // on Linux), saved tokens by server and panel, and the protocol itself (push the outbox, pull the feed,
        // retry, conflicts, seal and verify of a shared panel). The command line only calls it.
        .target(name: "PingshenSync",
                dependencies: ["PingshenCore", "PingshenAudit", "PingshenWire", "PingshenStore"],
                swiftSettings: strict),
        // The panel server: Hummingbird 2, optional TLS, storage on SQLite (GRDB) or PostgreSQL (postgres-nio).
        .target(name: "PingshenServer",
                dependencies: ["PingshenCore", "PingshenAudit", "PingshenRubricFormat", "PingshenWire",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "HummingbirdTLS", package: "hummingbird"),
                               .product(name: "PostgresNIO", package: "postgres-nio"),
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        // Command line: argument parsing, the interactive session, rendering.
        .target(name: "PingshenCLI",
                dependencies: ["PingshenCore", "PingshenAudit", "PingshenRubricFormat", "PingshenStore", "PingshenReport",
                               "PingshenServer", "PingshenSync", "PingshenWire",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: strict),
        .executableTarget(name: "pingshen", dependencies: ["PingshenCLI"], swiftSettings: strict),
        // Benchmarks of the chair's computations (bench/run.sh drives it).
        .executableTarget(name: "pingshen-bench", dependencies: ["PingshenCore", "PingshenRubricFormat", "PingshenReport"],
                          path: "Sources/PingshenBench", swiftSettings: strict),
        .testTarget(name: "PingshenCoreTests",
                    dependencies: ["PingshenCore", "PingshenRubricFormat"], swiftSettings: strict),
        .testTarget(name: "PingshenReportTests",
                    dependencies: ["PingshenReport", "PingshenCore", "PingshenRubricFormat"], swiftSettings: strict),
        .testTarget(name: "PingshenStoreTests",
                    dependencies: ["PingshenStore", "PingshenAudit", "PingshenCore", "PingshenRubricFormat",
                                   .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        // Crash safety (SIGKILL of real processes), fuzzing of every input parser, tamper evidence.
        .testTarget(name: "PingshenReliabilityTests",
                    dependencies: ["PingshenCore", "PingshenAudit", "PingshenRubricFormat", "PingshenStore",
                                   .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        .testTarget(name: "PingshenCLITests",
                    dependencies: ["PingshenCLI", "PingshenStore", "PingshenCore", "PingshenRubricFormat", "PingshenReport"],
                    swiftSettings: strict),
        .testTarget(name: "PingshenServerTests",
                    dependencies: ["PingshenServer", "PingshenSync", "PingshenWire", "PingshenCore",
                                   "PingshenRubricFormat", .product(name: "Yams", package: "Yams")],
                    swiftSettings: strict),
    ]
)
