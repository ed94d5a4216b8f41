import Foundation

/// A value in a row or a bind. The server's schema uses only these four (booleans are 0/1 integers) so that
/// the same statements run on SQLite and PostgreSQL.
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .text(let t): return t
        }
    }

    var string: String? {
        switch self {
        case .text(let t): return t
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .null: return nil
        }
    }

    var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        case .text(let t): return Int64(t)
        case .null: return nil
        }
    }

    var double: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        case .text(let t): return Double(t)
        case .null: return nil
        }
    }

    var bool: Bool { (int ?? 0) != 0 }
}

/// Builds a bind from an optional Swift value.
func sql(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
func sql(_ i: Int64?) -> SQLValue { i.map { .int($0) } ?? .null }
func sql(_ i: Int?) -> SQLValue { i.map { .int(Int64($0)) } ?? .null }
func sql(_ d: Double?) -> SQLValue { d.map { .double($0) } ?? .null }
func sql(_ b: Bool) -> SQLValue { .int(b ? 1 : 0) }

/// One result row: values by lower-case column name.
public struct SQLRow: Sendable {
    public var values: [String: SQLValue]
    public init(_ values: [String: SQLValue]) { self.values = values }
    subscript(_ column: String) -> SQLValue { values[column] ?? .null }
    func text(_ c: String) -> String? { self[c].string }
    func int(_ c: String) -> Int64? { self[c].int }
    func double(_ c: String) -> Double? { self[c].double }
    func bool(_ c: String) -> Bool { self[c].bool }
}

/// What differs between the two SQL dialects the server speaks. Statements are written once with `?`
/// placeholders; PostgreSQL gets `$1, $2, …`.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres

    /// Row lock taken on the server_state row at the start of every write transaction (PostgreSQL). On
    /// SQLite a write transaction (BEGIN IMMEDIATE) is already exclusive.
    var forUpdate: String { self == .postgres ? " FOR UPDATE" : "" }

    /// The schema's DDL with the dialect's types.
    func ddl(_ text: String) -> String {
        switch self {
        case .sqlite:
            return text.replacingOccurrences(of: "{INT}", with: "INTEGER").replacingOccurrences(of: "{REAL}", with: "REAL")
        case .postgres:
            return text.replacingOccurrences(of: "{INT}", with: "BIGINT").replacingOccurrences(of: "{REAL}", with: "DOUBLE PRECISION")
        }
    }

    /// Rewrites `?` placeholders to `$n` for PostgreSQL. The server's statements hold no `?` in literals.
    func placeholders(_ sql: String) -> String {
        guard self == .postgres else { return sql }
        var out = ""
        out.reserveCapacity(sql.count + 16)
        var n = 0
        for ch in sql {
            if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }
}

/// A statement executor inside one transaction (or one read).
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
    func execute(_ sql: String, _ binds: [SQLValue]) async throws
}

extension SQLExecutor {
    func one(_ sql: String, _ binds: [SQLValue] = []) async throws -> SQLRow? {
        try await query(sql, binds).first
    }
}

/// A database the server stores into: SQLite (GRDB) or PostgreSQL (postgres-nio).
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in a write transaction: serialized with every other write transaction of this server
    /// (and, on PostgreSQL, of every server on the same database, through the server_state row lock that
    /// the body takes first). Rolled back when `body` throws.
    func write<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs read-only statements (each statement sees a consistent state).
    func read<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    func close() async throws
}

/// Errors of the storage layer that are the server's own fault or the database's.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
