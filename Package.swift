// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "outreach",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "outreach", targets: ["outreach"]),
        .executable(name: "outreach-http", targets: ["outreach-http"]),
        .executable(name: "outreach-serve", targets: ["outreach-serve"]),
        .library(name: "OutreachCore", targets: ["OutreachCore"]),
        .library(name: "OutreachMail", targets: ["OutreachMail"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Property-based tests of the mailbox guardrails (tests only).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // sqlite3_config is variadic, which Swift cannot call (see its header).
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Our own MIME parser and delivery-feedback classifier (`events import-mail`, SPEC §11):
        // no package dependencies, Foundation only.
        .target(name: "OutreachMail"),
        .target(
            name: "OutreachCore",
            dependencies: [
                "CSQLiteTuning",
                "OutreachMail",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for the tick's hot path (Store/PreparedStatement.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // `Migrations` is a symlink to the top-level `migrations/` folder, the one copy
            // of the schema; embedding it makes the binary work from any directory.
            resources: [.embedInCode("Store/Migrations")]
        ),
        .executableTarget(
            name: "outreach",
            dependencies: [
                "OutreachCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `make bench`: the performance table of the README (not part of `make test`).
        .executableTarget(
            name: "outreach-bench",
            dependencies: [
                "OutreachCore",
                "CSQLiteTuning",
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(name: "outreach-hello"),
        // The HTTP transport's worker: keeps FoundationNetworking out of the main binary.
        .executableTarget(name: "outreach-http"),
        // OpenSSL's libcrypto (Debian libssl-dev): X.509 chains and RSA signatures of SNS.
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        // `outreach serve` (SPEC §10): the HTTP server, one-click unsubscribe, provider webhooks.
        .target(
            name: "OutreachServe",
            dependencies: [
                "OutreachCore",
                "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The server's executable, which `outreach serve` becomes (so the tick does not load it).
        .executableTarget(
            name: "outreach-serve",
            dependencies: ["OutreachServe", "OutreachCore", .product(name: "Logging", package: "swift-log")]
        ),
        // What both test targets share: which database the shared suites run on, and a real
        // PostgreSQL server for them.
        .target(name: "OutreachTestSupport", path: "Tests/OutreachTestSupport"),
        .testTarget(
            name: "OutreachCoreTests",
            dependencies: [
                "OutreachCore", "OutreachTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // `Corpus` is the sample mail of ../shared/corpus/mail (BSD 2-Clause, from sisimai),
        // kept here so the corpus test runs from any clone.
        .testTarget(name: "OutreachMailTests", dependencies: ["OutreachMail"], exclude: ["Corpus"]),
        .testTarget(name: "OutreachServeTests", dependencies: ["OutreachServe", "OutreachCore"]),
        .testTarget(
            name: "outreachTests",
            dependencies: ["outreach", "outreach-http", "outreach-serve", "OutreachCore", "OutreachTestSupport"],
            // Scripts the tests run as real peers (a sendmail stand-in, an HTTP API).
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
