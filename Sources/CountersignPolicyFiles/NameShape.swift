import CountersignCore

/// The shape of rule and group names (a-z, 0-9, '.', '_', '-'; at most 64), asked of the core so
/// that a name the policy file accepts is exactly a name the core accepts.
enum NameShape {
    static let description = "1 to 64 characters of a-z, 0-9, '.', '_' or '-'"

    static func isValid(_ name: String) -> Bool {
        // The core checks group names when it builds a clause; it has no public check of its own.
        (try? ApprovalClause(count: 1, group: name)) != nil
    }
}
