import CountersignCore
import CountersignSSH
import Crypto
import Foundation
import Keyring

/// SSH certificates issued per second on one core for a client-supplied public key — the key's
/// line parsed, the core's grant and unit of work, the certificate encoded and signed through the
/// keyring, its fingerprint and its line — beside a bare Ed25519 signing loop over the same bytes
/// (the limit for this code). The store's commit is `countersign-bench-store`'s to measure.
/// Usage: countersign-bench-certificates [seconds per measurement]

/// Runs `body` repeatedly for about `seconds`, returning operations per second.
func rate(seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    var operations = 0
    let start = ContinuousClock.now
    var elapsed = 0.0
    repeat {
        for _ in 0..<200 { try body() }
        operations += 200
        let duration = ContinuousClock.now - start
        elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    } while elapsed < seconds
    return Double(operations) / elapsed
}

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "") ?? 2
let now = Date(timeIntervalSince1970: 1_800_000_000)
let request = AccessRequest(
    restoring: .random(), requester: try Username("bob"),
    target: .ssh(try SSHTarget(host: "web-3.prod.internal", login: "deploy", durationSeconds: 1800)),
    reason: "Restart the stuck worker", ticket: "INC-77", createdAt: now.addingTimeInterval(-120), ruleName: "production-ssh",
    requirement: try ApprovalRequirement(clauses: [try ApprovalClause(count: 1, group: "sre")], hardwareKeyRequired: false),
    certificateTerms: .standard, singleUse: false, pendingExpiresAt: now.addingTimeInterval(3600), accessDurationSeconds: 1800, state: .approved,
    updatedAt: now.addingTimeInterval(-60), approvals: [], denial: nil, accessExpiresAt: now.addingTimeInterval(1740),
    closedBy: nil, closeReason: nil, rolloutStart: nil
)
let authority = try EphemeralKeyring().keySet(for: .sshUserCertificates).signer(at: now)
let clientLine = SSHEd25519PublicKey(Curve25519.Signing.PrivateKey().publicKey).authorizedKeysLine(comment: "bob@laptop")
/// Issues certificates as the gateway's CA does, with serials of its own.
struct Issuer {
    let request: AccessRequest
    let authority: any SigningKey
    let clientLine: String
    var serial: UInt64 = 0

    mutating func issue(at now: Date) throws -> SignedSSHCertificate {
        serial += 1
        let subject = try SSHEd25519PublicKey(authorizedKeysLine: clientLine)
        let grant = try CredentialRules.grant(.sshCertificate, for: request, to: request.requester, lifetime: 3600, at: now)
        let certificate = try SSHCertificate(
            nonce: SSHCertificate.randomNonce(), subjectKey: subject, serial: serial, kind: .user, keyID: "countersign:\(grant.requestID):\(grant.holder)",
            principals: [grant.principal], validAfter: UInt64(grant.validAfter.timeIntervalSince1970),
            validBefore: UInt64(grant.validBefore.timeIntervalSince1970), criticalOptions: [], extensions: [.permitPTY]
        )
        let signed = try certificate.signed(by: authority)
        guard let allocated = CredentialSerial(rawValue: serial) else { fatalError("serial out of range") }
        _ = try CredentialRules.issue(grant, of: request, serial: allocated, fingerprint: signed.digest.hexString, at: now)
        _ = signed.openSSHLine(comment: certificate.keyID)
        return signed
    }
}

var issuer = Issuer(request: request, authority: authority, clientLine: clientLine)

// The bytes the CA signs: the certificate without its trailing signature (a length, the
// algorithm's name and the 64-byte signature, each length-prefixed: 4 + 4 + 11 + 4 + 64).
let sample = try issuer.issue(at: now)
let signedBytes = Array(sample.blob.dropLast(4 + 4 + 11 + 4 + 64))
let bareKey = Curve25519.Signing.PrivateKey()
_ = try rate(seconds: 0.5) { _ = try bareKey.signature(for: signedBytes) }

let issued = try rate(seconds: seconds) { _ = try issuer.issue(at: now) }
let bare = try rate(seconds: seconds) { _ = try bareKey.signature(for: signedBytes) }
print(String(format: "certificates_per_s=%.0f ed25519_signs_per_s=%.0f ratio=%.2f goal=0.80 bytes_signed=%d", issued, bare, issued / bare, signedBytes.count))
