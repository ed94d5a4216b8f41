import Foundation
import GRDB
import PingshenAudit
import PingshenCore

/// The local store: one SQLite file (WAL, foreign keys on, versioned migrations) holding panels,
/// reviewers, applicants and their verified data, score sheets per round, recusals, and a hash-chained
/// append-only audit log. Every change runs in one transaction together with its audit rows, and every
/// change to a sealed panel is refused (by the store, and by triggers in the database itself).
///
/// Errors are `PingshenError`s with catalog keys (`store.*`), ready to show to the user.
public final class PanelStore: Sendable {
    /// The database file.
    public let path: String
    let queue: DatabaseQueue

    /// Opens (and migrates) the store at `path`. Without `create`, a missing file is an error rather
    /// than a new empty database.
    public init(path: String, create: Bool = false) throws {
        self.path = path
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw PingshenError("store.no_database", [path])
        }
        var config = Configuration()
        config.journalMode = .wal
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.label = "pingshen"
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            // Every commit reaches the disk before the next prompt (GRDB's WAL default is NORMAL).
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let migrator = Schema.migrator
            if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw PingshenError("store.too_new", [path])
            }
            try migrator.migrate(queue)
        } catch let e as PingshenError {
            throw e
        } catch {
            throw PingshenError("store.open", [path, Self.describe(error)])
        }
    }

    // MARK: - Transactions

    /// Runs `body` in one IMMEDIATE transaction; any error rolls everything back.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.write(body)
        } catch {
            throw mapError(error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch {
            throw mapError(error)
        }
    }

    func mapError(_ error: Error) -> Error {
        if error is PingshenError || error is PingshenErrors { return error }
        if let e = error as? DatabaseError {
            let m = e.message ?? ""
            if m.contains("pingshen:sealed") { return PingshenError("store.sealed_row", [path]) }
            if m.contains("pingshen:audit-append-only") { return PingshenError("store.audit_append_only", [path]) }
        }
        return PingshenError("store.database", [path, Self.describe(error)])
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? e.resultCode.description }
        return String(describing: error)
    }

    /// Runs a raw SQL statement (for maintenance and tests); the audit log's triggers still apply.
    public func executeRaw(_ sql: String) throws {
        try write { db in try db.execute(sql: sql) }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    /// The journal mode in use ("wal").
    public func journalMode() throws -> String {
        try read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    // MARK: - Panel rows

    struct PanelRow {
        var info: PanelInfo
        var auditHead: String
        var auditCount: Int
        var sealDigest: String?
        var sealAuditHead: String?
    }

    static let panelColumns = """
        id, rubric_id, title, round, variant, method, quorum, view, sealed_at, sealed_by, seal_digest, \
        seal_audit_head, audit_head, audit_count
        """

    static func panelRow(_ r: Row) throws -> PanelRow {
        let info = PanelInfo(id: r["id"], rubricId: r["rubric_id"], title: r["title"], round: r["round"],
                             variant: r["variant"], method: (r["method"] as String?).flatMap(AggregationMethod.init(rawValue:)),
                             quorum: r["quorum"], view: (r["view"] as String?).flatMap(AggregationView.init(rawValue:)),
                             sealedAt: r["sealed_at"], sealedBy: r["sealed_by"])
        return PanelRow(info: info, auditHead: r["audit_head"], auditCount: r["audit_count"], sealDigest: r["seal_digest"],
                        sealAuditHead: r["seal_audit_head"])
    }

    func loadPanel(_ db: Database, _ id: String) throws -> PanelRow {
        let st = try db.cachedStatement(sql: "SELECT \(Self.panelColumns) FROM panel WHERE id = ?")
        guard let row = try Row.fetchOne(st, arguments: [id]) else {
            throw PingshenError("store.no_panel", [id])
        }
        return try Self.panelRow(row)
    }

    /// Loads a panel for a change: refuses a sealed panel with a clear message.
    func openPanel(_ db: Database, _ id: String) throws -> PanelRow {
        let p = try loadPanel(db, id)
        if let at = p.info.sealedAt {
            throw PingshenError("store.sealed", [id, at, p.info.sealedBy ?? "?"])
        }
        return p
    }

    // MARK: - Panels

    /// Creates a panel; `info.round` is its first round.
    public func createPanel(_ info: PanelInfo, actor: String) throws {
        try write { db in
            var log = try insertPanel(db, info, at: nowText(), actor: actor)
            try log.save(db)
        }
    }

    /// Inserts a new panel and its first round, and starts its audit chain with the panel's settings
    /// (plus `extraFields`). Returns the chain for the caller to extend and save.
    func insertPanel(_ db: Database, _ info: PanelInfo, at: String, actor: String,
                     extraFields: [(String, String?)] = []) throws -> AuditChain {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM panel WHERE id = ?", arguments: [info.id]) ?? false {
            throw PingshenError("store.panel_exists", [info.id])
        }
        try db.execute(sql: """
            INSERT INTO panel (id, rubric_id, title, round, variant, method, quorum, view, created_at, created_by,
                               audit_head, audit_count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
            """, arguments: [info.id, info.rubricId, info.title, info.round, info.variant, info.method?.rawValue, info.quorum,
                             info.view?.rawValue, at, actor, auditGenesisHash])
        try db.execute(sql: "INSERT INTO panel_round (panel_id, seq, round, opened_at, opened_by) VALUES (?, 1, ?, ?, ?)",
                       arguments: [info.id, info.round, at, actor])
        var log = AuditChain(panel: info.id, head: auditGenesisHash, count: 0, at: at, actor: actor)
        let fields: [(String, String?)] = [("rubric", info.rubricId), ("title", info.title), ("round", info.round),
                                           ("variant", info.variant), ("method", info.method?.rawValue),
                                           ("quorum", info.quorum.map(String.init)), ("view", info.view?.rawValue)] + extraFields
        for (f, v) in fields where v != nil {
            try log.append(db, entity: "panel", field: f, old: nil, new: v, reason: nil)
        }
        return log
    }

    public func panel(_ id: String) throws -> PanelInfo {
        try read { db in try loadPanel(db, id).info }
    }

    public func panels() throws -> [PanelInfo] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.panelColumns) FROM panel ORDER BY id").map { try Self.panelRow($0).info }
        }
    }

    /// The panel's rounds, first to current.
    public func rounds(panel: String) throws -> [RoundInfo] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Row.fetchAll(db, sql: """
                SELECT seq, round, opened_at, opened_by FROM panel_round WHERE panel_id = ? ORDER BY seq
                """, arguments: [panel]).map {
                RoundInfo(seq: $0["seq"], round: $0["round"], openedAt: $0["opened_at"], openedBy: $0["opened_by"])
            }
        }
    }

    /// Opens a later round (现场考察, 综合评议…): sessions and imports then write into it.
    public func openRound(panel: String, round: String, actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM panel_round WHERE panel_id = ? AND round = ?",
                                 arguments: [panel, round]) ?? false {
                throw PingshenError("store.round_exists", [panel, round])
            }
            let at = nowText()
            let seq = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM panel_round WHERE panel_id = ?", arguments: [panel]) ?? 0) + 1
            try db.execute(sql: "INSERT INTO panel_round (panel_id, seq, round, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
                           arguments: [panel, seq, round, at, actor])
            try db.execute(sql: "UPDATE panel SET round = ? WHERE id = ?", arguments: [round, panel])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: "panel", field: "round", old: p.info.round, new: round, reason: nil)
            try log.save(db)
        }
    }

    // MARK: - Reviewers, applicants, recusals

    public func addReviewer(panel: String, _ r: ReviewerInfo, actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            if try reviewerExists(db, panel, r.id) { throw PingshenError("store.reviewer_exists", [panel, r.id]) }
            let at = nowText()
            try db.execute(sql: "INSERT INTO reviewer (panel_id, id, name, added_at) VALUES (?, ?, ?, ?)",
                           arguments: [panel, r.id, r.name, at])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: "reviewer:\(r.id)", field: "name", old: nil, new: r.name, reason: nil)
            try log.save(db)
        }
    }

    public func addApplicant(panel: String, _ a: ApplicantInfo, actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            if try applicantExists(db, panel, a.id) { throw PingshenError("store.applicant_exists", [panel, a.id]) }
            let at = nowText()
            try db.execute(sql: "INSERT INTO applicant (panel_id, id, name, industry, added_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [panel, a.id, a.name, a.industry, at])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: "applicant:\(a.id)", field: "name", old: nil, new: a.name, reason: nil)
            if let ind = a.industry {
                try log.append(db, entity: "applicant:\(a.id)", field: "industry", old: nil, new: ind, reason: nil)
            }
            try log.save(db)
        }
    }

    public func reviewers(panel: String) throws -> [ReviewerInfo] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Self.reviewers(db, panel)
        }
    }

    public func applicants(panel: String) throws -> [ApplicantInfo] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Self.applicants(db, panel)
        }
    }

    static func reviewers(_ db: Database, _ panel: String) throws -> [ReviewerInfo] {
        try ReviewerInfo.fetchAll(db, sql: "SELECT id, name FROM reviewer WHERE panel_id = ? ORDER BY rowid", arguments: [panel])
    }

    static func applicants(_ db: Database, _ panel: String) throws -> [ApplicantInfo] {
        try ApplicantInfo.fetchAll(db, sql: "SELECT id, name, industry FROM applicant WHERE panel_id = ? ORDER BY rowid",
                                   arguments: [panel])
    }

    func reviewerExists(_ db: Database, _ panel: String, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM reviewer WHERE panel_id = ? AND id = ?"),
                          arguments: [panel, id]) ?? false
    }

    func applicantExists(_ db: Database, _ panel: String, _ id: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM applicant WHERE panel_id = ? AND id = ?"),
                          arguments: [panel, id]) ?? false
    }

    func isRecused(_ db: Database, _ panel: String, _ reviewer: String, _ applicant: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM recusal WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ?
            """), arguments: [panel, reviewer, applicant]) ?? false
    }

    /// Records a conflict of interest (回避): the reviewer can no longer score the applicant, and the
    /// chair leaves the reviewer out of the applicant's aggregation.
    public func recuse(panel: String, reviewer: String, applicant: String, reason: String, actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            try requireMembers(db, panel, reviewer, applicant)
            if try isRecused(db, panel, reviewer, applicant) {
                throw PingshenError("store.already_recused", [reviewer, applicant])
            }
            let at = nowText()
            try db.execute(sql: """
                INSERT INTO recusal (panel_id, reviewer_id, applicant_id, reason, recused_at, recused_by)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [panel, reviewer, applicant, reason, at, actor])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: "recusal:\(reviewer)/\(applicant)", field: "recused", old: nil, new: "1", reason: reason)
            try log.save(db)
        }
    }

    public func recusals(panel: String) throws -> [Recusal] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Self.recusals(db, panel)
        }
    }

    public func isRecused(panel: String, reviewer: String, applicant: String) throws -> Bool {
        try read { db in try isRecused(db, panel, reviewer, applicant) }
    }

    static func recusals(_ db: Database, _ panel: String) throws -> [Recusal] {
        try Row.fetchAll(db, sql: """
            SELECT reviewer_id, applicant_id, reason FROM recusal WHERE panel_id = ? ORDER BY reviewer_id, applicant_id
            """, arguments: [panel]).map { Recusal(reviewer: $0["reviewer_id"], applicant: $0["applicant_id"], reason: $0["reason"]) }
    }

    func requireMembers(_ db: Database, _ panel: String, _ reviewer: String, _ applicant: String) throws {
        if try !reviewerExists(db, panel, reviewer) { throw PingshenError("store.no_reviewer", [panel, reviewer]) }
        if try !applicantExists(db, panel, applicant) { throw PingshenError("store.no_applicant", [panel, applicant]) }
    }

    // MARK: - Applicant data (核定数据)

    /// Writes applicant data blocks in one transaction: values replace stored values of the same keys,
    /// `industry` replaces the applicant's industry. Unchanged values write nothing.
    @discardableResult
    public func importData(panel: String, _ inputs: [DataInput], actor: String) throws -> ImportSummary {
        try write { db in
            let p = try openPanel(db, panel)
            var log = AuditChain(p, at: nowText(), actor: actor)
            var summary = ImportSummary()
            let getValue = try db.cachedStatement(sql: """
                SELECT value FROM applicant_value WHERE panel_id = ? AND applicant_id = ? AND key = ?
                """)
            let putValue = try db.cachedStatement(sql: """
                INSERT INTO applicant_value (panel_id, applicant_id, key, value) VALUES (?, ?, ?, ?)
                ON CONFLICT (panel_id, applicant_id, key) DO UPDATE SET value = excluded.value
                """)
            let getNote = try db.cachedStatement(sql: """
                SELECT note FROM applicant_note WHERE panel_id = ? AND applicant_id = ? AND key = ?
                """)
            let putNote = try db.cachedStatement(sql: """
                INSERT INTO applicant_note (panel_id, applicant_id, key, note) VALUES (?, ?, ?, ?)
                ON CONFLICT (panel_id, applicant_id, key) DO UPDATE SET note = excluded.note
                """)
            for d in inputs {
                guard let current = try Row.fetchOne(db, sql: "SELECT industry FROM applicant WHERE panel_id = ? AND id = ?",
                                                     arguments: [panel, d.applicant]) else {
                    throw PingshenError("store.no_applicant", [panel, d.applicant])
                }
                summary.blocks += 1
                let entity = "data:\(d.applicant)"
                if let ind = d.industry {
                    let old: String? = current["industry"]
                    if old != ind {
                        try db.execute(sql: "UPDATE applicant SET industry = ? WHERE panel_id = ? AND id = ?",
                                       arguments: [ind, panel, d.applicant])
                        try log.append(db, entity: "applicant:\(d.applicant)", field: "industry", old: old, new: ind, reason: nil)
                        summary.changed += 1
                    } else {
                        summary.unchanged += 1
                    }
                }
                for key in d.values.keys.sorted() {
                    guard let v = d.values[key] else { continue }
                    let old = try Double.fetchOne(getValue, arguments: [panel, d.applicant, key])
                    if old == v {
                        summary.unchanged += 1
                        continue
                    }
                    try putValue.execute(arguments: [panel, d.applicant, key, v])
                    try log.append(db, entity: entity, field: key, old: old.map(numberText), new: numberText(v), reason: nil)
                    summary.changed += 1
                }
                for key in d.notes.keys.sorted() {
                    guard let n = d.notes[key] else { continue }
                    let old = try String.fetchOne(getNote, arguments: [panel, d.applicant, key])
                    if old == n {
                        summary.unchanged += 1
                        continue
                    }
                    try putNote.execute(arguments: [panel, d.applicant, key, n])
                    try log.append(db, entity: entity, field: "note:\(key)", old: old, new: n, reason: nil)
                    summary.changed += 1
                }
            }
            try log.save(db)
            return summary
        }
    }

    /// One applicant's verified data; the industry is the applicant's.
    public func applicantData(panel: String, applicant: String) throws -> ApplicantData {
        try read { db in
            _ = try loadPanel(db, panel)
            guard let row = try Row.fetchOne(db, sql: "SELECT industry FROM applicant WHERE panel_id = ? AND id = ?",
                                             arguments: [panel, applicant]) else {
                throw PingshenError("store.no_applicant", [panel, applicant])
            }
            var values: [String: Double] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT key, value FROM applicant_value WHERE panel_id = ? AND applicant_id = ?",
                                      arguments: [panel, applicant]) {
                values[r["key"]] = r["value"]
            }
            return ApplicantData(values: values, industry: row["industry"])
        }
    }

    /// Notes that came with an applicant's data, by key.
    public func dataNotes(panel: String, applicant: String) throws -> [String: String] {
        try read { db in
            var notes: [String: String] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT key, note FROM applicant_note WHERE panel_id = ? AND applicant_id = ?",
                                      arguments: [panel, applicant]) {
                notes[r["key"]] = r["note"]
            }
            return notes
        }
    }

    /// Verified data of every applicant of the panel (applicants without data have an empty entry).
    public func allData(panel: String) throws -> [String: ApplicantData] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Self.allData(db, panel)
        }
    }

    static func allData(_ db: Database, _ panel: String) throws -> [String: ApplicantData] {
        var data: [String: ApplicantData] = [:]
        for a in try applicants(db, panel) { data[a.id] = ApplicantData(values: [:], industry: a.industry) }
        let cursor = try Row.fetchCursor(db, sql: "SELECT applicant_id, key, value FROM applicant_value WHERE panel_id = ?",
                                         arguments: [panel])
        while let r = try cursor.next() {
            data[try r.decode(String.self, atIndex: 0), default: ApplicantData()].values[try r.decode(String.self, atIndex: 1)]
                = try r.decode(Double.self, atIndex: 2)
        }
        return data
    }
}

/// A round of a panel.
public struct RoundInfo: Sendable, Equatable, Codable {
    public var seq: Int
    public var round: String
    public var openedAt: String
    public var openedBy: String
}

/// What an import changed.
public struct ImportSummary: Sendable, Equatable {
    /// Blocks (sheets or applicant-data blocks) read.
    public var blocks = 0
    /// Sheets created by the import.
    public var created = 0
    /// Values and notes written (each one audit row).
    public var changed = 0
    /// Values and notes equal to what was stored (nothing written).
    public var unchanged = 0
    /// Sheets marked submitted.
    public var submitted = 0
    public init() {}
}

// MARK: - Helpers

/// Now, as the audit log and sync stamp it (UTC, milliseconds; `UTCTime`).
func nowText() -> String { UTCTime.now() }

/// Numbers in the audit log: at most 6 decimals, trailing zeros dropped.
func numberText(_ v: Double) -> String { canonicalNumber(v) }

// The core's model types read straight from their rows (columns named as their coding keys).
extension ReviewerInfo: FetchableRecord {}
extension ApplicantInfo: FetchableRecord {}
