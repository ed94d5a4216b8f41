import Foundation
import Logging
import NIOSSL
import PingshenCore
import PostgresNIO

/// The server's store on PostgreSQL (postgres-nio's connection pool). A secretariat running many panels,
/// or several server instances behind a load balancer, points them all at one database: every write
/// transaction first locks the one server_state row, so that change sequence numbers are handed out in
/// commit order (a pull cursor never skips a change committed late) and the audit chain stays linear.
public final class PostgresDatabase: SQLDatabase, @unchecked Sendable {
    public let dialect = SQLDialect.postgres
    let client: PostgresClient
    let runTask: Task<Void, Never>
    let logger: Logger

    /// Connects to `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`.
    public init(url: String, logger: Logger = Logger(label: "pingshen.postgres")) throws {
        let config = try PostgresDatabase.configuration(url)
        self.client = PostgresClient(configuration: config)
        self.logger = logger
        let client = self.client
        self.runTask = Task { await client.run() }
    }

    static func configuration(_ text: String) throws -> PostgresClient.Configuration {
        guard let comps = URLComponents(string: text), let scheme = comps.scheme,
              scheme == "postgres" || scheme == "postgresql", let host = comps.host, !host.isEmpty else {
            throw PingshenError("server.postgres_url", [text])
        }
        let user = comps.user ?? "postgres"
        let database = comps.path.hasPrefix("/") ? String(comps.path.dropFirst()) : comps.path
        let mode = comps.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw PingshenError("server.postgres_url", [text])
        }
        var config = PostgresClient.Configuration(host: host, port: comps.port ?? 5432, username: user,
                                                  password: comps.password, database: database.isEmpty ? nil : database,
                                                  tls: tls)
        config.options.maximumConnections = 16
        return config
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withConnection { conn in
            let ex = PostgresExecutor(connection: conn, logger: self.logger)
            try await ex.execute("BEGIN", [])
            do {
                let value = try await body(ex)
                try await ex.execute("COMMIT", [])
                return value
            } catch {
                try? await ex.execute("ROLLBACK", [])
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withConnection { conn in
            try await body(PostgresExecutor(connection: conn, logger: self.logger))
        }
    }

    public func close() async throws {
        runTask.cancel()
        _ = await runTask.value
    }
}

struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func bindings(_ binds: [SQLValue]) throws -> PostgresBindings {
        var b = PostgresBindings(capacity: binds.count)
        for v in binds {
            switch v {
            case .null: b.appendNull()
            case .int(let i): try b.append(i)
            case .double(let d): try b.append(d)
            case .text(let t): try b.append(t)
            }
        }
        return b
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let q = PostgresQuery(unsafeSQL: SQLDialect.postgres.placeholders(sql), binds: try bindings(binds))
        let rows = try await connection.query(q, logger: logger).collect()
        var out: [SQLRow] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            var values: [String: SQLValue] = [:]
            for cell in row {
                values[cell.columnName.lowercased()] = try PostgresExecutor.value(cell)
            }
            out.append(SQLRow(values))
        }
        return out
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        let q = PostgresQuery(unsafeSQL: SQLDialect.postgres.placeholders(sql), binds: try bindings(binds))
        _ = try await connection.query(q, logger: logger).collect()
    }

    static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .int(try cell.decode(Int64.self))
        case .int4: return .int(Int64(try cell.decode(Int32.self)))
        case .int2: return .int(Int64(try cell.decode(Int16.self)))
        case .float8: return .double(try cell.decode(Double.self))
        case .float4: return .double(Double(try cell.decode(Float.self)))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric:
            let s = try cell.decode(String.self)
            if let i = Int64(s) { return .int(i) }
            return .double(Double(s) ?? 0)
        default: return .text(try cell.decode(String.self))
        }
    }
}
