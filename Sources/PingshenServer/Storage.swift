import Foundation
import PingshenAudit
import PingshenCore
import PingshenWire

/// A refusal the HTTP layer turns into a status code and an ErrorBody.
public struct APIError: Error, Sendable {
    public var status: Int
    public var key: String
    public var args: [String]
    public var refused: [ChangeResult]?
    public init(_ status: Int, _ key: String, _ args: [String] = [], refused: [ChangeResult]? = nil) {
        self.status = status
        self.key = key
        self.args = args
        self.refused = refused
    }
}

/// Who is calling, from their token.
public struct Principal: Sendable, Equatable {
    public var role: PanelRole
    public var panel: String?
    public var reviewer: String?
    public var device: String
    public var expiresAt: Date

    /// How the audit log names the caller.
    public var actor: String {
        switch role {
        case .admin: return "admin:\(reviewer ?? "-")@\(device)"
        case .chair: return "chair:\(panel ?? "-")/\(reviewer ?? "-")@\(device)"
        case .reviewer: return "reviewer:\(panel ?? "-")/\(reviewer ?? "-")@\(device)"
        }
    }

    public func isChair(of panel: String) -> Bool {
        role == .admin || (role == .chair && self.panel == panel)
    }

    public func isMember(of panel: String) -> Bool {
        role == .admin || self.panel == panel
    }
}

/// A stored panel.
public struct PanelRecord: Sendable {
    public var summary: PanelSummary
    public var rubricYaml: String
}

/// An enrolment code to store (only its hash).
public struct EnrolmentRecord: Sendable {
    public var codeHash: String
    public var role: PanelRole
    public var panel: String?
    public var reviewer: String
    public var expiresAt: Date
}

/// What the server needs of a rubric to check a change: its leaves by id.
public struct RubricLeaves: Sendable {
    public var leaves: [String: RubricNode]
    public var pointsLeafIds: [String]
    public init(rubric: Rubric) {
        var map: [String: RubricNode] = [:]
        for leaf in rubric.leaves { map[leaf.id] = leaf }
        leaves = map
        pointsLeafIds = rubric.leaves.filter { $0.input != .value }.map(\.id)
    }
}

/// The server's storage: the same semantics on every backend.
public protocol ServerStorage: Sendable {
    var backend: String { get }
    func migrate() async throws
    func addEnrolment(_ e: EnrolmentRecord, actor: String, now: Date) async throws
    func redeem(codeHash: String, tokenHash: String, device: String, tokenExpiresAt: Date, now: Date) async throws -> Principal?
    func principal(tokenHash: String) async throws -> Principal?
    func panels() async throws -> [PanelSummary]
    func panel(_ id: String) async throws -> PanelRecord?
    func putPanel(_ id: String, _ upload: PanelUpload, actor: String, now: Date) async throws -> PanelSummary
    func release(_ id: String, actor: String, now: Date) async throws -> PanelSummary
    func seal(_ id: String, actor: String, now: Date, digest: SealDigest?) async throws -> PanelSummary
    func verifyPanel(_ panel: String) async throws -> PanelVerification?
    /// How many admin codes were ever issued (0 for a new store): `server init` on a live store asks first.
    func adminCodesIssued() async throws -> Int
    func reviewers(_ panel: String) async throws -> [ReviewerInfo]
    func applicants(_ panel: String) async throws -> [WireApplicant]
    func recusals(_ panel: String) async throws -> [Recusal]
    /// Applies a push. `rubric` gives the leaves of the panel's stored rubric (parsed and cached by the caller).
    func apply(panel: String, changes: [Change], principal: Principal, rubric: @escaping @Sendable (PanelRecord) throws -> RubricLeaves,
               now: Date) async throws -> [ChangeResult]
    func pull(panel: String, since: Int64, limit: Int, onlyReviewer: String?) async throws -> (changes: [FeedChange], next: Int64, hasMore: Bool)
    func snapshot(_ panel: String) async throws -> WirePanelSnapshot?
    func verifyAudit() async throws -> AuditVerification
    func close() async throws
}


/// The one implementation of `ServerStorage`, over a `SQLDatabase` (SQLite or PostgreSQL): the same
/// statements, the same transactions, the same semantics.
public final class SQLServerStorage: ServerStorage, @unchecked Sendable {
    let db: any SQLDatabase
    public var backend: String { db.dialect.rawValue }

    public init(_ db: any SQLDatabase) { self.db = db }

    /// Pushes waiting for the next group commit.
    let pushQueue = PushQueue()

    public static func sqlite(path: String) throws -> SQLServerStorage {
        SQLServerStorage(try SQLiteDatabase(path: path))
    }

    public static func postgres(url: String) throws -> SQLServerStorage {
        SQLServerStorage(try PostgresDatabase(url: url))
    }

    public func close() async throws { try await db.close() }

    // MARK: Schema

    static let schemaVersion: Int64 = 2

    /// Upgrades of the schema after version 1, named after their feature.
    static let upgrades: [(version: Int64, statements: [String])] = [
        // One audit format shared with the local store: rows keep the form they were hashed with (0: the
        // server's first form; 2: the shared one). A server seal records the same digests as a local seal.
        (2, ["ALTER TABLE audit ADD COLUMN canon {INT} NOT NULL DEFAULT 0",
             "ALTER TABLE panels ADD COLUMN seal_digest TEXT"]),
    ]

    static let schema: [String] = [
        "CREATE TABLE IF NOT EXISTS schema_version (version {INT} NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS server_state (id {INT} PRIMARY KEY, seq {INT} NOT NULL, audit_id {INT} NOT NULL,
          audit_hash TEXT NOT NULL, server_id TEXT NOT NULL, created_at TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS panels (id TEXT PRIMARY KEY, rubric_id TEXT NOT NULL, rubric_yaml TEXT NOT NULL,
          title TEXT NOT NULL, round TEXT NOT NULL, variant TEXT, method TEXT, quorum {INT}, view TEXT,
          released {INT} NOT NULL DEFAULT 0, sealed_at TEXT, sealed_by TEXT, version {INT} NOT NULL,
          created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS reviewers (panel TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
          position {INT} NOT NULL, PRIMARY KEY (panel, id))
        """,
        """
        CREATE TABLE IF NOT EXISTS applicants (panel TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
          industry TEXT, position {INT} NOT NULL, PRIMARY KEY (panel, id))
        """,
        """
        CREATE TABLE IF NOT EXISTS applicant_data (panel TEXT NOT NULL, applicant TEXT NOT NULL, key TEXT NOT NULL,
          value {REAL} NOT NULL, PRIMARY KEY (panel, applicant, key))
        """,
        """
        CREATE TABLE IF NOT EXISTS recusals (panel TEXT NOT NULL, reviewer TEXT NOT NULL, applicant TEXT NOT NULL,
          reason TEXT NOT NULL, PRIMARY KEY (panel, reviewer, applicant))
        """,
        """
        CREATE TABLE IF NOT EXISTS sheet_cells (panel TEXT NOT NULL, reviewer TEXT NOT NULL, applicant TEXT NOT NULL,
          round TEXT NOT NULL, leaf TEXT NOT NULL, points {REAL}, note TEXT, seq {INT} NOT NULL, updated_at TEXT NOT NULL,
          PRIMARY KEY (panel, reviewer, applicant, round, leaf))
        """,
        """
        CREATE TABLE IF NOT EXISTS sheets (panel TEXT NOT NULL, reviewer TEXT NOT NULL, applicant TEXT NOT NULL,
          round TEXT NOT NULL, submitted {INT} NOT NULL, seq {INT} NOT NULL, updated_at TEXT NOT NULL,
          PRIMARY KEY (panel, reviewer, applicant, round))
        """,
        """
        CREATE TABLE IF NOT EXISTS changes (seq {INT} PRIMARY KEY, change_id TEXT NOT NULL UNIQUE, digest TEXT NOT NULL,
          panel TEXT NOT NULL, device TEXT, kind TEXT NOT NULL, reviewer TEXT, applicant TEXT, round TEXT, leaf TEXT,
          value {REAL}, note TEXT, reason TEXT, client_time TEXT, received_at TEXT NOT NULL, status TEXT NOT NULL,
          refusal TEXT, refusal_args TEXT, actor TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS changes_panel_seq ON changes (panel, seq)",
        """
        CREATE TABLE IF NOT EXISTS enrolments (code_hash TEXT PRIMARY KEY, role TEXT NOT NULL, panel TEXT,
          reviewer TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT, created_by TEXT NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS tokens (token_hash TEXT PRIMARY KEY, role TEXT NOT NULL, panel TEXT,
          reviewer TEXT, device TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
          revoked {INT} NOT NULL DEFAULT 0)
        """,
        """
        CREATE TABLE IF NOT EXISTS audit (id {INT} PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, panel TEXT,
          action TEXT NOT NULL, target TEXT, old TEXT, new TEXT, reason TEXT, change_id TEXT,
          prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
        """,
    ]

    public func migrate() async throws {
        let dialect = db.dialect
        try await db.write { tx in
            if dialect == .postgres {
                // Several servers may start at once on one database.
                try await tx.execute("SELECT pg_advisory_xact_lock(7317001)", [])
            }
            for statement in SQLServerStorage.schema {
                try await tx.execute(dialect.ddl(statement), [])
            }
            let v = try await tx.one("SELECT MAX(version) AS v FROM schema_version")?.int("v")
            if let v, v > SQLServerStorage.schemaVersion {
                throw PingshenError("server.schema_newer", [String(v), String(SQLServerStorage.schemaVersion)])
            }
            if v == nil {
                try await tx.execute("INSERT INTO schema_version (version) VALUES (1)", [])
            }
            // Later versions, each once, in order (a store made by an older server is upgraded in place).
            for (version, statements) in SQLServerStorage.upgrades where version > (v ?? 1) {
                for statement in statements { try await tx.execute(dialect.ddl(statement), []) }
                try await tx.execute("UPDATE schema_version SET version = ?", [.int(version)])
            }
            try await tx.execute("""
                INSERT INTO server_state (id, seq, audit_id, audit_hash, server_id, created_at) VALUES (1, 0, 0, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """, [.text(auditGenesisHash), .text(UUID().uuidString.lowercased()), .text(WireCoding.timestamp(Date()))])
        }
    }

    // MARK: Write-transaction state: the change sequence and the audit chain

    /// The server_state row, locked for the rest of the transaction.
    struct Chain {
        var seq: Int64
        var auditId: Int64
        var auditHash: String
    }

    static func lockChain(_ tx: any SQLExecutor) async throws -> Chain {
        guard let row = try await tx.one("SELECT seq, audit_id, audit_hash FROM server_state WHERE id = 1" + tx.dialect.forUpdate),
              let seq = row.int("seq"), let auditId = row.int("audit_id"), let hash = row.text("audit_hash") else {
            throw StorageError("server_state row missing: run `pingshen server init`")
        }
        return Chain(seq: seq, auditId: auditId, auditHash: hash)
    }

    static func saveChain(_ tx: any SQLExecutor, _ c: Chain) async throws {
        try await tx.execute("UPDATE server_state SET seq = ?, audit_id = ?, audit_hash = ? WHERE id = 1",
                             [.int(c.seq), .int(c.auditId), .text(c.auditHash)])
    }

    static let auditInsert = "INSERT INTO audit (id, at, actor, panel, action, target, old, new, reason, change_id, canon, prev_hash, hash) VALUES "

    /// The next audit row of the chain (advancing it), as binds for `auditInsert`. Hashed in the canonical form
    /// shared with the local store (PingshenCore's AuditRecord): the target is the row's entity, the action its field.
    static func auditRow(_ chain: inout Chain, at: String, actor: String, panel: String?, action: String, target: String?,
                         old: String? = nil, new: String? = nil, reason: String? = nil, changeId: String? = nil) -> [SQLValue] {
        var linker = AuditLinker(head: chain.auditHash, position: chain.auditId)
        let (r, prev, hash) = linker.link(AuditRecord(position: 0, panel: panel, at: at, actor: actor, entity: target, field: action,
                                                      old: old, new: new, reason: reason, changeId: changeId))
        chain.auditId = r.position
        chain.auditHash = hash
        return [.int(r.position), .text(at), .text(actor), sql(panel), .text(action), sql(target), sql(old), sql(new),
                sql(reason), sql(changeId), .int(Int64(AuditCanon.shared.rawValue)), .text(prev), .text(hash)]
    }

    /// A stored audit row in the shared canonical form (with the form it was written with).
    static func auditRecord(_ r: SQLRow) -> AuditRecord {
        AuditRecord(position: r.int("id") ?? -1, panel: r.text("panel"), at: r.text("at") ?? "", actor: r.text("actor") ?? "",
                    entity: r.text("target"), field: r.text("action"), old: r.text("old"), new: r.text("new"),
                    reason: r.text("reason"), changeId: r.text("change_id"),
                    canon: r.int("canon").flatMap { AuditCanon(rawValue: Int($0)) } ?? .serverV0)
    }

    static func appendAudit(_ tx: any SQLExecutor, _ chain: inout Chain, at: String, actor: String, panel: String?,
                            action: String, target: String?, old: String? = nil, new: String? = nil,
                            reason: String? = nil, changeId: String? = nil) async throws {
        let row = auditRow(&chain, at: at, actor: actor, panel: panel, action: action, target: target, old: old, new: new,
                           reason: reason, changeId: changeId)
        try await insertMany(tx, auditInsert, rows: [row])
    }

    /// One multi-row INSERT per chunk (`prefix` ends with VALUES; `suffix` e.g. an ON CONFLICT clause).
    static func insertMany(_ tx: any SQLExecutor, _ prefix: String, rows: [[SQLValue]], suffix: String = "") async throws {
        guard let width = rows.first?.count, width > 0 else { return }
        let perStatement = max(1, 16_000 / width)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + perStatement, rows.count)]
            start += chunk.count
            let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
            let sqlText = prefix + Array(repeating: tuple, count: chunk.count).joined(separator: ", ") + suffix
            try await tx.execute(sqlText, chunk.flatMap { $0 })
        }
    }

    public func verifyAudit() async throws -> AuditVerification {
        try await db.read { tx in
            var checker = AuditChainChecker()
            var after: Int64 = 0
            while true {
                let rows = try await tx.query("""
                    SELECT id, at, actor, panel, action, target, old, new, reason, change_id, canon, prev_hash, hash FROM audit
                    WHERE id > ? ORDER BY id LIMIT 2000
                    """, [.int(after)])
                if rows.isEmpty { break }
                for r in rows {
                    let record = SQLServerStorage.auditRecord(r)
                    if !checker.check(record, prevHash: r.text("prev_hash") ?? "", hash: r.text("hash") ?? "") {
                        return AuditVerification(ok: false, rows: checker.rows, firstBadId: record.position, lastHash: checker.prev)
                    }
                    after = record.position
                }
            }
            let state = try await tx.one("SELECT audit_hash, audit_id FROM server_state WHERE id = 1")
            if let s = state, s.text("audit_hash") != checker.prev || s.int("audit_id") != checker.rows {
                return AuditVerification(ok: false, rows: checker.rows, firstBadId: checker.rows + 1, lastHash: checker.prev)
            }
            return AuditVerification(ok: true, rows: checker.rows, firstBadId: nil, lastHash: checker.prev)
        }
    }

    // MARK: Enrolment codes and tokens

    public func adminCodesIssued() async throws -> Int {
        try await db.read { tx in
            Int(try await tx.one("SELECT COUNT(*) AS n FROM enrolments WHERE role = 'admin'")?.int("n") ?? 0)
        }
    }

    public func addEnrolment(_ e: EnrolmentRecord, actor: String, now: Date) async throws {
        try await db.write { tx in
            var chain = try await SQLServerStorage.lockChain(tx)
            let at = WireCoding.timestamp(now)
            try await tx.execute("""
                INSERT INTO enrolments (code_hash, role, panel, reviewer, created_at, expires_at, used_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, NULL, ?)
                """, [.text(e.codeHash), .text(e.role.rawValue), sql(e.panel), .text(e.reviewer), .text(at),
                      .text(WireCoding.timestamp(e.expiresAt)), .text(actor)])
            try await SQLServerStorage.appendAudit(tx, &chain, at: at, actor: actor, panel: e.panel, action: "enrol",
                                                   target: "\(e.role.rawValue):\(e.reviewer)",
                                                   new: "expires \(WireCoding.timestamp(e.expiresAt))")
            try await SQLServerStorage.saveChain(tx, chain)
        }
    }

    public func redeem(codeHash: String, tokenHash: String, device: String, tokenExpiresAt: Date, now: Date) async throws -> Principal? {
        try await db.write { tx in
            var chain = try await SQLServerStorage.lockChain(tx)
            guard let row = try await tx.one("SELECT role, panel, reviewer, expires_at, used_at FROM enrolments WHERE code_hash = ?",
                                             [.text(codeHash)]),
                  row.text("used_at") == nil,
                  let expires = row.text("expires_at").flatMap(WireCoding.parseTimestamp), expires > now,
                  let role = row.text("role").flatMap(PanelRole.init(rawValue:)) else {
                return nil
            }
            let at = WireCoding.timestamp(now)
            try await tx.execute("UPDATE enrolments SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", [.text(at), .text(codeHash)])
            try await tx.execute("""
                INSERT INTO tokens (token_hash, role, panel, reviewer, device, created_at, expires_at, revoked)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0)
                """, [.text(tokenHash), .text(role.rawValue), sql(row.text("panel")), sql(row.text("reviewer")),
                      .text(device), .text(at), .text(WireCoding.timestamp(tokenExpiresAt))])
            let p = Principal(role: role, panel: row.text("panel"), reviewer: row.text("reviewer"), device: device,
                              expiresAt: tokenExpiresAt)
            try await SQLServerStorage.appendAudit(tx, &chain, at: at, actor: p.actor, panel: p.panel, action: "token_issued",
                                                   target: "\(role.rawValue):\(p.reviewer ?? "-")", new: device)
            try await SQLServerStorage.saveChain(tx, chain)
            return p
        }
    }

    public func principal(tokenHash: String) async throws -> Principal? {
        try await db.read { tx in
            guard let row = try await tx.one("SELECT role, panel, reviewer, device, expires_at, revoked FROM tokens WHERE token_hash = ?",
                                             [.text(tokenHash)]),
                  !row.bool("revoked"),
                  let role = row.text("role").flatMap(PanelRole.init(rawValue:)),
                  let expires = row.text("expires_at").flatMap(WireCoding.parseTimestamp) else {
                return nil
            }
            return Principal(role: role, panel: row.text("panel"), reviewer: row.text("reviewer"),
                             device: row.text("device") ?? "", expiresAt: expires)
        }
    }

    // MARK: Panels

    static let panelColumns = """
        p.id, p.rubric_id, p.rubric_yaml, p.title, p.round, p.variant, p.method, p.quorum, p.view, p.released,
        p.sealed_at, p.sealed_by, p.seal_digest, p.version,
        (SELECT COUNT(*) FROM reviewers r WHERE r.panel = p.id) AS n_reviewers,
        (SELECT COUNT(*) FROM applicants a WHERE a.panel = p.id) AS n_applicants
        """

    static func summary(_ r: SQLRow) -> PanelSummary {
        PanelSummary(id: r.text("id") ?? "", title: r.text("title") ?? "", round: r.text("round") ?? "",
                     rubricId: r.text("rubric_id") ?? "", variant: r.text("variant"), method: r.text("method").flatMap(AggregationMethod.init(rawValue:)),
                     quorum: r.int("quorum").map { Int($0) }, view: r.text("view").flatMap(AggregationView.init(rawValue:)), released: r.bool("released"),
                     sealed: r.text("sealed_at") != nil, sealedAt: r.text("sealed_at"), sealedBy: r.text("sealed_by"),
                     sealDigest: r.text("seal_digest"), version: r.int("version") ?? 0, reviewers: Int(r.int("n_reviewers") ?? 0),
                     applicants: Int(r.int("n_applicants") ?? 0))
    }

    static func loadPanel(_ tx: any SQLExecutor, _ id: String) async throws -> PanelRecord? {
        guard let r = try await tx.one("SELECT \(panelColumns) FROM panels p WHERE p.id = ?", [.text(id)]) else { return nil }
        return PanelRecord(summary: summary(r), rubricYaml: r.text("rubric_yaml") ?? "")
    }

    public func panels() async throws -> [PanelSummary] {
        try await db.read { tx in
            try await tx.query("SELECT \(SQLServerStorage.panelColumns) FROM panels p ORDER BY p.id", []).map(SQLServerStorage.summary)
        }
    }

    public func panel(_ id: String) async throws -> PanelRecord? {
        try await db.read { tx in try await SQLServerStorage.loadPanel(tx, id) }
    }

    /// Appends a server-written event (panel_updated, released, sealed) to the change feed.
    static func feedEvent(_ tx: any SQLExecutor, _ chain: inout Chain, panel: String, kind: ChangeKind, actor: String,
                          at: String, reason: String? = nil) async throws -> Int64 {
        chain.seq += 1
        let changeId = "server-" + UUID().uuidString.lowercased()
        try await tx.execute("""
            INSERT INTO changes (seq, change_id, digest, panel, device, kind, reviewer, applicant, round, leaf, value, note,
              reason, client_time, received_at, status, refusal, refusal_args, actor)
            VALUES (?, ?, ?, ?, NULL, ?, NULL, NULL, NULL, NULL, NULL, NULL, ?, NULL, ?, 'applied', NULL, NULL, ?)
            """, [.int(chain.seq), .text(changeId), .text(changeId), .text(panel), .text(kind.rawValue), sql(reason),
                  .text(at), .text(actor)])
        return chain.seq
    }

    public func putPanel(_ id: String, _ upload: PanelUpload, actor: String, now: Date) async throws -> PanelSummary {
        try await db.write { tx in
            var chain = try await SQLServerStorage.lockChain(tx)
            let at = WireCoding.timestamp(now)
            let existing = try await SQLServerStorage.loadPanel(tx, id)
            if let existing {
                if existing.summary.sealed { throw APIError(409, "server.panel.sealed", [id]) }
                if existing.summary.rubricId != upload.rubricId {
                    let n = try await tx.one("SELECT COUNT(*) AS n FROM sheet_cells WHERE panel = ?", [.text(id)])?.int("n") ?? 0
                    if n > 0 { throw APIError(409, "server.panel.rubric_change", [id, existing.summary.rubricId, upload.rubricId]) }
                }
            }
            let version = try await SQLServerStorage.feedEvent(tx, &chain, panel: id, kind: .panelUpdated, actor: actor, at: at)
            if existing != nil {
                try await tx.execute("""
                    UPDATE panels SET rubric_id = ?, rubric_yaml = ?, title = ?, round = ?, variant = ?, method = ?, quorum = ?,
                      view = ?, version = ?, updated_at = ? WHERE id = ?
                    """, [.text(upload.rubricId), .text(upload.rubricYaml), .text(upload.title), .text(upload.round),
                          sql(upload.variant), sql(upload.method?.rawValue), sql(upload.quorum), sql(upload.view?.rawValue), .int(version),
                          .text(at), .text(id)])
                for table in ["reviewers", "applicants", "applicant_data", "recusals"] {
                    try await tx.execute("DELETE FROM \(table) WHERE panel = ?", [.text(id)])
                }
            } else {
                try await tx.execute("""
                    INSERT INTO panels (id, rubric_id, rubric_yaml, title, round, variant, method, quorum, view, released,
                      sealed_at, sealed_by, version, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?)
                    """, [.text(id), .text(upload.rubricId), .text(upload.rubricYaml), .text(upload.title), .text(upload.round),
                          sql(upload.variant), sql(upload.method?.rawValue), sql(upload.quorum), sql(upload.view?.rawValue), .int(version),
                          .text(at), .text(at)])
            }
            for (i, r) in upload.reviewers.enumerated() {
                try await tx.execute("INSERT INTO reviewers (panel, id, name, position) VALUES (?, ?, ?, ?)",
                                     [.text(id), .text(r.id), .text(r.name), .int(Int64(i))])
            }
            for (i, a) in upload.applicants.enumerated() {
                try await tx.execute("INSERT INTO applicants (panel, id, name, industry, position) VALUES (?, ?, ?, ?, ?)",
                                     [.text(id), .text(a.id), .text(a.name), sql(a.industry), .int(Int64(i))])
                for (k, v) in a.data.sorted(by: { $0.key < $1.key }) {
                    try await tx.execute("INSERT INTO applicant_data (panel, applicant, key, value) VALUES (?, ?, ?, ?)",
                                         [.text(id), .text(a.id), .text(k), .double(v)])
                }
            }
            for r in upload.recusals {
                try await tx.execute("INSERT INTO recusals (panel, reviewer, applicant, reason) VALUES (?, ?, ?, ?)",
                                     [.text(id), .text(r.reviewer), .text(r.applicant), .text(r.reason)])
            }
            try await SQLServerStorage.appendAudit(
                tx, &chain, at: at, actor: actor, panel: id, action: existing == nil ? "panel_create" : "panel_replace",
                target: id, old: existing.map { "version \($0.summary.version)" },
                new: "rubric \(upload.rubricId) (sha256 \(sha256Hex(upload.rubricYaml).prefix(16))); round \(upload.round); "
                    + "\(upload.reviewers.count) reviewers; \(upload.applicants.count) applicants; \(upload.recusals.count) recusals")
            try await SQLServerStorage.saveChain(tx, chain)
            guard let stored = try await SQLServerStorage.loadPanel(tx, id) else { throw StorageError("panel \(id) vanished") }
            return stored.summary
        }
    }

    public func release(_ id: String, actor: String, now: Date) async throws -> PanelSummary {
        try await db.write { tx in
            var chain = try await SQLServerStorage.lockChain(tx)
            guard let p = try await SQLServerStorage.loadPanel(tx, id) else { throw APIError(404, "server.panel.not_found", [id]) }
            if p.summary.released { return p.summary }
            let at = WireCoding.timestamp(now)
            _ = try await SQLServerStorage.feedEvent(tx, &chain, panel: id, kind: .released, actor: actor, at: at)
            try await tx.execute("UPDATE panels SET released = 1, updated_at = ? WHERE id = ?", [.text(at), .text(id)])
            try await SQLServerStorage.appendAudit(tx, &chain, at: at, actor: actor, panel: id, action: "release", target: id,
                                                   old: "0", new: "1")
            try await SQLServerStorage.saveChain(tx, chain)
            guard let stored = try await SQLServerStorage.loadPanel(tx, id) else { throw StorageError("panel \(id) vanished") }
            return stored.summary
        }
    }

    /// Seals a panel: every later change is refused. With `digest` (the chair's `inputs:… results:…` from the
    /// panel as the server holds it), the inputs digest is recomputed from the rows and must match (409
    /// otherwise: the chair's view is out of date); the seal then records both, as a local seal does.
    public func seal(_ id: String, actor: String, now: Date, digest: SealDigest?) async throws -> PanelSummary {
        try await db.write { tx in
            var chain = try await SQLServerStorage.lockChain(tx)
            guard let snap = try await SQLServerStorage.loadSnapshot(tx, id, cursor: chain.seq) else {
                throw APIError(404, "server.panel.not_found", [id])
            }
            if snap.panel.sealed { return snap.panel }
            let inputs = SQLServerStorage.inputsDigest(snap)
            if let digest, digest.inputs != inputs {
                throw APIError(409, "server.seal.inputs_differ", [id, digest.inputs, inputs])
            }
            let at = WireCoding.timestamp(now)
            let sealDigest = digest?.text
            _ = try await SQLServerStorage.feedEvent(tx, &chain, panel: id, kind: .sealed, actor: actor, at: at, reason: sealDigest)
            try await tx.execute("UPDATE panels SET sealed_at = ?, sealed_by = ?, seal_digest = ?, updated_at = ? WHERE id = ?",
                                 [.text(at), .text(actor), sql(sealDigest), .text(at), .text(id)])
            try await SQLServerStorage.appendAudit(tx, &chain, at: at, actor: actor, panel: id, action: "seal", target: id,
                                                   new: sealDigest ?? at)
            try await SQLServerStorage.saveChain(tx, chain)
            guard let stored = try await SQLServerStorage.loadPanel(tx, id) else { throw StorageError("panel \(id) vanished") }
            return stored.summary
        }
    }

    public func reviewers(_ panel: String) async throws -> [ReviewerInfo] {
        try await db.read { tx in
            try await tx.query("SELECT id, name FROM reviewers WHERE panel = ? ORDER BY position", [.text(panel)])
                .map { ReviewerInfo(id: $0.text("id") ?? "", name: $0.text("name") ?? "") }
        }
    }

    public func applicants(_ panel: String) async throws -> [WireApplicant] {
        try await db.read { tx in try await SQLServerStorage.loadApplicants(tx, panel) }
    }

    static func loadApplicants(_ tx: any SQLExecutor, _ panel: String) async throws -> [WireApplicant] {
        var list = try await tx.query("SELECT id, name, industry FROM applicants WHERE panel = ? ORDER BY position", [.text(panel)])
            .map { WireApplicant(id: $0.text("id") ?? "", name: $0.text("name") ?? "", industry: $0.text("industry")) }
        var index: [String: Int] = [:]
        for (i, a) in list.enumerated() { index[a.id] = i }
        for r in try await tx.query("SELECT applicant, key, value FROM applicant_data WHERE panel = ?", [.text(panel)]) {
            if let a = r.text("applicant"), let i = index[a], let k = r.text("key"), let v = r.double("value") {
                list[i].data[k] = v
            }
        }
        return list
    }

    public func recusals(_ panel: String) async throws -> [Recusal] {
        try await db.read { tx in try await SQLServerStorage.loadRecusals(tx, panel) }
    }

    static func loadRecusals(_ tx: any SQLExecutor, _ panel: String) async throws -> [Recusal] {
        try await tx.query("SELECT reviewer, applicant, reason FROM recusals WHERE panel = ? ORDER BY reviewer, applicant", [.text(panel)])
            .map { Recusal(reviewer: $0.text("reviewer") ?? "", applicant: $0.text("applicant") ?? "", reason: $0.text("reason") ?? "") }
    }

    // MARK: Changes

    public func apply(panel: String, changes: [Change], principal: Principal, rubric: @escaping @Sendable (PanelRecord) throws -> RubricLeaves,
                      now: Date) async throws -> [ChangeResult] {
        try await pushQueue.submit(PushJob(panel: panel, changes: changes, principal: principal, rubric: rubric, now: now), to: self)
    }

    /// Applies the pushes that queued up while the previous group was being written, in one transaction
    /// (group commit): in arrival order, each with its own outcome. A push refused as a whole (403, 404)
    /// writes nothing and does not affect the others. Every field was validated before the push was queued
    /// (`TextRule.change`); should the shared transaction still fail (a constraint, a database error), it
    /// is rolled back and each push of the group is applied again on its own, in its own transaction, so
    /// that the push at fault fails alone and the others are applied.
    func applyGroup(_ jobs: [PushJob]) async -> [Result<[ChangeResult], any Error>] {
        switch await applyTogether(jobs) {
        case .success(let results): return results
        case .failure(let error) where jobs.count == 1: return [.failure(error)]
        case .failure: break
        }
        var out: [Result<[ChangeResult], any Error>] = []
        out.reserveCapacity(jobs.count)
        for job in jobs {
            switch await applyTogether([job]) {
            case .success(let results): out.append(results.first ?? .failure(StorageError("no result")))
            case .failure(let error): out.append(.failure(error))
            }
        }
        return out
    }

    /// One transaction for `jobs`: each job's outcome, or the error that rolled the transaction back.
    func applyTogether(_ jobs: [PushJob]) async -> Result<[Result<[ChangeResult], any Error>], any Error> {
        do {
            return .success(try await applyInTransaction(jobs))
        } catch {
            return .failure(error)
        }
    }

    func applyInTransaction(_ jobs: [PushJob]) async throws -> [Result<[ChangeResult], any Error>] {
        try await db.write { tx in
            var chain = try await SQLServerStorage.lockChain(tx)
            let group = GroupState()
            // What was received before, by change id (for every push of the group at once).
            let ids = Array(Set(jobs.flatMap { $0.changes.map(\.changeId) }))
            var start = 0
            while start < ids.count {
                let chunk = Array(ids[start..<min(start + 400, ids.count)])
                start += chunk.count
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
                let rows = try await tx.query("""
                    SELECT change_id, digest, status, refusal, refusal_args, seq, received_at FROM changes WHERE change_id IN (\(marks))
                    """, chunk.map { .text($0) })
                for r in rows {
                    guard let id = r.text("change_id") else { continue }
                    group.previous[id] = (r.text("digest") ?? "", SQLServerStorage.storedResult(r))
                }
            }
            try await SQLServerStorage.preloadSheets(tx, jobs, group)
            var out: [Result<[ChangeResult], any Error>] = []
            for job in jobs {
                do {
                    out.append(.success(try await SQLServerStorage.applyOne(tx, job, &chain, group)))
                } catch let e as APIError {
                    out.append(.failure(e))
                }
            }
            try await group.writes.flush(tx)
            try await SQLServerStorage.saveChain(tx, chain)
            return out
        }
    }

    /// What the pushes of one group share: outcomes by change id, sheets as they evolve, rows to write,
    /// and each panel's state.
    final class GroupState: @unchecked Sendable {
        var previous: [String: (digest: String, result: ChangeResult)] = [:]
        var sheets: [String: SheetState] = [:]
        var writes = BatchWrites()
        var panels: [String: (record: PanelRecord, applicants: Set<String>, recused: Set<String>)] = [:]
        let memo = EngineMemo()
    }

    static func applyOne(_ tx: any SQLExecutor, _ job: PushJob, _ chain: inout Chain, _ group: GroupState) async throws -> [ChangeResult] {
        let panel = job.panel
        let principal = job.principal
        let changes = job.changes
        // The handler checked every field already; checked again here (it is cheap) so that no caller of the
        // storage can put text into the shared transaction that would be stored otherwise than hashed.
        for (i, c) in changes.enumerated() { try TextRule.change(c, index: i) }
        let state: (record: PanelRecord, applicants: Set<String>, recused: Set<String>)
        if let cached = group.panels[panel] {
            state = cached
        } else {
            guard let p = try await loadPanel(tx, panel) else { throw APIError(404, "server.panel.not_found", [panel]) }
            let applicantIds = Set(try await tx.query("SELECT id FROM applicants WHERE panel = ?", [.text(panel)]).compactMap { $0.text("id") })
            let recused = Set(try await loadRecusals(tx, panel).map { "\($0.reviewer)\u{1F}\($0.applicant)" })
            state = (p, applicantIds, recused)
            group.panels[panel] = state
        }
        let leaves: RubricLeaves
        do {
            leaves = try job.rubric(state.record)
        } catch {
            throw APIError(500, "server.internal", [])
        }
        let engine = SyncEngine(panel: state.record.summary, rubric: leaves, applicants: state.applicants, principal: principal,
                                memo: group.memo)

        // Authorization of the new changes, before anything is applied: all of the push or none of it.
        var forbidden: [ChangeResult] = []
        for c in changes where group.previous[c.changeId] == nil {
            if c.reviewer != principal.reviewer {
                forbidden.append(ChangeResult(changeId: c.changeId, status: .refused, reason: "server.change.other_reviewer",
                                              args: [c.reviewer]))
            } else if state.recused.contains("\(c.reviewer)\u{1F}\(c.applicant)") {
                forbidden.append(ChangeResult(changeId: c.changeId, status: .refused, reason: "server.change.recused",
                                              args: [c.reviewer, c.applicant]))
            }
        }
        if !forbidden.isEmpty {
            throw APIError(403, forbidden[0].reason ?? "server.forbidden", forbidden[0].args ?? [], refused: forbidden)
        }

        var results: [ChangeResult] = []
        results.reserveCapacity(changes.count)
        let at = WireCoding.timestamp(job.now)
        for c in changes {
            let digest = SyncEngine.digest(c)
            if let prev = group.previous[c.changeId] {
                if prev.digest == digest {
                    var r = prev.result
                    r.replayed = true
                    results.append(r)
                } else {
                    results.append(ChangeResult(changeId: c.changeId, status: .refused, reason: "server.change.id_reused",
                                                args: [c.changeId]))
                }
                continue
            }
            let key = "\(panel)\u{1F}\(c.reviewer)\u{1F}\(c.applicant)\u{1F}\(c.round)"
            var sheet: SheetState
            if let s = group.sheets[key] {
                sheet = s
            } else {
                sheet = try await loadSheet(tx, panel: panel, reviewer: c.reviewer, applicant: c.applicant, round: c.round)
            }
            chain.seq += 1
            let seq = chain.seq
            let outcome = engine.evaluate(c, sheet: sheet)
            var result = ChangeResult(changeId: c.changeId, status: .applied, seq: seq, receivedAt: at)
            if case .refused(let reason, let args) = outcome {
                result.status = .refused
                result.reason = reason
                result.args = args
            }
            let argsText: String? = result.args.map { String(decoding: (try? JSONEncoder().encode($0)) ?? Data("[]".utf8), as: UTF8.self) }
            group.writes.changes.append([.int(seq), .text(c.changeId), .text(digest), .text(panel), .text(c.device), .text(c.kind.rawValue),
                                         .text(c.reviewer), .text(c.applicant), .text(c.round), sql(c.leaf), sql(c.value), sql(c.note),
                                         sql(c.reason), .text(c.clientTime), .text(at), .text(result.status.rawValue), sql(result.reason),
                                         sql(argsText), .text(principal.actor)])
            group.previous[c.changeId] = (digest, result)
            if case .apply(let effect) = outcome {
                group.writes.add(effect, panel: panel, change: c, seq: seq, at: at)
                effect.applyTo(&sheet)
                group.writes.audit.append(auditRow(
                    &chain, at: at, actor: principal.actor, panel: panel, action: c.kind.rawValue,
                    target: "\(c.reviewer)/\(c.applicant)/\(c.round)" + (c.leaf.map { "/\($0)" } ?? ""),
                    old: effect.old, new: effect.new, reason: c.reason, changeId: c.changeId))
            }
            group.sheets[key] = sheet
            results.append(result)
        }
        return results
    }

    /// A push's rows, written with a few multi-row statements at the end of its transaction. Cells and
    /// sheets keep only their last write of the batch (the batch is applied in order, last one wins).
    struct BatchWrites {
        var changes: [[SQLValue]] = []
        var audit: [[SQLValue]] = []
        var points: [String: [SQLValue]] = [:]
        var notes: [String: [SQLValue]] = [:]
        var submitted: [String: [SQLValue]] = [:]

        mutating func add(_ effect: SheetEffect, panel: String, change c: Change, seq: Int64, at: String) {
            let base: [SQLValue] = [.text(panel), .text(c.reviewer), .text(c.applicant), .text(c.round)]
            let sheetKey = "\(panel)\u{1F}\(c.reviewer)\u{1F}\(c.applicant)\u{1F}\(c.round)"
            switch effect.kind {
            case .points(let leaf, let value):
                points[sheetKey + "\u{1F}" + leaf] = base + [.text(leaf), sql(value), .null, .int(seq), .text(at)]
            case .note(let leaf, let text):
                notes[sheetKey + "\u{1F}" + leaf] = base + [.text(leaf), .null, sql(text), .int(seq), .text(at)]
            case .submitted(let flag):
                submitted[sheetKey] = base + [sql(flag), .int(seq), .text(at)]
            }
        }

        func flush(_ tx: any SQLExecutor) async throws {
            let cellInsert = "INSERT INTO sheet_cells (panel, reviewer, applicant, round, leaf, points, note, seq, updated_at) VALUES "
            let newer = "seq = CASE WHEN excluded.seq > sheet_cells.seq THEN excluded.seq ELSE sheet_cells.seq END, updated_at = excluded.updated_at"
            try await insertMany(tx, """
                INSERT INTO changes (seq, change_id, digest, panel, device, kind, reviewer, applicant, round, leaf, value, note,
                  reason, client_time, received_at, status, refusal, refusal_args, actor) VALUES
                """, rows: changes)
            try await insertMany(tx, cellInsert, rows: points.keys.sorted().compactMap { points[$0] },
                                 suffix: " ON CONFLICT (panel, reviewer, applicant, round, leaf) DO UPDATE SET points = excluded.points, \(newer)")
            try await insertMany(tx, cellInsert, rows: notes.keys.sorted().compactMap { notes[$0] },
                                 suffix: " ON CONFLICT (panel, reviewer, applicant, round, leaf) DO UPDATE SET note = excluded.note, \(newer)")
            try await insertMany(tx, "INSERT INTO sheets (panel, reviewer, applicant, round, submitted, seq, updated_at) VALUES ",
                                 rows: submitted.keys.sorted().compactMap { submitted[$0] },
                                 suffix: " ON CONFLICT (panel, reviewer, applicant, round) DO UPDATE SET submitted = excluded.submitted, seq = excluded.seq, updated_at = excluded.updated_at")
            try await insertMany(tx, SQLServerStorage.auditInsert, rows: audit)
        }
    }

    static func storedResult(_ r: SQLRow) -> ChangeResult {
        let args: [String]? = r.text("refusal_args").flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        return ChangeResult(changeId: r.text("change_id") ?? "", status: ChangeStatus(rawValue: r.text("status") ?? "") ?? .refused,
                            reason: r.text("refusal"), args: args, seq: r.int("seq"), receivedAt: r.text("received_at"))
    }

    /// Loads, in a few statements, every sheet the group's changes touch (instead of two statements per sheet):
    /// per panel, the cells and flags of the group's reviewers × applicants, kept for the keys the changes name
    /// (a sheet with no row yet is an empty one).
    static func preloadSheets(_ tx: any SQLExecutor, _ jobs: [PushJob], _ group: GroupState) async throws {
        var wanted: [String: (reviewers: Set<String>, applicants: Set<String>, keys: Set<String>)] = [:]
        for job in jobs {
            for c in job.changes {
                let key = "\(job.panel)\u{1F}\(c.reviewer)\u{1F}\(c.applicant)\u{1F}\(c.round)"
                wanted[job.panel, default: ([], [], [])].reviewers.insert(c.reviewer)
                wanted[job.panel, default: ([], [], [])].applicants.insert(c.applicant)
                wanted[job.panel, default: ([], [], [])].keys.insert(key)
            }
        }
        for (panel, w) in wanted {
            var loaded: [String: SheetState] = [:]
            for k in w.keys { loaded[k] = SheetState() }
            let reviewers = Array(w.reviewers), applicants = Array(w.applicants)
            // Chunks keep each statement well under the binding limits of both backends.
            for rs in stride(from: 0, to: reviewers.count, by: 200) {
                let rChunk = reviewers[rs..<min(rs + 200, reviewers.count)]
                for as_ in stride(from: 0, to: applicants.count, by: 400) {
                    let aChunk = applicants[as_..<min(as_ + 400, applicants.count)]
                    let rMarks: String = Array(repeating: "?", count: rChunk.count).joined(separator: ", ")
                    let aMarks: String = Array(repeating: "?", count: aChunk.count).joined(separator: ", ")
                    let marks = "reviewer IN (\(rMarks)) AND applicant IN (\(aMarks))"
                    var binds: [SQLValue] = [.text(panel)]
                    binds.append(contentsOf: rChunk.map { SQLValue.text($0) })
                    binds.append(contentsOf: aChunk.map { SQLValue.text($0) })
                    func key(_ r: SQLRow) -> String {
                        "\(panel)\u{1F}\(r.text("reviewer") ?? "")\u{1F}\(r.text("applicant") ?? "")\u{1F}\(r.text("round") ?? "")"
                    }
                    for r in try await tx.query("SELECT reviewer, applicant, round, leaf, points, note FROM sheet_cells WHERE panel = ? AND \(marks)", binds) {
                        let k = key(r)
                        guard loaded[k] != nil, let leaf = r.text("leaf") else { continue }
                        if let p = r.double("points") { loaded[k]?.points[leaf] = p }
                        if let n = r.text("note") { loaded[k]?.notes[leaf] = n }
                    }
                    for r in try await tx.query("SELECT reviewer, applicant, round, submitted FROM sheets WHERE panel = ? AND \(marks)", binds) {
                        let k = key(r)
                        if loaded[k] != nil { loaded[k]?.submitted = r.bool("submitted") }
                    }
                }
            }
            for (k, v) in loaded where group.sheets[k] == nil { group.sheets[k] = v }
        }
    }

    static func loadSheet(_ tx: any SQLExecutor, panel: String, reviewer: String, applicant: String, round: String) async throws -> SheetState {
        let binds: [SQLValue] = [.text(panel), .text(reviewer), .text(applicant), .text(round)]
        var s = SheetState()
        for r in try await tx.query("SELECT leaf, points, note FROM sheet_cells WHERE panel = ? AND reviewer = ? AND applicant = ? AND round = ?", binds) {
            guard let leaf = r.text("leaf") else { continue }
            if let p = r.double("points") { s.points[leaf] = p }
            if let n = r.text("note") { s.notes[leaf] = n }
        }
        s.submitted = try await tx.one("SELECT submitted FROM sheets WHERE panel = ? AND reviewer = ? AND applicant = ? AND round = ?", binds)?.bool("submitted") ?? false
        return s
    }

    // MARK: Pull and snapshot

    public func pull(panel: String, since: Int64, limit: Int, onlyReviewer: String?) async throws -> (changes: [FeedChange], next: Int64, hasMore: Bool) {
        try await db.read { tx in
            // Every sequence number up to `head` belongs to a committed transaction (numbers are handed out
            // under the server_state lock and committed with it), so once this page is short, the caller has
            // seen everything up to head.
            let head = try await tx.one("SELECT seq FROM server_state WHERE id = 1")?.int("seq") ?? 0
            var sqlText = """
                SELECT seq, change_id, kind, device, reviewer, applicant, round, leaf, value, note, reason, client_time, received_at,
                  actor
                FROM changes WHERE panel = ? AND seq > ? AND status = 'applied'
                """
            var binds: [SQLValue] = [.text(panel), .int(since)]
            if let onlyReviewer {
                sqlText += " AND (reviewer = ? OR reviewer IS NULL)"
                binds.append(.text(onlyReviewer))
            }
            sqlText += " ORDER BY seq LIMIT ?"
            binds.append(.int(Int64(limit + 1)))
            let rows = try await tx.query(sqlText, binds)
            let hasMore = rows.count > limit
            let page = rows.prefix(limit).map { r in
                FeedChange(seq: r.int("seq") ?? 0, changeId: r.text("change_id") ?? "",
                             kind: ChangeKind(rawValue: r.text("kind") ?? "") ?? .panelUpdated, device: r.text("device"),
                             reviewer: r.text("reviewer"), applicant: r.text("applicant"), round: r.text("round"),
                             leaf: r.text("leaf"), value: r.double("value"), note: r.text("note"), reason: r.text("reason"),
                             clientTime: r.text("client_time"), receivedAt: r.text("received_at") ?? "", actor: r.text("actor"))
            }
            let last = page.last?.seq ?? since
            let next = hasMore ? last : max(last, head, since)
            return (Array(page), next, hasMore)
        }
    }

    public func snapshot(_ panel: String) async throws -> WirePanelSnapshot? {
        try await db.write { tx in
            // A write transaction: one consistent state on both backends (the chain lock keeps writers out).
            let chain = try await SQLServerStorage.lockChain(tx)
            return try await SQLServerStorage.loadSnapshot(tx, panel, cursor: chain.seq)
        }
    }

    /// Everything the chair's aggregation reads about a panel, as stored (in the caller's transaction).
    static func loadSnapshot(_ tx: any SQLExecutor, _ panel: String, cursor: Int64) async throws -> WirePanelSnapshot? {
        guard let p = try await SQLServerStorage.loadPanel(tx, panel) else { return nil }
        let reviewers = try await tx.query("SELECT id, name FROM reviewers WHERE panel = ? ORDER BY position", [.text(panel)])
            .map { ReviewerInfo(id: $0.text("id") ?? "", name: $0.text("name") ?? "") }
        var sheets: [String: SheetRecord] = [:]
        func key(_ r: SQLRow) -> String {
            "\(r.text("reviewer") ?? "")\u{1F}\(r.text("applicant") ?? "")\u{1F}\(r.text("round") ?? "")"
        }
        func sheet(_ r: SQLRow) -> SheetRecord {
            SheetRecord(reviewer: r.text("reviewer") ?? "", applicant: r.text("applicant") ?? "", round: r.text("round") ?? "")
        }
        for r in try await tx.query("""
            SELECT reviewer, applicant, round, leaf, points, note FROM sheet_cells WHERE panel = ?
            ORDER BY reviewer, applicant, round, leaf
            """, [.text(panel)]) {
            let k = key(r)
            if sheets[k] == nil { sheets[k] = sheet(r) }
            if let leaf = r.text("leaf") {
                if let pts = r.double("points") { sheets[k]?.points[leaf] = pts }
                if let n = r.text("note") { sheets[k]?.notes[leaf] = n }
            }
        }
        for r in try await tx.query("SELECT reviewer, applicant, round, submitted FROM sheets WHERE panel = ?", [.text(panel)]) {
            let k = key(r)
            if sheets[k] == nil { sheets[k] = sheet(r) }
            sheets[k]?.submitted = r.bool("submitted")
        }
        return WirePanelSnapshot(panel: p.summary, rubricYaml: p.rubricYaml, reviewers: reviewers,
                                 applicants: try await SQLServerStorage.loadApplicants(tx, panel),
                                 sheets: sheets.keys.sorted().compactMap { sheets[$0] },
                                 recusals: try await SQLServerStorage.loadRecusals(tx, panel), cursor: cursor)
    }

    /// The SHA-256 of a panel's canonical inputs (PingshenCore's `canonicalInputText`), as its rows hold them:
    /// the same digest a chair's or reviewer's copy of the same panel computes.
    static func inputsDigest(_ snapshot: WirePanelSnapshot) -> String {
        sha256Hex(canonicalInputText(snapshot.model))
    }

    public func verifyPanel(_ panel: String) async throws -> PanelVerification? {
        let audit = try await verifyAudit()
        return try await db.write { tx in
            let chain = try await SQLServerStorage.lockChain(tx)
            guard let snap = try await SQLServerStorage.loadSnapshot(tx, panel, cursor: chain.seq) else { return nil }
            return PanelVerification(panel: panel, audit: audit, sealed: snap.panel.sealed, sealDigest: snap.panel.sealDigest,
                                     inputsDigest: SQLServerStorage.inputsDigest(snap))
        }
    }
}

/// One push waiting to be applied.
struct PushJob: Sendable {
    var panel: String
    var changes: [Change]
    var principal: Principal
    var rubric: @Sendable (PanelRecord) throws -> RubricLeaves
    var now: Date
}

/// Group commit of pushes: while one group's transaction runs, arriving pushes queue; the next group takes
/// them all. One transaction (one fsync, one lock of the change sequence) serves many clients at once.
actor PushQueue {
    private var pending: [(job: PushJob, continuation: CheckedContinuation<[ChangeResult], any Error>)] = []
    private var running = false
    /// At most this many changes go into one group's transaction.
    let maxChangesPerGroup = 20_000

    func submit(_ job: PushJob, to storage: SQLServerStorage) async throws -> [ChangeResult] {
        try await withCheckedThrowingContinuation { cont in
            pending.append((job, cont))
            if !running {
                running = true
                Task { await self.drain(storage) }
            }
        }
    }

    private func drain(_ storage: SQLServerStorage) async {
        while !pending.isEmpty {
            var count = 0
            var take = 0
            while take < pending.count && (take == 0 || count + pending[take].job.changes.count <= maxChangesPerGroup) {
                count += pending[take].job.changes.count
                take += 1
            }
            let group = Array(pending.prefix(take))
            pending.removeFirst(take)
            let results = await storage.applyGroup(group.map(\.job))
            for (entry, result) in zip(group, results) {
                entry.continuation.resume(with: result)
            }
        }
        running = false
    }
}
