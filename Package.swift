// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]
/// The daemon is linked by lld with packed relative relocations (glibc 2.36+, Debian 12): the
/// loader then reads 15 KB of them at start instead of 1.8 MB, 1.3 MB less idle memory.
let daemonLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux])),
]

let package = Package(
    name: "countersign",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "countersignd", targets: ["countersignd"]),
        .executable(name: "countersign", targets: ["countersign"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Tests only: an independent reader of the certificates the gateway signs.
        .package(url: "https://github.com/apple/swift-nio-ssh.git", from: "0.15.1"),
        // Tests only: an independent verifier of the deploy tokens the gateway signs, and a maker
        // of the forgeries it must refuse.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
    ],
    targets: [
        // Pure domain rules: requests, states, policy evaluation, canonical digests, clock.
        .target(
            name: "CountersignCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Policy-as-code files: YAML loading with file:line diagnostics, lint, policy tests.
        .target(
            name: "CountersignPolicyFiles",
            dependencies: ["CountersignCore", .product(name: "Yams", package: "Yams"), .product(name: "X509", package: "swift-certificates")],
            swiftSettings: swiftSettings
        ),
        // POSIX file creation and reading for secrets and copies: final mode from birth, no links.
        .target(name: "SecureFiles", swiftSettings: swiftSettings),
        // Signing keys behind one protocol (audit checkpoints now; SSH CA and deploy tokens next):
        // files today, an HSM or KMS later.
        .target(
            name: "Keyring",
            dependencies: ["SecureFiles", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // OpenSSH certificates (PROTOCOL.certkeys) and key revocation lists (PROTOCOL.krl) as
        // value types, signed through the keyring: no I/O.
        .target(
            name: "CountersignSSH",
            dependencies: ["Keyring", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Session recordings as asciicast v2: time, header, events, the recorder's streaming encoder,
        // the bounded reader, and the text export (a small terminal emulator) and search; no I/O.
        .target(name: "Asciicast", swiftSettings: swiftSettings),
        // The session recorder's fork and exec (the child may run only async-signal-safe code, which
        // Swift cannot promise), the window-size ioctls and the signal self-pipe, in C.
        .target(name: "CRecorderPTY", linkerSettings: [.linkedLibrary("util")]),
        // `countersign record`, sshd's forced command for recorded sessions: the pty or pipes, the
        // spool, the chunked upload that survives gateway outages.
        .target(
            name: "SessionRecorder",
            dependencies: [
                "CRecorderPTY", "Asciicast", "CountersignCore", "CountersignSSH", "CountersignAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Deploy tokens: EdDSA JWTs signed through the keyring, their JWKS, and the strict offline
        // verifier the CLI runs; no server, no I/O.
        .target(
            name: "DeployTokens",
            dependencies: ["Keyring", "CountersignAPI", "WebAuthn", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The store's contract: protocols by concern in the words of the domain, no database.
        .target(
            name: "CountersignStore",
            dependencies: ["CountersignCore", "Keyring", "SecureFiles", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The embedded backend: SQLite (GRDB, WAL) rows, migrations and locking.
        .target(
            name: "CountersignSQLite",
            dependencies: [
                "CountersignCore", "CountersignStore", "Keyring", "SecureFiles",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The backend for several gateways on one database: PostgreSQL through postgres-nio.
        .target(
            name: "CountersignPostgres",
            dependencies: [
                "CountersignCore", "CountersignStore", "Keyring",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Notification channels (PagerDuty Events API v2, Slack, signed webhooks), their
        // configuration file, and the dispatcher that delivers the outbox through them.
        .target(
            name: "Notifications",
            dependencies: [
                "CountersignCore", "CountersignStore", "SecureFiles",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // WebAuthn ceremonies: strict CBOR, COSE keys, registration and assertion verification.
        .target(
            name: "WebAuthn",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: a software authenticator that answers the gateway's ceremonies.
        .target(
            name: "WebAuthnTesting",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Re-verifies stored hardware-key approvals against their requests: for auditors.
        .target(
            name: "ApprovalVerification",
            dependencies: ["CountersignCore", "CountersignStore", "CountersignAPI", "WebAuthn"],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CPAM", path: "Sources/CPAM"),
        // memfd_create(2), which Swift's Glibc module leaves out: `countersign ssh` hands ssh its
        // key and certificate in memory-only files.
        .systemLibrary(name: "CMemoryFile", path: "Sources/CMemoryFile"),
        .target(name: "PAMAuth", dependencies: ["CPAM"], swiftSettings: swiftSettings),
        // JSON wire types shared by the server and the CLI.
        .target(name: "CountersignAPI", swiftSettings: swiftSettings),
        // The reviewer web pages: templates, served scripts and styles, page models, cookies and CSRF.
        .target(
            name: "CountersignWeb",
            dependencies: [
                "CountersignAPI",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "web",
            sources: ["Sources"],
            resources: [.copy("templates"), .copy("static")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CountersignServer",
            dependencies: [
                "CountersignCore", "CountersignPolicyFiles", "CountersignStore", "CountersignSQLite", "CountersignPostgres", "PAMAuth", "CountersignAPI",
                "WebAuthn", "ApprovalVerification", "CountersignWeb", "Keyring", "CountersignSSH", "DeployTokens", "Asciicast", "SecureFiles",
                "Notifications",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "countersignd",
            dependencies: [
                "CountersignServer", "CountersignSQLite", "CountersignPostgres", "CountersignPolicyFiles", "Notifications",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: daemonLinkerSettings
        ),
        .executableTarget(
            name: "countersign",
            dependencies: [
                "CountersignCore", "CountersignAPI", "CountersignStore", "CountersignSQLite", "CountersignPolicyFiles", "ApprovalVerification", "Keyring",
                "CountersignSSH", "SecureFiles", "DeployTokens", "Asciicast", "SessionRecorder",
                "CMemoryFile",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // `make bench` only: durable store commits beside a raw SQLite loop.
        .executableTarget(
            name: "countersign-bench-store",
            dependencies: ["CountersignCore", "CountersignStore", "CountersignSQLite", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/StoreBench",
            swiftSettings: swiftSettings
        ),
        // `make bench` only: durable PostgreSQL store commits beside a prepared INSERT loop.
        .executableTarget(
            name: "countersign-bench-store-postgres",
            dependencies: [
                "CountersignCore", "CountersignStore", "CountersignPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PostgresStoreBench",
            swiftSettings: swiftSettings
        ),
        // `make bench` only: SSH certificates issued in process beside a bare Ed25519 signing loop.
        .executableTarget(
            name: "countersign-bench-certificates",
            dependencies: ["CountersignCore", "CountersignSSH", "Keyring", .product(name: "Crypto", package: "swift-crypto")],
            path: "Benchmarks/CertificateBench",
            swiftSettings: swiftSettings
        ),
        // `make bench` only: assertion verification beside the bare signature verify.
        .executableTarget(
            name: "countersign-bench-webauthn",
            dependencies: ["WebAuthn", .product(name: "Crypto", package: "swift-crypto")],
            path: "Benchmarks/WebAuthnBench",
            swiftSettings: swiftSettings
        ),
        // `make bench` only: the whole hardware-key approval over loopback HTTP.
        .executableTarget(
            name: "countersign-bench-approval",
            dependencies: [
                "CountersignServer", "CountersignAPI", "WebAuthn", "WebAuthnTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/ApprovalBench",
            swiftSettings: swiftSettings
        ),
        // `make bench` only: the outbox dispatcher's deliveries beside a plain POST loop to the same receiver.
        .executableTarget(
            name: "countersign-bench-outbox",
            dependencies: [
                "CountersignCore", "CountersignStore", "CountersignSQLite", "Notifications",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/OutboxBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CountersignCoreTests", dependencies: ["CountersignCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CountersignPolicyFilesTests",
            dependencies: ["CountersignPolicyFiles"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignSQLiteTests",
            dependencies: ["CountersignSQLite", "CountersignStore", "Keyring", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // Test support: blocking work kept off Swift's cooperative pool, child processes, a real
        // sshd, and HTTP receivers on 127.0.0.1 that record what they are sent.
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // Test support: a real PostgreSQL started by the tests themselves, a fresh database per test.
        .target(
            name: "PostgresTesting",
            dependencies: ["TestSupport", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/PostgresTesting",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignPostgresTests",
            dependencies: [
                "CountersignPostgres", "CountersignSQLite", "CountersignStore", "CountersignCore", "Keyring", "PostgresTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KeyringTests",
            dependencies: ["Keyring", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PAMAuthTests", dependencies: ["PAMAuth", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CountersignSSHTests",
            dependencies: [
                "CountersignSSH", "Keyring", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSH", package: "swift-nio-ssh"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "AsciicastTests", dependencies: ["Asciicast", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SessionRecorderTests",
            dependencies: [
                "SessionRecorder", "CRecorderPTY", "Asciicast", "CountersignSSH", "CountersignCore", "Keyring", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeployTokensTests",
            dependencies: [
                "DeployTokens", "Keyring", "WebAuthn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebAuthnTests",
            dependencies: [
                "WebAuthn",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            resources: [.copy("Vectors")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CountersignServerTests",
            dependencies: [
                "CountersignServer", "CountersignAPI", "CountersignCore", "CountersignSSH", "WebAuthn", "WebAuthnTesting", "TestSupport",
                "DeployTokens", "Asciicast", "CountersignPostgres", "PostgresTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSH", package: "swift-nio-ssh"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NotificationsTests",
            dependencies: [
                "Notifications", "CountersignCore", "CountersignStore", "CountersignSQLite", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "CountersignAPI", "WebAuthn", "WebAuthnTesting", "TestSupport", "PostgresTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
