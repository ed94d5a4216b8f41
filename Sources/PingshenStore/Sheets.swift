import Foundation
import GRDB
import PingshenCore

/// A sheet's state without its points (for progress tables).
public struct SheetSummary: Sendable, Equatable {
    public var reviewer: String
    public var applicant: String
    public var round: String
    public var submitted: Bool
    /// Leaf ids that have points.
    public var scored: Set<String>
    public var updatedAt: String
}

extension PanelStore {
    // MARK: - Reading sheets

    /// One sheet (of `round`, default the panel's current round), or nil when nothing was scored yet.
    public func sheet(panel: String, reviewer: String, applicant: String, round: String? = nil) throws -> SheetRecord? {
        try read { db in
            let p = try loadPanel(db, panel)
            let r = round ?? p.info.round
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT id, submitted FROM sheet WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ? AND round = ?
                """), arguments: [panel, reviewer, applicant, r]) else { return nil }
            let id: Int64 = row["id"]
            var s = SheetRecord(reviewer: reviewer, applicant: applicant, round: r, submitted: row["submitted"])
            for pr in try Row.fetchAll(db.cachedStatement(sql: "SELECT leaf_id, points FROM sheet_point WHERE sheet_id = ?"),
                                       arguments: [id]) {
                s.points[pr["leaf_id"]] = pr["points"]
            }
            for nr in try Row.fetchAll(db.cachedStatement(sql: "SELECT leaf_id, note FROM sheet_note WHERE sheet_id = ?"),
                                       arguments: [id]) {
                s.notes[nr["leaf_id"]] = nr["note"]
            }
            return s
        }
    }

    /// Every sheet of a round (default: current) with the leaves it has points for.
    public func sheetSummaries(panel: String, round: String? = nil) throws -> [SheetSummary] {
        try read { db in
            let p = try loadPanel(db, panel)
            let r = round ?? p.info.round
            var byId: [Int64: SheetSummary] = [:]
            var order: [Int64] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT id, reviewer_id, applicant_id, submitted, updated_at FROM sheet
                WHERE panel_id = ? AND round = ? ORDER BY id
                """, arguments: [panel, r]) {
                let id: Int64 = row["id"]
                order.append(id)
                byId[id] = SheetSummary(reviewer: row["reviewer_id"], applicant: row["applicant_id"], round: r,
                                        submitted: row["submitted"], scored: [], updatedAt: row["updated_at"])
            }
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT sp.sheet_id, sp.leaf_id FROM sheet_point sp JOIN sheet s ON s.id = sp.sheet_id
                WHERE s.panel_id = ? AND s.round = ?
                """, arguments: [panel, r])
            while let row = try cursor.next() {
                byId[row["sheet_id"]]?.scored.insert(row["leaf_id"])
            }
            return order.compactMap { byId[$0] }
        }
    }

    // MARK: - Writing sheets

    /// The id of the reviewer's sheet for the applicant in the panel's current round, created when
    /// missing. Refuses unknown members, a recused reviewer and a submitted sheet.
    func writableSheet(_ db: Database, _ p: PanelRow, _ reviewer: String, _ applicant: String, at: String,
                       created: inout Bool) throws -> Int64 {
        let panel = p.info.id
        try requireMembers(db, panel, reviewer, applicant)
        if try isRecused(db, panel, reviewer, applicant) {
            throw PingshenError("store.recused", [reviewer, applicant])
        }
        // A panel with an assignment (issue 11) takes sheets only for assigned pairs.
        try requireAssigned(db, panel, reviewer, applicant)
        let find = try db.cachedStatement(sql: """
            SELECT id, submitted FROM sheet WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ? AND round = ?
            """)
        if let row = try Row.fetchOne(find, arguments: [panel, reviewer, applicant, p.info.round]) {
            if row["submitted"] as Bool {
                throw PingshenError("store.submitted", [reviewer, applicant, p.info.round])
            }
            let id: Int64 = row["id"]
            try db.cachedStatement(sql: "UPDATE sheet SET updated_at = ? WHERE id = ?").execute(arguments: [at, id])
            return id
        }
        try db.cachedStatement(sql: """
            INSERT INTO sheet (panel_id, reviewer_id, applicant_id, round, submitted, updated_at) VALUES (?, ?, ?, ?, 0, ?)
            """).execute(arguments: [panel, reviewer, applicant, p.info.round, at])
        created = true
        return db.lastInsertedRowID
    }

    static func sheetEntity(_ reviewer: String, _ applicant: String, _ round: String) -> String {
        "sheet:\(reviewer)/\(applicant)/\(round)"
    }

    /// Sets (or, with nil, clears) the points of one leaf on the reviewer's current-round sheet: one
    /// transaction with its audit row, committed when this returns. Returns the previous points.
    /// The caller checks the points against the rubric (`validatePoints`).
    @discardableResult
    public func setPoints(panel: String, reviewer: String, applicant: String, leaf: String, points: Double?,
                          actor: String, reason: String? = nil) throws -> Double? {
        try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var created = false
            let sheet = try writableSheet(db, p, reviewer, applicant, at: at, created: &created)
            let old = try Double.fetchOne(db.cachedStatement(sql: "SELECT points FROM sheet_point WHERE sheet_id = ? AND leaf_id = ?"),
                                          arguments: [sheet, leaf])
            if old == points { return old }
            if let points {
                try db.cachedStatement(sql: """
                    INSERT INTO sheet_point (sheet_id, leaf_id, points) VALUES (?, ?, ?)
                    ON CONFLICT (sheet_id, leaf_id) DO UPDATE SET points = excluded.points
                    """).execute(arguments: [sheet, leaf, points])
            } else {
                try db.cachedStatement(sql: "DELETE FROM sheet_point WHERE sheet_id = ? AND leaf_id = ?")
                    .execute(arguments: [sheet, leaf])
            }
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: Self.sheetEntity(reviewer, applicant, p.info.round), field: leaf,
                           old: old.map(numberText), new: points.map(numberText), reason: reason)
            try log.save(db)
            try OutboxWriter(db, panel: panel)?.add(db, kind: points == nil ? .clearPoints : .setPoints, reviewer: reviewer,
                                                     applicant: applicant, round: p.info.round, leaf: leaf, value: points,
                                                     reason: reason)
            return old
        }
    }

    /// Sets (or, with nil or empty text, removes) the reviewer's note on one leaf.
    public func setNote(panel: String, reviewer: String, applicant: String, leaf: String, note: String?,
                        actor: String) throws {
        let note = (note?.isEmpty ?? true) ? nil : note
        if let note { try checkFreeText(note, field: "note", max: ChangeLimits.note) }
        try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var created = false
            let sheet = try writableSheet(db, p, reviewer, applicant, at: at, created: &created)
            let old = try String.fetchOne(db, sql: "SELECT note FROM sheet_note WHERE sheet_id = ? AND leaf_id = ?",
                                          arguments: [sheet, leaf])
            if old == note { return }
            if let note {
                try db.execute(sql: """
                    INSERT INTO sheet_note (sheet_id, leaf_id, note) VALUES (?, ?, ?)
                    ON CONFLICT (sheet_id, leaf_id) DO UPDATE SET note = excluded.note
                    """, arguments: [sheet, leaf, note])
            } else {
                try db.execute(sql: "DELETE FROM sheet_note WHERE sheet_id = ? AND leaf_id = ?", arguments: [sheet, leaf])
            }
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: Self.sheetEntity(reviewer, applicant, p.info.round), field: "note:\(leaf)",
                           old: old, new: note, reason: nil)
            try log.save(db)
            try OutboxWriter(db, panel: panel)?.add(db, kind: .setNote, reviewer: reviewer, applicant: applicant,
                                                     round: p.info.round, leaf: leaf, note: note ?? "")
        }
    }

    /// Writes sheets read from files into the panel's current round, all in one transaction (any
    /// refusal writes nothing). Points given replace stored points of the same leaves; with `submit`,
    /// each sheet is then marked submitted (the caller checks completeness against the rubric).
    @discardableResult
    public func importSheets(panel: String, _ inputs: [SheetInput], submit: Bool = false, actor: String,
                             reason: String? = nil) throws -> ImportSummary {
        for i in inputs {
            for (leaf, n) in i.notes { try checkFreeText(n, field: "note \(leaf)", max: ChangeLimits.note) }
        }
        return try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var log = AuditChain(p, at: at, actor: actor)
            let outbox = try OutboxWriter(db, panel: panel)
            var summary = ImportSummary()
            let getPoints = try db.cachedStatement(sql: "SELECT leaf_id, points FROM sheet_point WHERE sheet_id = ?")
            let putPoint = try db.cachedStatement(sql: """
                INSERT INTO sheet_point (sheet_id, leaf_id, points) VALUES (?, ?, ?)
                ON CONFLICT (sheet_id, leaf_id) DO UPDATE SET points = excluded.points
                """)
            let getNotes = try db.cachedStatement(sql: "SELECT leaf_id, note FROM sheet_note WHERE sheet_id = ?")
            let putNote = try db.cachedStatement(sql: """
                INSERT INTO sheet_note (sheet_id, leaf_id, note) VALUES (?, ?, ?)
                ON CONFLICT (sheet_id, leaf_id) DO UPDATE SET note = excluded.note
                """)
            let markSubmitted = try db.cachedStatement(sql: "UPDATE sheet SET submitted = 1, submitted_at = ? WHERE id = ?")
            for s in inputs {
                var created = false
                let sheet: Int64
                do {
                    sheet = try writableSheet(db, p, s.reviewer, s.applicant, at: at, created: &created)
                } catch var e as PingshenError {
                    if e.location == nil && !s.file.isEmpty {
                        e.location = SourceLocation(file: s.file, line: s.line, field: "applicant")
                    }
                    throw e
                }
                summary.blocks += 1
                if created { summary.created += 1 }
                let entity = Self.sheetEntity(s.reviewer, s.applicant, p.info.round)
                var stored: [String: Double] = [:]
                if !created {
                    let c = try Row.fetchCursor(getPoints, arguments: [sheet])
                    while let r = try c.next() { stored[r["leaf_id"]] = r["points"] }
                }
                for leaf in s.points.keys.sorted() {
                    guard let v = s.points[leaf] else { continue }
                    let old = stored[leaf]
                    if old == v {
                        summary.unchanged += 1
                        continue
                    }
                    try putPoint.execute(arguments: [sheet, leaf, v])
                    try log.append(db, entity: entity, field: leaf, old: old.map(numberText), new: numberText(v), reason: reason)
                    try outbox?.add(db, kind: .setPoints, reviewer: s.reviewer, applicant: s.applicant, round: p.info.round,
                                    leaf: leaf, value: v, reason: reason)
                    summary.changed += 1
                }
                if !s.notes.isEmpty {
                    var storedNotes: [String: String] = [:]
                    if !created {
                        let c = try Row.fetchCursor(getNotes, arguments: [sheet])
                        while let r = try c.next() {
                            storedNotes[r["leaf_id"]] = r["note"]
                        }
                    }
                    for leaf in s.notes.keys.sorted() {
                        guard let n = s.notes[leaf], storedNotes[leaf] != n else {
                            summary.unchanged += 1
                            continue
                        }
                        try putNote.execute(arguments: [sheet, leaf, n])
                        try log.append(db, entity: entity, field: "note:\(leaf)", old: storedNotes[leaf], new: n, reason: reason)
                        try outbox?.add(db, kind: .setNote, reviewer: s.reviewer, applicant: s.applicant, round: p.info.round,
                                        leaf: leaf, note: n, reason: reason)
                        summary.changed += 1
                    }
                }
                if submit {
                    try markSubmitted.execute(arguments: [at, sheet])
                    try log.append(db, entity: entity, field: "submitted", old: "0", new: "1", reason: reason)
                    try outbox?.add(db, kind: .submit, reviewer: s.reviewer, applicant: s.applicant, round: p.info.round,
                                    reason: reason)
                    summary.submitted += 1
                }
            }
            try log.save(db)
            return summary
        }
    }

    /// The reviewer declares the current-round sheet complete; it then changes only after `reopen`.
    /// The caller checks completeness against the rubric (a rubric of value leaves only has nothing to
    /// score: its sheet is created here, empty).
    public func submit(panel: String, reviewer: String, applicant: String, actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var created = false
            let sheet = try writableSheet(db, p, reviewer, applicant, at: at, created: &created)
            try db.execute(sql: "UPDATE sheet SET submitted = 1, submitted_at = ?, updated_at = ? WHERE id = ?",
                           arguments: [at, at, sheet])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: Self.sheetEntity(reviewer, applicant, p.info.round), field: "submitted",
                           old: "0", new: "1", reason: nil)
            try log.save(db)
            try OutboxWriter(db, panel: panel)?.add(db, kind: .submit, reviewer: reviewer, applicant: applicant,
                                                     round: p.info.round)
        }
    }

    /// Reopens a submitted current-round sheet for changes; the reason is logged.
    public func reopen(panel: String, reviewer: String, applicant: String, reason: String, actor: String) throws {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw PingshenError("store.reason_required", []) }
        try checkFreeText(reason, field: "reason", max: ChangeLimits.reason)
        try write { db in
            let p = try openPanel(db, panel)
            try requireMembers(db, panel, reviewer, applicant)
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, submitted FROM sheet WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ? AND round = ?
                """, arguments: [panel, reviewer, applicant, p.info.round]) else {
                throw PingshenError("store.no_sheet", [reviewer, applicant, p.info.round])
            }
            guard row["submitted"] as Bool else {
                throw PingshenError("store.not_submitted", [reviewer, applicant, p.info.round])
            }
            let at = nowText()
            try db.execute(sql: "UPDATE sheet SET submitted = 0, submitted_at = NULL, updated_at = ? WHERE id = ?",
                           arguments: [at, row["id"] as Int64])
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: Self.sheetEntity(reviewer, applicant, p.info.round), field: "submitted",
                           old: "1", new: "0", reason: reason)
            try log.save(db)
            try OutboxWriter(db, panel: panel)?.add(db, kind: .reopen, reviewer: reviewer, applicant: applicant,
                                                     round: p.info.round, reason: reason)
        }
    }
}


/// Free text kept in the log and sent to a server (notes, reasons): tab and line breaks are allowed, other
/// control characters are refused here, at entry, so that a queued change can never be refused later as a
/// whole push (the server's rule is the same).
func checkFreeText(_ text: String, field: String, max: Int) throws {
    if let bad = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control && !["\t", "\n", "\r"].contains($0) }) {
        throw PingshenError("store.control_char", [field, String(format: "U+%04X", bad.value)])
    }
    if text.unicodeScalars.count > max { throw PingshenError("store.text_too_long", [field, String(max)]) }
}
