import Foundation
import GRDB
import PingshenCore

// The local side of sync with a panel server (issue 5): the outbox that every change to a sheet of a linked
// panel writes in its own transaction, the link of a panel to its server (with the pull cursor), and the
// application of pulled changes. The conflict rule is documented in docs/server.md ("The client's sync").

/// A panel's link to a server.
public struct SyncLink: Sendable, Equatable {
    public var panel: String
    public var server: String
    /// `reviewer` (pushes its outbox and pulls) or `chair`/`admin` (pulls only: the server takes changes from reviewers).
    public var role: String
    /// The reviewer id (or chair name) the link was made with.
    public var identity: String
    /// The rubric text received from the server (nil for a chair's link: the chair's rubric directory has it).
    public var rubricYaml: String?
    public var cursor: Int64
    public var panelVersion: Int64?
    public var lastSyncAt: String?
}

/// One row of the outbox: a change made locally, to be sent (pending), sent and acknowledged, or refused.
public struct OutboxEntry: Sendable, Equatable {
    public var seq: Int64
    public var changeId: String
    public var panel: String
    public var kind: String
    public var reviewer: String
    public var applicant: String
    public var round: String
    public var leaf: String?
    public var value: Double?
    public var note: String?
    public var reason: String?
    public var clientTime: String
    public var device: String
    /// pending, sent or refused.
    public var state: String
    /// The server's outcome: `applied`, `replayed`, or the refusal's message.
    public var outcome: String?
}

/// The server's outcome for one outbox row.
public struct OutboxOutcome: Sendable, Equatable {
    public var changeId: String
    public var refused: Bool
    public var outcome: String
    public var serverSeq: Int64?
    public init(changeId: String, refused: Bool, outcome: String, serverSeq: Int64?) {
        self.changeId = changeId
        self.refused = refused
        self.outcome = outcome
        self.serverSeq = serverSeq
    }
}

/// A change pulled from the server's feed (the store's copy of the wire's ServerChange).
public struct PulledChange: Sendable, Equatable {
    public var seq: Int64
    public var changeId: String
    public var kind: String
    public var device: String?
    public var reviewer: String?
    public var applicant: String?
    public var round: String?
    public var leaf: String?
    public var value: Double?
    public var note: String?
    public var reason: String?
    public var receivedAt: String
    public init(seq: Int64, changeId: String, kind: String, device: String?, reviewer: String?, applicant: String?,
                round: String?, leaf: String?, value: Double?, note: String?, reason: String?, receivedAt: String) {
        self.seq = seq
        self.changeId = changeId
        self.kind = kind
        self.device = device
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.leaf = leaf
        self.value = value
        self.note = note
        self.reason = reason
        self.receivedAt = receivedAt
    }
}

/// What applying a pull did.
public struct PullSummary: Sendable, Equatable {
    /// Points, notes and submitted flags written locally (each one audit row).
    public var written = 0
    /// Cells already holding the server's value.
    public var unchanged = 0
    /// Cells left alone because a newer local change is waiting in the outbox.
    public var keptLocal = 0
    /// Changes naming an applicant this database does not know (skipped).
    public var unknown = 0
    /// True when the pull carried the panel's seal (the local panel is now sealed too).
    public var sealed = false
    public init() {}
}

/// An applicant received from the server, with its verified data.
public struct LinkedApplicant: Sendable, Equatable {
    public var info: ApplicantInfo
    public var data: [String: Double]
    public init(info: ApplicantInfo, data: [String: Double]) {
        self.info = info
        self.data = data
    }
}

/// Writes the outbox rows of one transaction, when the panel is linked as a reviewer's.
struct OutboxWriter {
    let panel: String
    let device: String
    let at: String

    /// nil when the panel is not linked, or linked by a chair (the server takes changes from reviewers only).
    init?(_ db: Database, panel: String) throws {
        guard let role = try String.fetchOne(db.cachedStatement(sql: "SELECT role FROM sync_state WHERE panel_id = ?"),
                                             arguments: [panel]), role == "reviewer" else { return nil }
        guard let device = try String.fetchOne(db.cachedStatement(sql: "SELECT device_id FROM sync_device WHERE id = 1"))
        else { return nil }
        self.panel = panel
        self.device = device
        self.at = nowText()
    }

    func add(_ db: Database, kind: String, reviewer: String, applicant: String, round: String, leaf: String? = nil,
             value: Double? = nil, note: String? = nil, reason: String? = nil) throws {
        try db.cachedStatement(sql: """
            INSERT INTO outbox (change_id, panel_id, kind, reviewer, applicant, round, leaf, value, note, reason,
                                client_time, device, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
            """).execute(arguments: [UUID().uuidString.lowercased(), panel, kind, reviewer, applicant, round, leaf, value,
                                     note, reason, at, device])
    }
}

extension PanelStore {
    // MARK: - Device and links

    /// This database's device id (a UUID generated once, by the migration that added sync).
    public func deviceId() throws -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT device_id FROM sync_device WHERE id = 1") ?? "" }
    }

    static let linkColumns = "panel_id, server, role, identity, rubric_yaml, pull_cursor, panel_version, last_sync_at"

    static func link(_ r: Row) throws -> SyncLink {
        SyncLink(panel: try r.decode(String.self, atIndex: 0), server: try r.decode(String.self, atIndex: 1),
                 role: try r.decode(String.self, atIndex: 2), identity: try r.decode(String.self, atIndex: 3),
                 rubricYaml: try r.decode(String?.self, atIndex: 4), cursor: try r.decode(Int64.self, atIndex: 5),
                 panelVersion: try r.decode(Int64?.self, atIndex: 6), lastSyncAt: try r.decode(String?.self, atIndex: 7))
    }

    public func syncLink(panel: String) throws -> SyncLink? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.linkColumns) FROM sync_state WHERE panel_id = ?", arguments: [panel])
                .map(Self.link)
        }
    }

    public func syncLinks() throws -> [SyncLink] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.linkColumns) FROM sync_state ORDER BY panel_id").map(Self.link)
        }
    }

    /// Links an existing local panel to a server (the chair's `push`); a new link starts its pull at 0.
    public func link(panel: String, server: String, role: String, identity: String, panelVersion: Int64?) throws {
        try write { db in
            _ = try loadPanel(db, panel)
            try db.execute(sql: """
                INSERT INTO sync_state (panel_id, server, role, identity, pull_cursor, panel_version, linked_at)
                VALUES (?, ?, ?, ?, 0, ?, ?)
                ON CONFLICT (panel_id) DO UPDATE SET server = excluded.server, role = excluded.role,
                    identity = excluded.identity, panel_version = excluded.panel_version,
                    pull_cursor = CASE WHEN sync_state.server = excluded.server THEN sync_state.pull_cursor ELSE 0 END
                """, arguments: [panel, server, role, identity, panelVersion, nowText()])
        }
    }

    /// Creates a panel received from a server (a reviewer's first sync) and links it, in one transaction:
    /// the panel, its round, the given reviewers, the applicants with their verified data, the recusals.
    public func createLinkedPanel(_ info: PanelInfo, server: String, role: String, identity: String, rubricYaml: String,
                                  panelVersion: Int64, reviewers: [ReviewerInfo], applicants: [LinkedApplicant],
                                  recusals: [Recusal], actor: String) throws {
        try write { db in
            let at = nowText()
            var log = try insertPanel(db, info, at: at, actor: actor, extraFields: [("server", server)])
            for r in reviewers {
                try db.execute(sql: "INSERT INTO reviewer (panel_id, id, name, added_at) VALUES (?, ?, ?, ?)",
                               arguments: [info.id, r.id, r.name, at])
                try log.append(db, entity: "reviewer:\(r.id)", field: "name", old: nil, new: r.name, reason: nil)
            }
            for a in applicants {
                try db.execute(sql: "INSERT INTO applicant (panel_id, id, name, industry, added_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [info.id, a.info.id, a.info.name, a.info.industry, at])
                try log.append(db, entity: "applicant:\(a.info.id)", field: "name", old: nil, new: a.info.name, reason: nil)
                if let ind = a.info.industry {
                    try log.append(db, entity: "applicant:\(a.info.id)", field: "industry", old: nil, new: ind, reason: nil)
                }
                for key in a.data.keys.sorted() {
                    guard let v = a.data[key] else { continue }
                    try db.execute(sql: "INSERT INTO applicant_value (panel_id, applicant_id, key, value) VALUES (?, ?, ?, ?)",
                                   arguments: [info.id, a.info.id, key, v])
                    try log.append(db, entity: "data:\(a.info.id)", field: key, old: nil, new: numberText(v), reason: nil)
                }
            }
            for r in recusals {
                try db.execute(sql: """
                    INSERT INTO recusal (panel_id, reviewer_id, applicant_id, reason, recused_at, recused_by)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [info.id, r.reviewer, r.applicant, r.reason, at, actor])
                try log.append(db, entity: "recusal:\(r.reviewer)/\(r.applicant)", field: "recused", old: nil, new: "1",
                               reason: r.reason)
            }
            try log.save(db)
            try db.execute(sql: """
                INSERT INTO sync_state (panel_id, server, role, identity, rubric_yaml, pull_cursor, panel_version, linked_at)
                VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                """, arguments: [info.id, server, role, identity, rubricYaml, panelVersion, at])
        }
    }

    /// Brings a reviewer's linked panel up to the server's after the chair changed it (`panel_updated`): title,
    /// current round, rubric text, applicants (new ones, names, industries), verified data, and the reviewer's own
    /// recusals; one transaction with its audit rows. Returns the number of values written.
    @discardableResult
    public func refreshLinkedPanel(panel: String, title: String, round: String, rubricYaml: String?,
                                   applicants: [LinkedApplicant], reviewer: String, recused: Set<String>,
                                   panelVersion: Int64, actor: String) throws -> Int {
        try write { db in
            let p = try loadPanel(db, panel)
            var n = 0
            if p.info.sealedAt == nil {
                let at = nowText()
                var log = AuditChain(p, at: at, actor: actor)
                if title != p.info.title {
                    try db.execute(sql: "UPDATE panel SET title = ? WHERE id = ?", arguments: [title, panel])
                    try log.append(db, entity: "panel", field: "title", old: p.info.title, new: title, reason: "sync")
                    n += 1
                }
                if round != p.info.round {
                    if try !(Bool.fetchOne(db, sql: "SELECT 1 FROM panel_round WHERE panel_id = ? AND round = ?",
                                           arguments: [panel, round]) ?? false) {
                        let seq = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM panel_round WHERE panel_id = ?",
                                                    arguments: [panel]) ?? 0) + 1
                        try db.execute(sql: "INSERT INTO panel_round (panel_id, seq, round, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
                                       arguments: [panel, seq, round, at, actor])
                    }
                    try db.execute(sql: "UPDATE panel SET round = ? WHERE id = ?", arguments: [round, panel])
                    try log.append(db, entity: "panel", field: "round", old: p.info.round, new: round, reason: "sync")
                    n += 1
                }
                for a in applicants {
                    let entity = "applicant:\(a.info.id)"
                    if let row = try Row.fetchOne(db, sql: "SELECT name, industry FROM applicant WHERE panel_id = ? AND id = ?",
                                                  arguments: [panel, a.info.id]) {
                        let (name, industry) = (try row.decode(String.self, atIndex: 0), try row.decode(String?.self, atIndex: 1))
                        if name != a.info.name || industry != a.info.industry {
                            try db.execute(sql: "UPDATE applicant SET name = ?, industry = ? WHERE panel_id = ? AND id = ?",
                                           arguments: [a.info.name, a.info.industry, panel, a.info.id])
                            if name != a.info.name {
                                try log.append(db, entity: entity, field: "name", old: name, new: a.info.name, reason: "sync")
                            }
                            if industry != a.info.industry {
                                try log.append(db, entity: entity, field: "industry", old: industry, new: a.info.industry, reason: "sync")
                            }
                            n += 1
                        }
                    } else {
                        try db.execute(sql: "INSERT INTO applicant (panel_id, id, name, industry, added_at) VALUES (?, ?, ?, ?, ?)",
                                       arguments: [panel, a.info.id, a.info.name, a.info.industry, at])
                        try log.append(db, entity: entity, field: "name", old: nil, new: a.info.name, reason: "sync")
                        n += 1
                    }
                    for key in a.data.keys.sorted() {
                        guard let v = a.data[key] else { continue }
                        let old = try Double.fetchOne(db, sql: """
                            SELECT value FROM applicant_value WHERE panel_id = ? AND applicant_id = ? AND key = ?
                            """, arguments: [panel, a.info.id, key])
                        if old == v { continue }
                        try db.execute(sql: """
                            INSERT INTO applicant_value (panel_id, applicant_id, key, value) VALUES (?, ?, ?, ?)
                            ON CONFLICT (panel_id, applicant_id, key) DO UPDATE SET value = excluded.value
                            """, arguments: [panel, a.info.id, key, v])
                        try log.append(db, entity: "data:\(a.info.id)", field: key, old: old.map(numberText), new: numberText(v),
                                       reason: "sync")
                        n += 1
                    }
                }
                if try reviewerExists(db, panel, reviewer) {
                    for a in recused.sorted() where try applicantExists(db, panel, a) && !isRecused(db, panel, reviewer, a) {
                        try db.execute(sql: """
                            INSERT INTO recusal (panel_id, reviewer_id, applicant_id, reason, recused_at, recused_by)
                            VALUES (?, ?, ?, 'server', ?, ?)
                            """, arguments: [panel, reviewer, a, at, actor])
                        try log.append(db, entity: "recusal:\(reviewer)/\(a)", field: "recused", old: nil, new: "1", reason: "sync")
                        n += 1
                    }
                }
                try log.save(db)
            }
            try db.execute(sql: """
                UPDATE sync_state SET panel_version = ?, rubric_yaml = COALESCE(?, rubric_yaml) WHERE panel_id = ?
                """, arguments: [panelVersion, rubricYaml, panel])
            return n
        }
    }

    // MARK: - Outbox

    static let outboxColumns = """
        seq, change_id, panel_id, kind, reviewer, applicant, round, leaf, value, note, reason, client_time, device, state, outcome
        """

    static func outboxEntry(_ r: Row) throws -> OutboxEntry {
        OutboxEntry(seq: try r.decode(Int64.self, atIndex: 0), changeId: try r.decode(String.self, atIndex: 1),
                    panel: try r.decode(String.self, atIndex: 2), kind: try r.decode(String.self, atIndex: 3),
                    reviewer: try r.decode(String.self, atIndex: 4), applicant: try r.decode(String.self, atIndex: 5),
                    round: try r.decode(String.self, atIndex: 6), leaf: try r.decode(String?.self, atIndex: 7),
                    value: try r.decode(Double?.self, atIndex: 8), note: try r.decode(String?.self, atIndex: 9),
                    reason: try r.decode(String?.self, atIndex: 10), clientTime: try r.decode(String.self, atIndex: 11),
                    device: try r.decode(String.self, atIndex: 12), state: try r.decode(String.self, atIndex: 13),
                    outcome: try r.decode(String?.self, atIndex: 14))
    }

    /// Outbox rows of a panel in the order they were made; `state` filters (pending, sent, refused).
    public func outbox(panel: String, state: String? = nil, limit: Int = Int.max) throws -> [OutboxEntry] {
        try read { db in
            var sql = "SELECT \(Self.outboxColumns) FROM outbox WHERE panel_id = ?"
            var args: [DatabaseValueConvertible?] = [panel]
            if let state {
                sql += " AND state = ?"
                args.append(state)
            }
            sql += " ORDER BY seq LIMIT ?"
            args.append(Int64(clamping: limit))
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.outboxEntry)
        }
    }

    /// Records the server's outcome of sent changes (one transaction): applied or replayed rows become
    /// `sent`, refused ones `refused` with the server's reason. Rows already settled are left alone.
    public func settleOutbox(_ outcomes: [OutboxOutcome]) throws {
        try write { db in
            let at = nowText()
            let st = try db.cachedStatement(sql: """
                UPDATE outbox SET state = ?, outcome = ?, server_seq = ?, settled_at = ? WHERE change_id = ? AND state = 'pending'
                """)
            for o in outcomes {
                try st.execute(arguments: [o.refused ? "refused" : "sent", o.outcome, o.serverSeq, at, o.changeId])
            }
        }
    }

    // MARK: - Applying a pull

    private struct CellKey: Hashable {
        var reviewer: String
        var applicant: String
        var round: String
        var leaf: String
        var note: Bool
    }

    private struct SheetKey: Hashable {
        var reviewer: String
        var applicant: String
        var round: String
    }

    /// Applies pulled changes and saves the new cursor, in one transaction (a crash leaves the old cursor
    /// and nothing applied; the next pull repeats it).
    ///
    /// The server is authoritative and orders by its own receive time: for every cell (points of a leaf, a
    /// note, a sheet's submitted flag) the LAST change of the pull (highest `seq`) is written locally —
    /// unless the outbox holds a pending change of that cell, which was made after this device last pushed
    /// and will reach the server (and win there, being received later) on the next push. Each written value
    /// gets an audit row (`actor`, reason `sync #seq device received-at`), so the local chain stays intact.
    /// A pulled seal seals the local panel.
    public func applyPulled(panel: String, changes: [PulledChange], cursor: Int64, panelVersion: Int64?,
                            actor: String) throws -> PullSummary {
        try write { db in
            let p = try loadPanel(db, panel)
            var summary = PullSummary()
            let at = nowText()
            if p.info.sealedAt == nil {
                var cells: [CellKey: PulledChange] = [:]
                var sheets: [SheetKey: PulledChange] = [:]
                var seal: PulledChange?
                for c in changes {
                    guard let r = c.reviewer, let a = c.applicant, let round = c.round else {
                        if c.kind == "sealed" { seal = c }
                        continue
                    }
                    switch c.kind {
                    case "set_points", "clear_points", "set_note":
                        guard let leaf = c.leaf else { continue }
                        cells[CellKey(reviewer: r, applicant: a, round: round, leaf: leaf, note: c.kind == "set_note")] = c
                    case "submit", "reopen":
                        sheets[SheetKey(reviewer: r, applicant: a, round: round)] = c
                    case "sealed":
                        seal = c
                    default:
                        continue
                    }
                }
                var pendingCells = Set<CellKey>()
                var pendingSheets = Set<SheetKey>()
                for row in try Row.fetchAll(db, sql: """
                    SELECT kind, reviewer, applicant, round, leaf FROM outbox WHERE panel_id = ? AND state = 'pending'
                    """, arguments: [panel]) {
                    let kind = try row.decode(String.self, atIndex: 0)
                    let (r, a, round) = (try row.decode(String.self, atIndex: 1), try row.decode(String.self, atIndex: 2),
                                         try row.decode(String.self, atIndex: 3))
                    if let leaf = try row.decode(String?.self, atIndex: 4) {
                        pendingCells.insert(CellKey(reviewer: r, applicant: a, round: round, leaf: leaf, note: kind == "set_note"))
                    } else {
                        pendingSheets.insert(SheetKey(reviewer: r, applicant: a, round: round))
                    }
                }
                var log = AuditChain(p, at: at, actor: actor)
                var sheetIds: [SheetKey: Int64] = [:]
                func sheetId(_ k: SheetKey) throws -> Int64? {
                    if let id = sheetIds[k] { return id }
                    if try !applicantExists(db, panel, k.applicant) { return nil }
                    if try !reviewerExists(db, panel, k.reviewer) {
                        try db.execute(sql: "INSERT INTO reviewer (panel_id, id, name, added_at) VALUES (?, ?, ?, ?)",
                                       arguments: [panel, k.reviewer, k.reviewer, at])
                        try log.append(db, entity: "reviewer:\(k.reviewer)", field: "name", old: nil, new: k.reviewer, reason: "sync")
                    }
                    if try !(Bool.fetchOne(db, sql: "SELECT 1 FROM panel_round WHERE panel_id = ? AND round = ?",
                                           arguments: [panel, k.round]) ?? false) {
                        let seq = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM panel_round WHERE panel_id = ?",
                                                    arguments: [panel]) ?? 0) + 1
                        try db.execute(sql: "INSERT INTO panel_round (panel_id, seq, round, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)",
                                       arguments: [panel, seq, k.round, at, actor])
                    }
                    let id: Int64
                    if let existing = try Int64.fetchOne(db.cachedStatement(sql: """
                        SELECT id FROM sheet WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ? AND round = ?
                        """), arguments: [panel, k.reviewer, k.applicant, k.round]) {
                        id = existing
                    } else {
                        try db.cachedStatement(sql: """
                            INSERT INTO sheet (panel_id, reviewer_id, applicant_id, round, submitted, updated_at) VALUES (?, ?, ?, ?, 0, ?)
                            """).execute(arguments: [panel, k.reviewer, k.applicant, k.round, at])
                        id = db.lastInsertedRowID
                    }
                    sheetIds[k] = id
                    return id
                }
                func why(_ c: PulledChange) -> String { "sync #\(c.seq) \(c.device ?? "-") \(c.receivedAt)" }

                for (k, c) in cells.sorted(by: { $0.value.seq < $1.value.seq }) {
                    if pendingCells.contains(k) {
                        summary.keptLocal += 1
                        continue
                    }
                    let sk = SheetKey(reviewer: k.reviewer, applicant: k.applicant, round: k.round)
                    guard let sheet = try sheetId(sk) else {
                        summary.unknown += 1
                        continue
                    }
                    let entity = Self.sheetEntity(k.reviewer, k.applicant, k.round)
                    if k.note {
                        let old = try String.fetchOne(db, sql: "SELECT note FROM sheet_note WHERE sheet_id = ? AND leaf_id = ?",
                                                      arguments: [sheet, k.leaf])
                        let new = (c.note?.isEmpty ?? true) ? nil : c.note
                        if old == new {
                            summary.unchanged += 1
                            continue
                        }
                        if let new {
                            try db.cachedStatement(sql: """
                                INSERT INTO sheet_note (sheet_id, leaf_id, note) VALUES (?, ?, ?)
                                ON CONFLICT (sheet_id, leaf_id) DO UPDATE SET note = excluded.note
                                """).execute(arguments: [sheet, k.leaf, new])
                        } else {
                            try db.cachedStatement(sql: "DELETE FROM sheet_note WHERE sheet_id = ? AND leaf_id = ?").execute(arguments: [sheet, k.leaf])
                        }
                        try log.append(db, entity: entity, field: "note:\(k.leaf)", old: old, new: new, reason: why(c))
                    } else {
                        let old = try Double.fetchOne(db, sql: "SELECT points FROM sheet_point WHERE sheet_id = ? AND leaf_id = ?",
                                                      arguments: [sheet, k.leaf])
                        let new = c.kind == "set_points" ? c.value : nil
                        if old == new {
                            summary.unchanged += 1
                            continue
                        }
                        if let new {
                            try db.cachedStatement(sql: """
                                INSERT INTO sheet_point (sheet_id, leaf_id, points) VALUES (?, ?, ?)
                                ON CONFLICT (sheet_id, leaf_id) DO UPDATE SET points = excluded.points
                                """).execute(arguments: [sheet, k.leaf, new])
                        } else {
                            try db.cachedStatement(sql: "DELETE FROM sheet_point WHERE sheet_id = ? AND leaf_id = ?").execute(arguments: [sheet, k.leaf])
                        }
                        try log.append(db, entity: entity, field: k.leaf, old: old.map(numberText), new: new.map(numberText),
                                       reason: why(c))
                    }
                    try db.cachedStatement(sql: "UPDATE sheet SET updated_at = ? WHERE id = ?").execute(arguments: [at, sheet])
                    summary.written += 1
                }
                for (k, c) in sheets.sorted(by: { $0.value.seq < $1.value.seq }) {
                    if pendingSheets.contains(k) {
                        summary.keptLocal += 1
                        continue
                    }
                    guard let sheet = try sheetId(k) else {
                        summary.unknown += 1
                        continue
                    }
                    let old = try Bool.fetchOne(db.cachedStatement(sql: "SELECT submitted FROM sheet WHERE id = ?"), arguments: [sheet]) ?? false
                    let new = c.kind == "submit"
                    if old == new {
                        summary.unchanged += 1
                        continue
                    }
                    try db.execute(sql: "UPDATE sheet SET submitted = ?, submitted_at = ?, updated_at = ? WHERE id = ?",
                                   arguments: [new, new ? c.receivedAt : nil, at, sheet])
                    try log.append(db, entity: Self.sheetEntity(k.reviewer, k.applicant, k.round), field: "submitted",
                                   old: old ? "1" : "0", new: new ? "1" : "0",
                                   reason: c.reason.map { why(c) + ": " + $0 } ?? why(c))
                    summary.written += 1
                }
                if let seal {
                    // The server sealed the panel: seal the local copy too, so that later local changes are refused at once.
                    let by = "server:" + (seal.reviewer ?? seal.device ?? "chair")
                    try log.append(db, entity: "panel", field: "sealed", old: nil, new: "server #\(seal.seq)", reason: why(seal))
                    try db.cachedStatement(sql: """
                        UPDATE panel SET sealed_at = ?, sealed_by = ?, seal_digest = ?, seal_audit_head = ?,
                                         audit_head = ?, audit_count = ?
                        WHERE id = ?
                        """).execute(arguments: [seal.receivedAt, by, "server #\(seal.seq)", log.head, log.head, log.count, panel])
                    summary.sealed = true
                } else {
                    try log.save(db)
                }
            }
            try db.execute(sql: """
                UPDATE sync_state SET pull_cursor = ?, last_sync_at = ?, panel_version = COALESCE(?, panel_version)
                WHERE panel_id = ?
                """, arguments: [cursor, at, panelVersion, panel])
            return summary
        }
    }
}
