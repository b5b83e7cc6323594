import CountersignCore
import CountersignStore
import Foundation
import Testing

/// The JSON columns of a request row (its target and requirement, an approver's groups) as every
/// writer may have spelt them: `StoredJSON`, SQLite's `json_object` in a migration, PostgreSQL.
/// Any valid spelling of the same value restores; anything two readers could read differently,
/// or that is not the shape the store writes, is `corrupt_row`.
@Suite("Reading the stored JSON columns")
struct StoredJSONReadingTests {
    static let now = Date(millisecondsSinceEpoch: 1_800_000_000_000)

    struct Spelling: CustomTestStringConvertible, Sendable {
        let testDescription: String
        let target: String
        init(_ description: String, _ target: String) {
            testDescription = description
            self.target = target
        }
    }

    static let commit = "0123456789abcdef0123456789abcdef01234567"

    static let sameTarget: [Spelling] = [
        Spelling("canonical", #"{"commit":"\#(commit)","environment":"prod","service":"payments"}"#),
        Spelling("keys in another order", #"{"service":"payments","commit":"\#(commit)","environment":"prod"}"#),
        Spelling("whitespace between tokens", " {\n\t\"commit\" : \"\(commit)\" ,\r\n \"environment\":\"prod\", \"service\":\"payments\"} "),
        Spelling("escaped letters", #"{"commit":"\#(commit)","environment":"\u0070rod","service":"p\u0061yments"}"#),
    ]

    static let damagedTargets: [Spelling] = [
        Spelling("a key twice, the second one different", #"{"commit":"\#(commit)","environment":"staging","environment":"prod","service":"payments"}"#),
        Spelling("a value that is not a string", #"{"commit":"\#(commit)","environment":"prod","service":7}"#),
        Spelling("text after the object", #"{"commit":"\#(commit)","environment":"prod","service":"payments"}x"#),
        Spelling("a trailing comma", #"{"commit":"\#(commit)","environment":"prod","service":"payments",}"#),
        Spelling("an unterminated string", #"{"commit":"\#(commit)","environment":"prod","service":"payments}"#),
        Spelling("a raw control character in a string", "{\"commit\":\"\(commit)\",\"environment\":\"pr\u{1}od\",\"service\":\"payments\"}"),
        Spelling("an unknown escape", #"{"commit":"\#(commit)","environment":"\prod","service":"payments"}"#),
        Spelling("a lone surrogate", #"{"commit":"\#(commit)","environment":"\ud800","service":"payments"}"#),
        Spelling("a list instead of an object", #"["payments"]"#),
        Spelling("nothing", ""),
        Spelling("longer than any row the gateway writes", #"{"commit":"\#(commit)","environment":"prod","service":"payments","padding":"\#(String(repeating: "x", count: 70_000))"}"#),
    ]

    static func stored() throws -> StoredRequest {
        try StoredRequest(try ContractFixtures.deploy(at: now))
    }

    @Test("a target spelt any valid way restores to the same request", arguments: sameTarget)
    func sameTargetRestores(_ spelling: Spelling) throws {
        let request = try ContractFixtures.deploy(at: Self.now)
        var stored = try StoredRequest(request)
        stored.target = spelling.target
        #expect(try stored.restore(approvals: [], grant: nil) == request)
    }

    @Test("a target that is not one JSON object of strings is a corrupt row", arguments: damagedTargets)
    func damagedTarget(_ spelling: Spelling) throws {
        var stored = try Self.stored()
        stored.target = spelling.target
        let error = #expect(throws: StoreError.self) { _ = try stored.restore(approvals: [], grant: nil) }
        #expect(error?.code == .corruptRow)
        #expect(error?.message.contains("target") == true)
    }

    @Test("escapes decode to the characters they stand for, outside the BMP too")
    func escapesDecode() throws {
        let approval = Approval(approver: try ContractFixtures.user("carol"), groups: ["sre\"ops", "dba\\1", "ops\u{1F512}"], at: Self.now, method: .session)
        var stored = StoredApproval(approval, of: RequestID.random(), at: 0)
        #expect(try stored.restore() == approval, "as StoredJSON writes them")
        stored.approverGroups = #"[ "ops\ud83d\udd12", "sre\u0022ops" , "dba\\1" ]"#
        #expect(try stored.restore() == approval, "as another writer may")
    }

    @Test("groups that are not one list of strings are a corrupt row", arguments: [
        #"["sre",]"#, #"["sre"]]"#, #"[sre]"#, #"{"sre":"sre"}"#, #"["sre",1]"#, #"[null]"#,
    ])
    func damagedGroups(_ groups: String) throws {
        let approval = Approval(approver: try ContractFixtures.user("carol"), groups: ["sre"], at: Self.now, method: .session)
        var stored = StoredApproval(approval, of: RequestID.random(), at: 0)
        stored.approverGroups = groups
        let error = #expect(throws: StoreError.self) { _ = try stored.restore() }
        #expect(error?.code == .corruptRow)
    }

    @Test("a requirement spelt another valid way restores to the same request")
    func requirementSpellings() throws {
        let request = try ContractFixtures.deploy(at: Self.now)
        var stored = try StoredRequest(request)
        let clauses = request.requirement.clauses.map { #"{ "group" : "\#($0.group)", "count" : \#($0.count) }"# }
        stored.requirement = #"{"hardware_key_required": \#(request.requirement.hardwareKeyRequired), "clauses": [\#(clauses.joined(separator: ", "))]}"#
        #expect(try stored.restore(approvals: [], grant: nil) == request)
    }

    @Test("a requirement of another shape is a corrupt row", arguments: [
        #"{"clauses":[{"count":1,"group":"sre"}]}"#,
        #"{"clauses":[{"count":1,"group":"sre"}],"hardware_key_required":false,"hardware_key_required":true}"#,
        #"{"clauses":[{"count":1,"group":"sre"}],"hardware_key_required":"yes"}"#,
        #"{"clauses":[{"count":1,"group":"sre","extra":1}],"hardware_key_required":false}"#,
        #"{"clauses":[{"count":1,"count":2,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[],"clauses":[{"count":1,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[{"count":1,"group":"sre"}],"hardware_key_required":false,"bypass":true}"#,
        #"{"clauses":[{"count":1.5,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[{"count":1e1,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[{"count":-1,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[{"count":01,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[{"count":99999999999999999999,"group":"sre"}],"hardware_key_required":false}"#,
        #"{"clauses":[{"group":"sre"}],"hardware_key_required":false}"#,
    ])
    func damagedRequirement(_ requirement: String) throws {
        var stored = try Self.stored()
        stored.requirement = requirement
        let error = #expect(throws: StoreError.self) { _ = try stored.restore(approvals: [], grant: nil) }
        #expect(error?.code == .corruptRow)
        #expect(error?.message.contains("requirement") == true)
    }
}
