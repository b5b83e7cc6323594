import CountersignPostgres
import Testing

@Suite("Database URLs")
struct PostgresLocationTests {
    @Test("A full URL gives every part; the password is used but never shown")
    func fullURL() throws {
        let location = try PostgresLocation(url: "postgres://gateway:s%40cret@DB.example.internal:6432/countersign?sslmode=require")
        #expect(location.host == "DB.example.internal")
        #expect(location.port == 6432)
        #expect(location.username == "gateway")
        #expect(location.database == "countersign")
        #expect(location.tlsMode == .require)
        #expect(location.clientConfiguration.password == "s@cret")
        #expect(!location.description.contains("s@cret") && !location.description.contains("s%40cret"))
        #expect(location.description == "postgres://gateway@DB.example.internal:6432/countersign?sslmode=require")
    }

    @Test(
        "Without sslmode a password never crosses a network in clear: verify-full, except on loopback",
        arguments: [
            ("postgres://u@db.example.internal/d", PostgresLocation.TLSMode.verifyFull),
            ("postgresql://u@10.0.0.5/d", .verifyFull),
            ("postgres://u@127.evil.example/d", .verifyFull),
            ("postgres://u@localhost/d", .disable),
            ("postgres://u@127.0.0.1:5433/d", .disable),
            ("postgres://u@[::1]/d", .disable),
            ("postgres://u@db.example.internal/d?sslmode=disable", .disable),
        ]
    )
    func defaultTLS(url: String, mode: PostgresLocation.TLSMode) throws {
        #expect(try PostgresLocation(url: url).tlsMode == mode)
    }

    @Test(
        "Malformed URLs are refused with a reason that never repeats the URL",
        arguments: [
            ("mysql://u:hunter2@h/d", PostgresLocationError.scheme),
            ("postgres://:hunter2@h/d", .missing("a user name")),
            ("postgres://u:hunter2@/d", .missing("a host")),
            ("postgres://u:hunter2@h", .missing("a database name, as the path: postgres://USER@HOST/DATABASE")),
            ("postgres://u:hunter2@h/d/e", .missing("a database name, as the path: postgres://USER@HOST/DATABASE")),
            ("postgres://u:hunter2@h:0/d", .port),
            ("postgres://u:hunter2@h/d?sslmode=verify-ca", .sslMode),
            ("postgres://u:hunter2@h/d?password=hunter2", .unknownParameter("password")),
            ("not a url at all hunter2", .notAURL),
            ("postgres://u:hunter2@h/" + String(repeating: "d", count: 2048), .tooLong),
        ]
    )
    func refusals(url: String, error: PostgresLocationError) {
        #expect(throws: error) { try PostgresLocation(url: url) }
        #expect(!error.description.contains("hunter2"))
    }
}
