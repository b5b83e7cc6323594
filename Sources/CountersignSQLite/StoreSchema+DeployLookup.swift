import GRDB

extension StoreSchema {
    /// The deploy gate looks deploy requests up by their exact target: indexed by the target's
    /// JSON fields, so that a check costs the same with a million requests as with ten.
    static func addDeployLookup(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX requests_by_deploy_target ON requests (
                json_extract(target, '$.service'), json_extract(target, '$.environment'), json_extract(target, '$.commit'),
                created_at, id
            ) WHERE kind = 'deploy'
            """)
    }
}
