import CountersignCore
import CountersignPolicyFiles
import Foundation
import Testing

@Suite("authenticators.yaml: attestation roots and allowed models")
struct AuthenticatorsFileTests {
    /// Yubico's published U2F root, kept once with the WebAuthn vectors.
    static let yubicoRootPEM = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WebAuthnTests/Vectors/yubico-u2f-root-ca-457200631.pem"),
        encoding: .utf8
    )
    static let yubiKey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
    static let yubiKey5Bytes: [UInt8] = [0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8]

    static let good = """
        # Only YubiKey 5 keys, proven by Yubico's attestation root.
        authenticators:
          attestation_roots: [roots/yubico-u2f-root.pem]
          aaguids: ["\(yubiKey5)"]
        """

    static func fixture(_ authenticators: String, roots: [String: String] = ["roots/yubico-u2f-root.pem": yubicoRootPEM]) throws -> PolicyFixture {
        try PolicyFixture.withGroups(roots.merging(["deploy.yaml": PolicyFixture.stagingRule, "authenticators.yaml": authenticators]) { $1 })
    }

    @Test("a good file puts the roots (DER) and the AAGUIDs into the loaded policy, and the root file into its fingerprint")
    func goodFile() throws {
        let fixture = try Self.fixture(Self.good)
        defer { fixture.remove() }
        let loaded = try PolicyDirectory.load(fixture.url)
        let requirement = loaded.policy.authenticators
        #expect(requirement.requiresAttestation)
        #expect(requirement.attestationRoots.map(\.source) == ["roots/yubico-u2f-root.pem"])
        let base64 = Self.yubicoRootPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        #expect(requirement.attestationRoots.first?.der == Array(try #require(Data(base64Encoded: base64))))
        #expect(requirement.aaguids == [Self.yubiKey5Bytes])
        #expect(loaded.files == ["authenticators.yaml", "deploy.yaml", "groups.yaml", "roots/yubico-u2f-root.pem"])
        #expect(loaded.warnings.isEmpty)
    }

    @Test("roots alone are a requirement too; uppercase AAGUIDs read the same")
    func rootsAloneAndCase() throws {
        let fixture = try Self.fixture("authenticators:\n  attestation_roots: [roots/yubico-u2f-root.pem]\n")
        defer { fixture.remove() }
        let requirement = try PolicyDirectory.load(fixture.url).policy.authenticators
        #expect(requirement.requiresAttestation && requirement.aaguids == nil)

        let upper = try Self.fixture(Self.good.replacingOccurrences(of: Self.yubiKey5, with: Self.yubiKey5.uppercased()))
        defer { upper.remove() }
        #expect(try PolicyDirectory.load(upper.url).policy.authenticators.aaguids == [Self.yubiKey5Bytes])
    }

    @Test("without the file, any key may be enrolled, as before")
    func absent() throws {
        let fixture = try PolicyFixture.withGroups(["deploy.yaml": PolicyFixture.stagingRule])
        defer { fixture.remove() }
        let loaded = try PolicyDirectory.load(fixture.url)
        #expect(loaded.policy.authenticators == .unrestricted)
        #expect(!loaded.policy.authenticators.requiresAttestation)
    }

    @Test("a change to a root file changes the fingerprint, so a reload of it is audited as a new policy")
    func fingerprintCoversRoots() throws {
        let first = try Self.fixture(Self.good)
        let second = try Self.fixture(Self.good, roots: ["roots/yubico-u2f-root.pem": "Yubico U2F Root CA Serial 457200631\n" + Self.yubicoRootPEM])
        defer { first.remove(); second.remove() }
        let (a, b) = (try PolicyDirectory.load(first.url), try PolicyDirectory.load(second.url))
        #expect(a.policy == b.policy, "the comment line changes no certificate")
        #expect(a.fingerprint != b.fingerprint)
    }

    static let notACertificate = "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n"
    /// The outline of a certificate (SEQUENCE of TBS, algorithm, BIT STRING) with empty fields:
    /// only a real X.509 parse tells it from one.
    static let hollowCertificate = "-----BEGIN CERTIFICATE-----\nMBQwDQIBATAAMAAwADAAMAAwAAMBAA==\n-----END CERTIFICATE-----\n"

    static let cases: [BadPolicy] = [
        BadPolicy(label: "unknown key, with a suggestion", file: "authenticators.yaml", text: """
            authenticators:
              attestation_root: [roots/yubico-u2f-root.pem]   # <--
            """, code: .unknownKey),
        BadPolicy(label: "unknown top-level key", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/yubico-u2f-root.pem]
            models: []   # <--
            """, code: .unknownKey),
        BadPolicy(label: "an AAGUID that is not a UUID", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/yubico-u2f-root.pem]
              aaguids:
                - cb69481e-8ff7-4039-93ec-0a2729a154a8
                - cb69481e8ff7403993ec0a2729a154a8   # <--
            """, code: .badAAGUID),
        BadPolicy(label: "an AAGUID with a letter that is not hex", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/yubico-u2f-root.pem]
              aaguids: [cb69481e-8ff7-4039-93ec-0a2729a154ag]   # <--
            """, code: .badAAGUID),
        BadPolicy(label: "the all-zero AAGUID", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/yubico-u2f-root.pem]
              aaguids: [00000000-0000-0000-0000-000000000000]   # <--
            """, code: .badAAGUID),
        BadPolicy(label: "aaguids without attestation roots", file: "authenticators.yaml", text: """
            authenticators:
              aaguids: [cb69481e-8ff7-4039-93ec-0a2729a154a8]   # <--
            """, code: .missingKey),
        BadPolicy(label: "a root file that does not exist", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots:
                - roots/yubico-u2f-root.pem
                - roots/feitian.pem   # <--
            """, code: .unreadable),
        BadPolicy(label: "a root file that is not PEM", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/garbage.pem]   # <--
            """, code: .badCertificate, extraFiles: ["roots/garbage.pem": "this is not a certificate\n"]),
        BadPolicy(label: "a PEM block that is not base64", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/broken.pem]   # <--
            """, code: .badCertificate, extraFiles: ["roots/broken.pem": "-----BEGIN CERTIFICATE-----\nMIID*HjCC\n-----END CERTIFICATE-----\n"]),
        BadPolicy(label: "a PEM certificate block whose DER is not a certificate", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/short.pem]   # <--
            """, code: .badCertificate, extraFiles: ["roots/short.pem": notACertificate]),
        BadPolicy(label: "a block shaped like a certificate whose fields are empty", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/hollow.pem]   # <--
            """, code: .badCertificate, extraFiles: ["roots/hollow.pem": hollowCertificate]),
        BadPolicy(label: "a PEM file without its END line", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/cut.pem]   # <--
            """, code: .badCertificate, extraFiles: ["roots/cut.pem": String(yubicoRootPEM.prefix(300))]),
        BadPolicy(label: "a private key where a root belongs", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/key.pem]   # <--
            """, code: .badCertificate, extraFiles: ["roots/key.pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]),
        BadPolicy(label: "a root that is not a .pem file", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [deploy.yaml]   # <--
            """, code: .badValue),
        BadPolicy(label: "an absolute root path", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [/etc/ssl/certs/root.pem]   # <--
            """, code: .badValue),
        BadPolicy(label: "a root path that climbs out of the directory", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/../../root.pem]   # <--
            """, code: .badValue),
        BadPolicy(label: "a root file over the size bound", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: [roots/huge.pem]   # <--
            """, code: .fileTooLarge, extraFiles: ["roots/huge.pem": String(repeating: "# padding\n", count: 7_000) + yubicoRootPEM]),
        BadPolicy(label: "an empty list of roots", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: []   # <--
            """, code: .badValue),
        BadPolicy(label: "a root listed twice", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots:
                - roots/yubico-u2f-root.pem
                - roots/yubico-u2f-root.pem   # <--
            """, code: .badValue),
        BadPolicy(label: "an anchor, refused as in every policy file", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: &roots [roots/yubico-u2f-root.pem]   # <--
            """, code: .unsupportedYAML),
        BadPolicy(label: "roots given as one text instead of a list", file: "authenticators.yaml", text: """
            authenticators:
              attestation_roots: roots/yubico-u2f-root.pem   # <--
            """, code: .badValue),
        BadPolicy(label: "an authenticators section in a rules file", file: "ssh.yaml", text: """
            authenticators:   # <--
              attestation_roots: [roots/yubico-u2f-root.pem]
            """, code: .unknownKey),
    ]

    @Test("each bad authenticators.yaml gives its code at the line that names the problem", arguments: cases)
    func reportsCodeAndLine(_ bad: BadPolicy) throws {
        var files = bad.extraFiles.merging(["roots/yubico-u2f-root.pem": Self.yubicoRootPEM, "deploy.yaml": PolicyFixture.stagingRule]) { mine, _ in mine }
        files[bad.file] = bad.text
        let fixture = try PolicyFixture.withGroups(files)
        defer { fixture.remove() }
        let line = try #require(fixture.markedLine(in: bad.file))

        let diagnostics = fixture.loadDiagnostics()
        #expect(diagnostics.contains { $0.isError }, "load accepted it")
        let found = diagnostics.first { $0.code == bad.code && $0.file == bad.file && $0.line == line }
        #expect(found != nil, "wanted \(bad.code.rawValue) at \(bad.file):\(line), got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        #expect(PolicyLinter.lint(fixture.url).contains { $0.code == bad.code && $0.file == bad.file && $0.line == line })
    }

    @Test("messages say what to do: the key meant, why AAGUIDs need roots, that a private key has no place here")
    func messages() throws {
        func message(_ text: String, extra: [String: String] = [:]) throws -> String {
            let fixture = try Self.fixture(text, roots: extra.merging(["roots/yubico-u2f-root.pem": Self.yubicoRootPEM]) { mine, _ in mine })
            defer { fixture.remove() }
            return fixture.loadDiagnostics().filter(\.isError).map(\.description).joined(separator: "\n")
        }
        #expect(try message("authenticators:\n  attestation_root: [roots/yubico-u2f-root.pem]\n").contains("did you mean 'attestation_roots'?"))
        #expect(try message("authenticators:\n  aaguids: [\(Self.yubiKey5)]\n").contains("only its own claim"))
        #expect(try message("authenticators:\n  attestation_roots: [roots/key.pem]\n", extra: ["roots/key.pem": "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"]).contains("private key"))
        #expect(try message("authenticators:\n  attestation_roots: [roots/missing.pem]\n").contains("roots/missing.pem does not exist"))
    }

    @Test("an empty file or an empty section restricts nothing, with a warning")
    func emptyRestrictsNothing() throws {
        for text in ["# nothing yet\n", "authenticators: {}\n"] {
            let fixture = try Self.fixture(text)
            defer { fixture.remove() }
            let loaded = try PolicyDirectory.load(fixture.url)
            #expect(loaded.policy.authenticators == .unrestricted)
            #expect(loaded.warnings.map(\.code) == [.emptyFile], "\(text)")
        }
    }

    @Test("a symbolic link from roots/ to a file outside the directory is refused")
    func symlinkEscape() throws {
        let outside = try PolicyFixture(["root.pem": Self.yubicoRootPEM])
        let fixture = try Self.fixture("authenticators:\n  attestation_roots: [roots/linked.pem]\n", roots: ["roots/": ""])
        defer { outside.remove(); fixture.remove() }
        try FileManager.default.createSymbolicLink(
            atPath: fixture.url.appendingPathComponent("roots/linked.pem").path, withDestinationPath: outside.url.appendingPathComponent("root.pem").path
        )
        #expect(fixture.loadDiagnostics().contains { $0.code == .symlinkEscape && $0.file == "authenticators.yaml" && $0.line == 2 })
    }
}
