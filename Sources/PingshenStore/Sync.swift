import Foundation
import GRDB
import PingshenCore

// The local side of sync with a panel server (issue 5): the outbox that every change to a sheet of a linked
// panel writes in its own transaction, the link of a panel to its server (with the pull cursor), and the
// application of pulled changes. The conflict rule is documented in docs/server.md ("The client's sync").

/// A panel's link to a server. A GRDB record of `sync_state`.
public struct SyncLink: Sendable, Equatable, FetchableRecord {
    public var panel: String
    public var server: String
    /// `reviewer` (pushes its outbox and pulls) or `chair`/`admin` (pulls only: the server takes changes from reviewers).
    public var role: PanelRole
    /// The reviewer id (or chair name) the link was made with.
    public var identity: String
    /// The rubric text received from the server (nil for a chair's link: the chair's rubric directory has it).
    public var rubricYaml: String?
    public var cursor: Int64
    public var panelVersion: Int64?
    public var lastSyncAt: String?
    /// True once the server said the chair released the panel: a reviewer's copy then holds every sheet.
    public var released: Bool

    public init(row r: Row) throws {
        panel = r["panel_id"]
        server = r["server"]
        let roleText: String = r["role"]
        role = PanelRole(rawValue: roleText) ?? .reviewer
        identity = r["identity"]
        rubricYaml = r["rubric_yaml"]
        cursor = r["pull_cursor"]
        panelVersion = r["panel_version"]
        lastSyncAt = r["last_sync_at"]
        released = r["released"]
    }

    /// Whether this copy holds every input of the panel (every reviewer's sheets): a chair's copy always, a
    /// reviewer's once the panel was released.
    public var holdsEveryInput: Bool { role.chairs || released }
}

/// One change of the outbox (a GRDB record of `outbox`): made locally, then sent and acknowledged, or refused.
public struct OutboxRow: Sendable, Equatable, FetchableRecord {
    public var seq: Int64
    public var panel: String
    public var change: Change
    public var state: OutboxState
    /// The server's outcome: `applied`, `replayed`, or the refusal's message.
    public var outcome: String?

    public init(row r: Row) throws {
        seq = r["seq"]
        panel = r["panel_id"]
        let kindText: String = r["kind"]
        // A row written by a newer version with a kind this one does not know is kept as a note-less reopen
        // marker and settled as refused by the sync (never sent).
        guard let kind = ChangeKind(rawValue: kindText) else {
            throw PingshenError("store.outbox_kind", [kindText])
        }
        change = Change(changeId: r["change_id"], device: r["device"], kind: kind, reviewer: r["reviewer"],
                        applicant: r["applicant"], round: r["round"], leaf: r["leaf"], value: r["value"], note: r["note"],
                        reason: r["reason"], clientTime: r["client_time"])
        let stateText: String = r["state"]
        state = OutboxState(rawValue: stateText) ?? .pending
        outcome = r["outcome"]
    }
}

/// The server's outcome for one outbox row.
public struct OutboxOutcome: Sendable, Equatable {
    public var changeId: String
    public var state: OutboxState
    public var outcome: String
    public var serverSeq: Int64?
    public init(changeId: String, state: OutboxState, outcome: String, serverSeq: Int64?) {
        self.changeId = changeId
        self.state = state
        self.outcome = outcome
        self.serverSeq = serverSeq
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
    /// Scores this device had sent that a later write from another device replaced (last writer wins).
    public var conflicts: [SyncConflict] = []
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

/// A panel's members as the server lists them: applicants with their data, reviewers with their names, and
/// every recusal.
public struct LinkedRoster: Sendable, Equatable {
    public var applicants: [LinkedApplicant]
    public var reviewers: [ReviewerInfo]
    public var recusals: [Recusal]
    public init(applicants: [LinkedApplicant], reviewers: [ReviewerInfo], recusals: [Recusal]) {
        self.applicants = applicants
        self.reviewers = reviewers
        self.recusals = recusals
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
                                             arguments: [panel]), role == PanelRole.reviewer.rawValue else { return nil }
        guard let device = try String.fetchOne(db.cachedStatement(sql: "SELECT device_id FROM sync_device WHERE id = 1"))
        else { return nil }
        self.panel = panel
        self.device = device
        self.at = nowText()
    }

    func add(_ db: Database, kind: ChangeKind, reviewer: String, applicant: String, round: String, leaf: String? = nil,
             value: Double? = nil, note: String? = nil, reason: String? = nil) throws {
        let c = Change(device: device, kind: kind, reviewer: reviewer, applicant: applicant, round: round, leaf: leaf,
                       value: value, note: note, reason: reason, clientTime: at)
        try db.cachedStatement(sql: """
            INSERT INTO outbox (change_id, panel_id, kind, reviewer, applicant, round, leaf, value, note, reason,
                                client_time, device, state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')
            """).execute(arguments: [c.changeId, panel, c.kind.rawValue, c.reviewer, c.applicant, c.round, c.leaf, c.value,
                                     c.note, c.reason, c.clientTime, c.device])
    }
}

extension PanelStore {
    // MARK: - Device and links

    /// This database's device id (a UUID generated once, by the migration that added sync).
    public func deviceId() throws -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT device_id FROM sync_device WHERE id = 1") ?? "" }
    }

    public func syncLink(panel: String) throws -> SyncLink? {
        try read { db in try SyncLink.fetchOne(db, sql: "SELECT * FROM sync_state WHERE panel_id = ?", arguments: [panel]) }
    }

    public func syncLinks() throws -> [SyncLink] {
        try read { db in try SyncLink.fetchAll(db, sql: "SELECT * FROM sync_state ORDER BY panel_id") }
    }

    /// Links an existing local panel to a server (the chair's `push`); a new link starts its pull at 0.
    public func link(panel: String, server: String, role: PanelRole, identity: String, panelVersion: Int64?) throws {
        try write { db in
            _ = try loadPanel(db, panel)
            try db.execute(sql: """
                INSERT INTO sync_state (panel_id, server, role, identity, pull_cursor, panel_version, linked_at)
                VALUES (?, ?, ?, ?, 0, ?, ?)
                ON CONFLICT (panel_id) DO UPDATE SET server = excluded.server, role = excluded.role,
                    identity = excluded.identity, panel_version = excluded.panel_version,
                    pull_cursor = CASE WHEN sync_state.server = excluded.server THEN sync_state.pull_cursor ELSE 0 END
                """, arguments: [panel, server, role.rawValue, identity, panelVersion, nowText()])
        }
    }

    /// Creates a panel received from a server (a reviewer's first sync) and links it, in one transaction:
    /// the panel, its round, the given reviewers, the applicants with their verified data, the recusals.
    public func createLinkedPanel(_ info: PanelInfo, server: String, role: PanelRole, identity: String, rubricYaml: String,
                                  panelVersion: Int64, roster: LinkedRoster, actor: String) throws {
        let (reviewers, applicants, recusals) = (roster.reviewers, roster.applicants, roster.recusals)
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
                """, arguments: [info.id, server, role.rawValue, identity, rubricYaml, panelVersion, at])
        }
    }

    /// Brings a reviewer's linked panel up to the server's after the chair changed it (`panel_updated`): title,
    /// current round, rubric text, reviewers (new ones, names), applicants (new ones, names, industries), verified
    /// data, and recusals; one transaction with its audit rows. Returns the number of values written.
    @discardableResult
    public func refreshLinkedPanel(panel: String, title: String, round: String, rubricYaml: String?, roster: LinkedRoster,
                                   panelVersion: Int64, actor: String) throws -> Int {
        let applicants = roster.applicants
        return try write { db in
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
                for r in roster.reviewers {
                    let old = try String.fetchOne(db, sql: "SELECT name FROM reviewer WHERE panel_id = ? AND id = ?",
                                                  arguments: [panel, r.id])
                    if old == r.name { continue }
                    if old == nil {
                        try db.execute(sql: "INSERT INTO reviewer (panel_id, id, name, added_at) VALUES (?, ?, ?, ?)",
                                       arguments: [panel, r.id, r.name, at])
                    } else {
                        try db.execute(sql: "UPDATE reviewer SET name = ? WHERE panel_id = ? AND id = ?", arguments: [r.name, panel, r.id])
                    }
                    try log.append(db, entity: "reviewer:\(r.id)", field: "name", old: old, new: r.name, reason: "sync")
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
                for r in roster.recusals where try reviewerExists(db, panel, r.reviewer) && applicantExists(db, panel, r.applicant)
                    && !isRecused(db, panel, r.reviewer, r.applicant) {
                    try db.execute(sql: """
                        INSERT INTO recusal (panel_id, reviewer_id, applicant_id, reason, recused_at, recused_by)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [panel, r.reviewer, r.applicant, r.reason, at, actor])
                    try log.append(db, entity: "recusal:\(r.reviewer)/\(r.applicant)", field: "recused", old: nil, new: "1",
                                   reason: r.reason)
                    n += 1
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

    /// Outbox rows of a panel in the order they were made; `state` filters.
    public func outbox(panel: String, state: OutboxState? = nil, limit: Int = Int.max) throws -> [OutboxRow] {
        try read { db in
            var sql = "SELECT * FROM outbox WHERE panel_id = ?"
            var args: [DatabaseValueConvertible?] = [panel]
            if let state {
                sql += " AND state = ?"
                args.append(state.rawValue)
            }
            sql += " ORDER BY seq LIMIT ?"
            args.append(Int64(clamping: limit))
            return try OutboxRow.fetchAll(db, sql: sql, arguments: StatementArguments(args))
        }
    }

    /// Settles as refused the pending rows this version cannot send (a kind written by a newer version), so that
    /// they are reported rather than retried forever. Returns how many.
    @discardableResult
    public func settleUnsendable(panel: String) throws -> Int {
        try write { db in
            let known = ChangeKind.clientKinds.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            try db.execute(sql: """
                UPDATE outbox SET state = 'refused', outcome = 'unknown kind ' || kind, settled_at = ?
                WHERE panel_id = ? AND state = 'pending' AND kind NOT IN (\(known))
                """, arguments: [nowText(), panel])
            return db.changesCount
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
                try st.execute(arguments: [o.state.rawValue, o.outcome, o.serverSeq, at, o.changeId])
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
    /// gets an audit row (`actor`, reason `sync #seq device received-at`, the change id), so the local chain
    /// stays intact. When a written value replaces one this device had sent (another device wrote the cell
    /// later), the loss is recorded as a `SyncConflict`. A pulled seal seals the local panel with the seal's
    /// digests (`sealDigest`, as the server recorded them).
    public func applyPulled(panel: String, changes: [FeedChange], cursor: Int64, panelVersion: Int64?,
                            sealDigest: String? = nil, released: Bool = false, actor: String) throws -> PullSummary {
        try write { db in
            let p = try loadPanel(db, panel)
            var summary = PullSummary()
            let at = nowText()
            let myDevice = try String.fetchOne(db, sql: "SELECT device_id FROM sync_device WHERE id = 1") ?? ""
            if p.info.sealedAt == nil {
                var cells: [CellKey: FeedChange] = [:]
                var sheets: [SheetKey: FeedChange] = [:]
                var seal: FeedChange?
                for c in changes {
                    if c.kind == .sealed { seal = c }
                    guard let r = c.reviewer, let a = c.applicant, let round = c.round else { continue }
                    switch c.kind {
                    case .setPoints, .clearPoints, .setNote:
                        guard let leaf = c.leaf else { continue }
                        cells[CellKey(reviewer: r, applicant: a, round: round, leaf: leaf, note: c.kind == .setNote)] = c
                    case .submit, .reopen:
                        sheets[SheetKey(reviewer: r, applicant: a, round: round)] = c
                    default:
                        continue
                    }
                }
                var pendingCells = Set<CellKey>()
                var pendingSheets = Set<SheetKey>()
                // What this device last sent for each cell (to tell the user when another device's write won).
                var sentCells: [CellKey: (text: String?, seq: Int64)] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT kind, reviewer, applicant, round, leaf, value, note, state, server_seq FROM outbox
                    WHERE panel_id = ? AND state IN ('pending', 'sent') ORDER BY seq
                    """, arguments: [panel]) {
                    let kindText: String = row["kind"]
                    let kind = ChangeKind(rawValue: kindText)
                    let (r, a, round): (String, String, String) = (row["reviewer"], row["applicant"], row["round"])
                    let state: String = row["state"]
                    if let leaf: String = row["leaf"] {
                        let key = CellKey(reviewer: r, applicant: a, round: round, leaf: leaf, note: kind == .setNote)
                        if state == OutboxState.pending.rawValue {
                            pendingCells.insert(key)
                        } else if let seq: Int64 = row["server_seq"] {
                            let value: Double? = row["value"]
                            let note: String? = row["note"]
                            sentCells[key] = (kind == .setNote ? note : value.map(numberText), seq)
                        }
                    } else if state == OutboxState.pending.rawValue {
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
                func why(_ c: FeedChange) -> String { "sync #\(c.seq) \(c.device ?? "-") \(c.receivedAt)" }
                func noteConflict(_ k: CellKey, _ c: FeedChange, winner: String?) throws {
                    guard let mine = sentCells[k], mine.seq < c.seq, c.device != myDevice, mine.text != winner else { return }
                    let conflict = SyncConflict(panel: panel, reviewer: k.reviewer, applicant: k.applicant, round: k.round,
                                                cell: k.note ? "note:\(k.leaf)" : k.leaf, mine: mine.text, winner: winner,
                                                winnerBy: c.actor.map(Self.actorName) ?? "\(c.reviewer ?? "-")@\(c.device ?? "-")", winnerAt: c.receivedAt,
                                                serverSeq: c.seq)
                    try db.cachedStatement(sql: """
                        INSERT INTO sync_conflict (panel_id, reviewer, applicant, round, cell, mine, winner, winner_by, winner_at,
                                                   server_seq, noted_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (panel_id, server_seq, cell) DO NOTHING
                        """).execute(arguments: [panel, k.reviewer, k.applicant, k.round, conflict.cell, conflict.mine,
                                                 conflict.winner, conflict.winnerBy, conflict.winnerAt, c.seq, at])
                    if db.changesCount > 0 { summary.conflicts.append(conflict) }
                }

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
                        try log.append(db, entity: entity, field: "note:\(k.leaf)", old: old, new: new, reason: why(c),
                                       changeId: c.changeId)
                        try noteConflict(k, c, winner: new)
                    } else {
                        let old = try Double.fetchOne(db, sql: "SELECT points FROM sheet_point WHERE sheet_id = ? AND leaf_id = ?",
                                                      arguments: [sheet, k.leaf])
                        let new = c.kind == .setPoints ? c.value : nil
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
                                       reason: why(c), changeId: c.changeId)
                        try noteConflict(k, c, winner: new.map(numberText))
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
                    let new = c.kind == .submit
                    if old == new {
                        summary.unchanged += 1
                        continue
                    }
                    try db.execute(sql: "UPDATE sheet SET submitted = ?, submitted_at = ?, updated_at = ? WHERE id = ?",
                                   arguments: [new, new ? c.receivedAt : nil, at, sheet])
                    try log.append(db, entity: Self.sheetEntity(k.reviewer, k.applicant, k.round), field: "submitted",
                                   old: old ? "1" : "0", new: new ? "1" : "0",
                                   reason: c.reason.map { why(c) + ": " + $0 } ?? why(c), changeId: c.changeId)
                    summary.written += 1
                }
                if let seal {
                    // The server sealed the panel: seal the local copy too, with the digests the server recorded (the
                    // same `inputs:… results:…` text as a local seal), so that `verify` works on this copy.
                    let by = "server:" + (seal.reviewer ?? seal.device ?? "chair")
                    let digest = sealDigest ?? "server #\(seal.seq)"
                    try log.append(db, entity: "panel", field: "sealed", old: nil, new: digest, reason: why(seal),
                                   changeId: seal.changeId)
                    try db.cachedStatement(sql: """
                        UPDATE panel SET sealed_at = ?, sealed_by = ?, seal_digest = ?, seal_audit_head = ?,
                                         audit_head = ?, audit_count = ?
                        WHERE id = ?
                        """).execute(arguments: [seal.receivedAt, by, digest, log.head, log.head, log.count, panel])
                    summary.sealed = true
                } else {
                    try log.save(db)
                }
            }
            try db.execute(sql: """
                UPDATE sync_state SET pull_cursor = ?, last_sync_at = ?, panel_version = COALESCE(?, panel_version),
                                      released = MAX(released, ?)
                WHERE panel_id = ?
                """, arguments: [cursor, at, panelVersion, released, panel])
            return summary
        }
    }

    /// A server actor (`reviewer:P1/r1@r1-laptop`) as a person reads it (`r1@r1-laptop`).
    static func actorName(_ actor: String) -> String {
        guard let slash = actor.firstIndex(of: "/") else { return actor }
        return String(actor[actor.index(after: slash)...])
    }

    /// The conflicts this device lost (last writer wins), newest first.
    public func syncConflicts(panel: String) throws -> [SyncConflict] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM sync_conflict WHERE panel_id = ? ORDER BY server_seq DESC", arguments: [panel]).map { r in
                SyncConflict(panel: r["panel_id"], reviewer: r["reviewer"], applicant: r["applicant"], round: r["round"],
                             cell: r["cell"], mine: r["mine"], winner: r["winner"], winnerBy: r["winner_by"],
                             winnerAt: r["winner_at"], serverSeq: r["server_seq"])
            }
        }
    }
}
