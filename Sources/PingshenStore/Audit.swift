import Foundation
import GRDB
import PingshenAudit
import PingshenCore

/// One row of a panel's audit log: who changed what, when, from what to what, and why. Rows of a panel form
/// a hash chain in the canonical form shared with the server (PingshenCore's `AuditRecord`; docs/audit.md).
/// A GRDB record: rows decode by column name (`SELECT \(PanelStore.auditColumns)`).
public struct AuditEntry: Sendable, Equatable, Codable, FetchableRecord {
    /// Position in the whole log.
    public var seq: Int64
    /// Position in the panel's chain, from 1.
    public var pseq: Int
    public var panel: String
    public var at: String
    public var actor: String
    /// What changed: `panel`, `reviewer:R`, `applicant:A`, `data:A`, `recusal:R/A`, `sheet:R/A/ROUND`.
    public var entity: String
    /// Which part: a field name, an indicator id, `note:ID`, `submitted`…
    public var field: String?
    public var old: String?
    public var new: String?
    public var reason: String?
    /// The sync change this row records, when it came from (or went to) a server.
    public var changeId: String?
    /// The canonical form the row was hashed with (1: before change ids; 2: the shared form).
    public var canon: Int
    public var prevHash: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, pseq, panel, at, actor, entity, field, old, new, reason
        case changeId = "change_id"
        case canon
        case prevHash = "prev_hash"
        case hash
    }

    /// The row in the shared canonical form.
    public var record: AuditRecord {
        AuditRecord(position: Int64(pseq), panel: panel, at: at, actor: actor, entity: entity, field: field, old: old,
                    new: new, reason: reason, changeId: changeId, canon: AuditCanon(rawValue: canon) ?? .shared)
    }

    /// The canonical content the hash covers.
    public var canonicalContent: String { record.canonicalContent }

    /// A row of `SELECT \(PanelStore.auditColumns)`, read by position (the columns' order is fixed there).
    static func fast(_ r: Row) throws -> AuditEntry {
        AuditEntry(seq: try r.decode(Int64.self, atIndex: 0), pseq: try r.decode(Int.self, atIndex: 1),
                   panel: try r.decode(String.self, atIndex: 2), at: try r.decode(String.self, atIndex: 3),
                   actor: try r.decode(String.self, atIndex: 4), entity: try r.decode(String.self, atIndex: 5),
                   field: try r.decode(String?.self, atIndex: 6), old: try r.decode(String?.self, atIndex: 7),
                   new: try r.decode(String?.self, atIndex: 8), reason: try r.decode(String?.self, atIndex: 9),
                   changeId: try r.decode(String?.self, atIndex: 10), canon: try r.decode(Int.self, atIndex: 11),
                   prevHash: try r.decode(String.self, atIndex: 12), hash: try r.decode(String.self, atIndex: 13))
    }
}

/// Seal of a panel: who froze it, when, the digest of its inputs, and the audit head at that moment.
public struct SealInfo: Sendable, Equatable, Codable {
    public var at: String
    public var by: String
    public var digest: String
    public var auditHead: String

    enum CodingKeys: String, CodingKey {
        case at, by, digest
        case auditHead = "audit_head"
    }
}

/// Appends audit rows of one transaction to a panel's chain.
struct AuditChain {
    let panel: String
    var head: String
    var count: Int
    let at: String
    let actor: String
    /// The prepared INSERT, kept for the rows of this transaction.
    var insert: Statement?

    init(panel: String, head: String, count: Int, at: String, actor: String) {
        self.panel = panel
        self.head = head
        self.count = count
        self.at = at
        self.actor = actor
    }

    init(_ p: PanelStore.PanelRow, at: String, actor: String) {
        self.init(panel: p.info.id, head: p.auditHead, count: p.auditCount, at: at, actor: actor)
    }

    mutating func append(_ db: Database, entity: String, field: String?, old: String?, new: String?,
                         reason: String?, changeId: String? = nil) throws {
        var linker = AuditLinker(head: head, position: Int64(count))
        let (row, prev, hash) = linker.link(AuditRecord(position: 0, panel: panel, at: at, actor: actor, entity: entity,
                                                        field: field, old: old, new: new, reason: reason, changeId: changeId))
        let st = try insert ?? db.cachedStatement(sql: """
            INSERT INTO audit (panel_id, pseq, at, actor, entity, field, old, new, reason, change_id, canon, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 2, ?, ?)
            """)
        insert = st
        try st.execute(arguments: [panel, row.position, at, actor, entity, field, old, new, reason, changeId, prev, hash])
        head = hash
        count = Int(row.position)
    }

    /// Records the new head on the panel row (so that removing rows from the end is detected too).
    func save(_ db: Database) throws {
        try db.cachedStatement(sql: "UPDATE panel SET audit_head = ?, audit_count = ? WHERE id = ?")
            .execute(arguments: [head, count, panel])
    }
}

extension PanelStore {
    /// The panel's audit log, oldest first; with `afterSeq`, only rows appended after that `seq` (a
    /// change feed: `seq` only grows).
    public func auditLog(panel: String, afterSeq: Int64 = 0) throws -> [AuditEntry] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try AuditEntry.fetchAll(db, sql: """
                SELECT \(Self.auditColumns) FROM audit WHERE panel_id = ? AND seq > ? ORDER BY pseq
                """, arguments: [panel, afterSeq])
        }
    }

    static let auditColumns = "seq, pseq, panel_id AS panel, at, actor, entity, field, old, new, reason, change_id, canon, prev_hash, hash"

    /// Recomputes the panel's hash chain and reports the first row that does not verify: a row whose
    /// content was edited, a row removed or inserted, or rows cut from the end (the panel row keeps the
    /// head and the count). A sealed panel's chain must also still contain the head recorded at sealing.
    public func verifyAuditChain(panel: String) throws -> AuditVerification {
        try read { db in
            let p = try loadPanel(db, panel)
            var checker = AuditChainChecker()
            var sealHeadSeen = p.sealAuditHead == nil
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(Self.auditColumns) FROM audit WHERE panel_id = ? ORDER BY pseq",
                                             arguments: [panel])
            func fail(_ at: Int64?, _ problem: PingshenError) -> AuditVerification {
                AuditVerification(ok: false, rows: checker.rows, firstBadId: at, lastHash: checker.prev, problem: problem)
            }
            while let r = try cursor.next() {
                // The hot path of verify (one row per change): read by position, no Decodable machinery.
                let e: AuditEntry
                do {
                    e = try AuditEntry.fast(r)
                } catch {
                    return fail(checker.rows + 1, PingshenError("store.audit_unreadable", [panel, String(checker.rows + 1)]))
                }
                if !checker.check(e.record, prevHash: e.prevHash, hash: e.hash), let f = checker.failure {
                    switch f.kind {
                    case .gap(let found):
                        return fail(f.position, PingshenError("store.audit_gap", [panel, String(f.position), String(found)]))
                    case .link:
                        return fail(f.position, PingshenError("store.audit_link", [panel, String(e.pseq), String(e.seq)]))
                    case .hash:
                        return fail(f.position, PingshenError("store.audit_hash", [panel, String(e.pseq), String(e.seq),
                                                                                    e.entity, e.field ?? ""]))
                    }
                }
                if e.hash == p.sealAuditHead { sealHeadSeen = true }
            }
            let n = checker.rows
            if n != Int64(p.auditCount) || checker.prev != p.auditHead {
                return fail(min(n, Int64(p.auditCount)) + 1, PingshenError("store.audit_head", [panel, String(n), String(p.auditCount)]))
            }
            if !sealHeadSeen {
                return fail(nil, PingshenError("store.audit_seal_head", [panel]))
            }
            return AuditVerification(ok: true, rows: n, firstBadId: nil, lastHash: checker.prev)
        }
    }

    // MARK: - Snapshot, digest, seal

    /// Everything the chair's computations read about a panel (sheets of every round).
    public func snapshot(panel: String) throws -> PanelSnapshot {
        try read { db in try snapshot(db, panel) }
    }

    func snapshot(_ db: Database, _ panel: String) throws -> PanelSnapshot {
        let p = try loadPanel(db, panel)
        let reviewers = try Self.reviewers(db, panel)
        let applicants = try Self.applicants(db, panel)
        let data = try Self.allData(db, panel)
        let recusals = try Self.recusals(db, panel)
        var sheets: [Int64: SheetRecord] = [:]
        var order: [Int64] = []
        let sc = try Row.fetchCursor(db, sql: """
            SELECT id, reviewer_id, applicant_id, round, submitted FROM sheet WHERE panel_id = ? ORDER BY id
            """, arguments: [panel])
        while let r = try sc.next() {
            let id = try r.decode(Int64.self, atIndex: 0)
            order.append(id)
            sheets[id] = SheetRecord(reviewer: try r.decode(String.self, atIndex: 1),
                                     applicant: try r.decode(String.self, atIndex: 2),
                                     round: try r.decode(String.self, atIndex: 3),
                                     submitted: try r.decode(Bool.self, atIndex: 4))
        }
        let pc = try Row.fetchCursor(db, sql: """
            SELECT sp.sheet_id, sp.leaf_id, sp.points FROM sheet_point sp JOIN sheet s ON s.id = sp.sheet_id
            WHERE s.panel_id = ?
            """, arguments: [panel])
        while let r = try pc.next() {
            sheets[try r.decode(Int64.self, atIndex: 0)]?.points[try r.decode(String.self, atIndex: 1)]
                = try r.decode(Double.self, atIndex: 2)
        }
        let nc = try Row.fetchCursor(db, sql: """
            SELECT sn.sheet_id, sn.leaf_id, sn.note FROM sheet_note sn JOIN sheet s ON s.id = sn.sheet_id
            WHERE s.panel_id = ?
            """, arguments: [panel])
        while let r = try nc.next() {
            sheets[try r.decode(Int64.self, atIndex: 0)]?.notes[try r.decode(String.self, atIndex: 1)]
                = try r.decode(String.self, atIndex: 2)
        }
        return PanelSnapshot(panel: p.info, reviewers: reviewers, applicants: applicants, data: data,
                             sheets: order.compactMap { sheets[$0] }, recusals: recusals)
    }

    /// SHA-256 (hex) of the canonical text of the panel's inputs (`canonicalInputText`), as stored now.
    public func inputDigest(panel: String) throws -> String {
        try read { db in sha256Hex(canonicalInputText(try snapshot(db, panel))) }
    }

    /// Freezes a panel: from now on every change to it is refused. Records who sealed it, when, the
    /// digest of its inputs, and the audit head (the seal's own audit row).
    public func seal(panel: String, by actor: String, digest: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: "panel", field: "sealed", old: nil, new: digest, reason: nil)
            try db.execute(sql: """
                UPDATE panel SET sealed_at = ?, sealed_by = ?, seal_digest = ?, seal_audit_head = ?,
                                 audit_head = ?, audit_count = ?
                WHERE id = ?
                """, arguments: [at, actor, digest, log.head, log.head, log.count, panel])
        }
    }

    /// The seal of a panel, or nil while it is open.
    public func sealInfo(panel: String) throws -> SealInfo? {
        try read { db in
            let p = try loadPanel(db, panel)
            guard let at = p.info.sealedAt, let digest = p.sealDigest else { return nil }
            return SealInfo(at: at, by: p.info.sealedBy ?? "", digest: digest, auditHead: p.sealAuditHead ?? "")
        }
    }
}
