import Foundation
import GRDB
import PingshenCore

// Opinions on applicants (评审意见): the panel's opinion, recorded by the chair, and each expert's reservation
// (保留意见). One current text per applicant and author (a new text replaces the old one); every change is an
// audit row (entity `opinion:APPLICANT`, field `panel` or `reservation:REVIEWER`), and a sealed panel refuses
// them (the store's check and the table's triggers).

extension PanelStore {
    /// Records (or replaces) the panel's opinion on an applicant (`reviewer` nil) or a reviewer's reservation.
    public func recordOpinion(panel: String, applicant: String, reviewer: String?, text: String, actor: String) throws {
        let body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !body.isEmpty else { throw PingshenError("opinion.empty") }
        guard body.count <= opinionMaxLength else {
            throw PingshenError("opinion.too_long", [String(body.count), String(opinionMaxLength)])
        }
        try write { db in
            let p = try openPanel(db, panel)
            if try !applicantExists(db, panel, applicant) { throw PingshenError("store.no_applicant", [panel, applicant]) }
            if let reviewer, try !reviewerExists(db, panel, reviewer) {
                throw PingshenError("store.no_reviewer", [panel, reviewer])
            }
            let author = reviewer ?? ""
            let old = try String.fetchOne(db, sql: """
                SELECT text FROM opinion WHERE panel_id = ? AND applicant_id = ? AND reviewer_id = ?
                """, arguments: [panel, applicant, author])
            if old == body { return }
            let at = nowText()
            try db.execute(sql: """
                INSERT INTO opinion (panel_id, applicant_id, reviewer_id, text, recorded_at, recorded_by)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (panel_id, applicant_id, reviewer_id)
                DO UPDATE SET text = excluded.text, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
                """, arguments: [panel, applicant, author, body, at, actor])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: Self.opinionEntity(applicant), field: Self.opinionField(reviewer), old: old,
                           new: body, reason: nil)
            try log.save(db)
        }
    }

    /// The panel's opinions and reservations, in applicant order (the panel's opinion first, then reviewers).
    public func opinions(panel: String) throws -> [PanelOpinion] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Self.opinions(db, panel)
        }
    }

    static func opinions(_ db: Database, _ panel: String) throws -> [PanelOpinion] {
        try Row.fetchAll(db, sql: """
            SELECT o.applicant_id, o.reviewer_id, o.text, o.recorded_at, o.recorded_by FROM opinion o
            LEFT JOIN applicant a ON a.panel_id = o.panel_id AND a.id = o.applicant_id
            WHERE o.panel_id = ? ORDER BY a.rowid, o.reviewer_id
            """, arguments: [panel]).map { r in
            let reviewer: String = try r.decode(String.self, atIndex: 1)
            return PanelOpinion(applicant: try r.decode(String.self, atIndex: 0), reviewer: reviewer.isEmpty ? nil : reviewer,
                                text: try r.decode(String.self, atIndex: 2), at: try r.decode(String.self, atIndex: 3),
                                by: try r.decode(String.self, atIndex: 4))
        }
    }

    static func opinionEntity(_ applicant: String) -> String { "opinion:\(applicant)" }
    static func opinionField(_ reviewer: String?) -> String { reviewer.map { "reservation:\($0)" } ?? "panel" }
}
