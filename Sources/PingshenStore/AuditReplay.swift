import Foundation
import GRDB
import PingshenCore

/// The outcome of comparing a panel's rows with what its audit log says they hold.
public struct DataVerification: Sendable, Equatable {
    /// Audit rows replayed.
    public var auditRows: Int
    /// Values compared (every panel field, name, industry, datum, note, recusal, point, submission).
    public var values: Int
    /// One problem per value whose stored form differs from the audit log's latest entry for it.
    public var problems: [PingshenError]
    public var isConsistent: Bool { problems.isEmpty }
}

extension PanelStore {
    /// Replays the panel's audit log (the latest `new` value of every entity and field) and compares
    /// the result with the panel's rows: panel settings and rounds, reviewers, applicants and their
    /// industry, verified data and its notes, recusals, and every sheet's points, notes and submission
    /// flag. A row written or edited directly in the database, without its audit row, shows up here
    /// even when the audit chain itself is intact. Numbers are compared in the audit log's form (at
    /// most 6 decimals).
    public func verifyDataAgainstAudit(panel: String) throws -> DataVerification {
        try read { db in
            let p = try loadPanel(db, panel)
            // What the audit log says: key = entity + TAB + field, value = latest `new` (nil: removed).
            var logged: [ExactKey: String?] = [:]
            var rounds: [String] = []
            var recusalReasons: [String: String?] = [:]
            var rows = 0
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT entity, field, new, reason FROM audit WHERE panel_id = ? ORDER BY pseq
                """, arguments: [panel])
            while let r = try cursor.next() {
                rows += 1
                let entity: String = try r.decode(String.self, atIndex: 0)
                let field: String = try r.decode(String?.self, atIndex: 1) ?? ""
                let new: String? = try r.decode(String?.self, atIndex: 2)
                logged[ExactKey(entity + "\t" + field)] = .some(new)
                if entity == "panel" && field == "round", let new { rounds.append(new) }
                if entity.hasPrefix("recusal:") && field == "recused" {
                    recusalReasons[entity] = .some(try r.decode(String?.self, atIndex: 3))
                }
            }

            // What the rows hold, keyed the same way.
            var stored: [ExactKey: String?] = [:]
            func put(_ entity: String, _ field: String, _ value: String?) { stored[ExactKey(entity + "\t" + field)] = .some(value) }
            let info = p.info
            put("panel", "rubric", info.rubricId)
            put("panel", "title", info.title)
            put("panel", "round", info.round)
            put("panel", "variant", info.variant)
            put("panel", "method", info.method?.rawValue)
            put("panel", "quorum", info.quorum.map(String.init))
            put("panel", "view", info.view?.rawValue)
            put("panel", "sealed", p.sealDigest)
            // A reviewer's copy logs the server it was created from (the link itself lives in sync_state).
            if logged[ExactKey("panel\tserver")] != nil {
                put("panel", "server", try String.fetchOne(db, sql: "SELECT server FROM sync_state WHERE panel_id = ?",
                                                           arguments: [panel]))
            }
            for r in try Self.reviewers(db, panel) { put("reviewer:\(r.id)", "name", r.name) }
            for a in try Self.applicants(db, panel) {
                put("applicant:\(a.id)", "name", a.name)
                put("applicant:\(a.id)", "industry", a.industry)
            }
            for r in try Row.fetchAll(db, sql: "SELECT applicant_id, key, value FROM applicant_value WHERE panel_id = ?",
                                      arguments: [panel]) {
                put("data:" + (try r.decode(String.self, atIndex: 0)), try r.decode(String.self, atIndex: 1),
                    numberText(try r.decode(Double.self, atIndex: 2)))
            }
            for r in try Row.fetchAll(db, sql: "SELECT applicant_id, key, note FROM applicant_note WHERE panel_id = ?",
                                      arguments: [panel]) {
                put("data:" + (try r.decode(String.self, atIndex: 0)), "note:" + (try r.decode(String.self, atIndex: 1)),
                    try r.decode(String.self, atIndex: 2))
            }
            var storedReasons: [String: String?] = [:]
            for r in try Self.recusals(db, panel) {
                put("recusal:\(r.reviewer)/\(r.applicant)", "recused", "1")
                storedReasons["recusal:\(r.reviewer)/\(r.applicant)"] = .some(r.reason)
            }
            for o in try Self.opinions(db, panel) { put(Self.opinionEntity(o.applicant), Self.opinionField(o.reviewer), o.text) }
            var sheetEntities: [Int64: String] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT id, reviewer_id, applicant_id, round, submitted FROM sheet WHERE panel_id = ?
                """, arguments: [panel]) {
                let entity = Self.sheetEntity(try r.decode(String.self, atIndex: 1), try r.decode(String.self, atIndex: 2),
                                              try r.decode(String.self, atIndex: 3))
                sheetEntities[try r.decode(Int64.self, atIndex: 0)] = entity
                // A sheet that was never submitted has no audit row for it: "0" is its starting value.
                let submitted = try r.decode(Bool.self, atIndex: 4)
                if submitted || logged[ExactKey(entity + "\tsubmitted")] != nil { put(entity, "submitted", submitted ? "1" : "0") }
            }
            for r in try Row.fetchAll(db, sql: """
                SELECT sp.sheet_id, sp.leaf_id, sp.points FROM sheet_point sp JOIN sheet s ON s.id = sp.sheet_id
                WHERE s.panel_id = ?
                """, arguments: [panel]) {
                let entity = sheetEntities[try r.decode(Int64.self, atIndex: 0)] ?? "sheet:?"
                put(entity, try r.decode(String.self, atIndex: 1), numberText(try r.decode(Double.self, atIndex: 2)))
            }
            for r in try Row.fetchAll(db, sql: """
                SELECT sn.sheet_id, sn.leaf_id, sn.note FROM sheet_note sn JOIN sheet s ON s.id = sn.sheet_id
                WHERE s.panel_id = ?
                """, arguments: [panel]) {
                let entity = sheetEntities[try r.decode(Int64.self, atIndex: 0)] ?? "sheet:?"
                put(entity, "note:" + (try r.decode(String.self, atIndex: 1)), try r.decode(String.self, atIndex: 2))
            }

            // Compare. A key the log never mentions holds nothing; a removed value (`new` is nil) too.
            var problems: [PingshenError] = []
            func shown(_ v: String?) -> String { v ?? "—" }
            func mismatch(_ key: String, _ expected: String?, _ actual: String?) {
                let parts = key.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                problems.append(PingshenError("store.data_unaudited",
                                              [panel, parts.first ?? key, parts.count > 1 ? parts[1] : "", shown(expected),
                                               shown(actual)]))
            }
            // Panel fields absent from the log were never set (nil), except `sealed`, which the log
            // records whenever it is set.
            // One pass over each side (no sort of every key: only the mismatches are sorted, for a stable report).
            var mismatched: [ExactKey] = []
            var compared = logged.count
            for (key, expected) in logged where expected != (stored[key] ?? nil) { mismatched.append(key) }
            for (key, actual) in stored where logged[key] == nil {
                compared += 1
                if actual != nil { mismatched.append(key) }
            }
            for key in mismatched.sorted(by: { $0.text < $1.text }) { mismatch(key.text, logged[key] ?? nil, stored[key] ?? nil) }
            let storedRounds = try String.fetchAll(db, sql: "SELECT round FROM panel_round WHERE panel_id = ? ORDER BY seq",
                                                   arguments: [panel])
            if storedRounds != rounds {
                problems.append(PingshenError("store.data_unaudited",
                                              [panel, "panel", "rounds", rounds.joined(separator: ", "),
                                               storedRounds.joined(separator: ", ")]))
            }
            for key in Set(recusalReasons.keys).union(storedReasons.keys).sorted() {
                let expected = recusalReasons[key] ?? nil, actual = storedReasons[key] ?? nil
                if expected != actual { mismatch(key + "\treason", expected, actual) }
            }
            return DataVerification(auditRows: rows, values: compared, problems: problems)
        }
    }
}

/// A dictionary key compared and hashed by its exact UTF-8 bytes: no Unicode normalization (which dominates
/// hashing of non-ASCII keys such as `sheet:r1/a1/初评`), and exactly the equality a check of stored text wants.
struct ExactKey: Hashable {
    let text: String
    init(_ text: String) { self.text = text }

    static func == (a: ExactKey, b: ExactKey) -> Bool { a.text.utf8.elementsEqual(b.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var t = text
        t.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
