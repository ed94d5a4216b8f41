import Foundation
import GRDB

/// The server's store in one SQLite file (GRDB, WAL). Write transactions are serialized by an async lock
/// and run as BEGIN IMMEDIATE … COMMIT on the pool's writer connection; reads use the pool's readers.
public final class SQLiteDatabase: SQLDatabase, @unchecked Sendable {
    public let dialect = SQLDialect.sqlite
    let pool: DatabasePool
    let lock = AsyncLock()

    public init(path: String) throws {
        var config = Configuration()
        // The transaction spans several writer accesses (one per statement, so that the body can be async);
        // the async lock guarantees nobody else uses the writer in between.
        config.allowsUnsafeTransactions = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: config)
    }

    public func write<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await lock.withLock {
            let ex = SQLiteExecutor(pool: pool, writer: true)
            try await ex.execute("BEGIN IMMEDIATE", [])
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
        try await body(SQLiteExecutor(pool: pool, writer: false))
    }

    public func close() async throws {
        try pool.close()
    }
}

struct SQLiteExecutor: SQLExecutor {
    let pool: DatabasePool
    let writer: Bool
    var dialect: SQLDialect { .sqlite }

    static func arguments(_ binds: [SQLValue]) -> StatementArguments {
        StatementArguments(binds.map { v -> (any DatabaseValueConvertible)? in
            switch v {
            case .null: return nil
            case .int(let i): return i
            case .double(let d): return d
            case .text(let t): return t
            }
        })
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let run = { (db: Database) throws -> [SQLRow] in
            // The server's queries are a fixed set: prepared once per connection.
            let statement = try db.cachedStatement(sql: sql)
            let rows = try Row.fetchAll(statement, arguments: SQLiteExecutor.arguments(binds))
            return rows.map { row in
                var values: [String: SQLValue] = [:]
                for (column, dbValue) in row {
                    let v: SQLValue
                    switch dbValue.storage {
                    case .null: v = .null
                    case .int64(let i): v = .int(i)
                    case .double(let d): v = .double(d)
                    case .string(let s): v = .text(s)
                    case .blob(let b): v = .text(String(decoding: b, as: UTF8.self))
                    }
                    values[column.lowercased()] = v
                }
                return SQLRow(values)
            }
        }
        return try syncAccess(run)
    }

    func execute(_ sql: String, _ binds: [SQLValue]) async throws {
        guard writer else { throw StorageError("write statement outside a write transaction: \(sql)") }
        try syncAccess { db in
            if binds.count <= 32 {
                // Single-row statements repeat: prepared once. Multi-row inserts vary in shape: not cached.
                try db.cachedStatement(sql: sql).execute(arguments: SQLiteExecutor.arguments(binds))
            } else {
                try db.execute(sql: sql, arguments: SQLiteExecutor.arguments(binds))
            }
        }
    }

    /// One synchronous access (microseconds for the server's statements): the writer inside a transaction
    /// that the async lock holds, or a pooled reader.
    private func syncAccess<T>(_ run: (Database) throws -> T) throws -> T {
        // A read is one statement (atomic by itself): no transaction around it.
        writer ? try pool.writeWithoutTransaction(run) : try pool.unsafeRead(run)
    }
}

/// A FIFO async mutex.
actor AsyncLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    nonisolated func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        do {
            let v = try await body()
            await release()
            return v
        } catch {
            await release()
            throw error
        }
    }
}
