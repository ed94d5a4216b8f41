import Foundation
import GRDB
import PingshenAudit
import PingshenCore

// The expert pool, the verifiable draws and the assignment of reviewers to applicants (issue 11).
// The pool belongs to this database (the secretariat's); it is never part of a panel's sync. A draw's
// eligible candidates are snapshotted with the panel (draw_candidate), so that `draw verify` recomputes
// the draw from the snapshot and the audit log, whatever later happens to the pool.

// MARK: - Records

struct PoolExpertRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "pool_expert"
    var id: String
    var name: String
    var organization: String
    var kind: String
    var fields: String
    var title: String?
    var region: String?
    var available: Bool
    var ties: String
    var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case id, name, organization, kind, fields, title, region, available, ties
        case updatedAt = "updated_at"
    }

    init(_ e: Expert, at: String) {
        id = e.id
        name = e.name
        organization = e.organization
        kind = e.kind
        fields = jsonString(e.fields)
        title = e.title
        region = e.region
        available = e.available
        ties = jsonString(e.ties)
        updatedAt = at
    }

    var expert: Expert { expert(JSONDecoder()) }

    func expert(_ decoder: JSONDecoder) -> Expert {
        // Lists are stored as JSON; the common cases (no ties, no fields) need no decoding.
        Expert(id: id, name: name, organization: organization, kind: kind,
               fields: fields == "[]" ? [] : (try? decoder.decode([String].self, from: Data(fields.utf8))) ?? [],
               title: title, region: region, available: available,
               ties: ties == "[]" ? [] : (try? decoder.decode([ExpertTie].self, from: Data(ties.utf8))) ?? [])
    }

    static func all(_ db: Database) throws -> [Expert] {
        let decoder = JSONDecoder()
        return try PoolExpertRow.order(Column("id")).fetchAll(db).map { $0.expert(decoder) }
    }
}

struct PoolImportRow: Codable, PersistableRecord {
    static let databaseTableName = "pool_import"
    var at: String
    var actor: String
    var file: String
    var digest: String
    var experts: Int
    var added: Int
    var changed: Int
}

struct ApplicantProfileRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "applicant_profile"
    var panelId: String
    var applicantId: String
    var organization: String?
    var related: String
    var field: String?
    enum CodingKeys: String, CodingKey {
        case panelId = "panel_id", applicantId = "applicant_id", organization, related, field
    }
}

struct DrawRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "draw"
    var panelId: String
    var seq: Int
    var seed: String
    var candidatesDigest: String
    var rules: String
    var candidates: Int
    var reason: String?
    var at: String
    var actor: String
    enum CodingKeys: String, CodingKey {
        case panelId = "panel_id", seq, seed, candidatesDigest = "candidates_digest", rules, candidates, reason, at, actor
    }
}

struct DrawCandidateRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "draw_candidate"
    var panelId: String
    var drawSeq: Int
    var pos: Int
    var expertId: String
    var name: String
    var organization: String
    var kind: String
    enum CodingKeys: String, CodingKey {
        case panelId = "panel_id", drawSeq = "draw_seq", pos, expertId = "expert_id", name, organization, kind
    }
    var candidate: DrawCandidate { DrawCandidate(id: expertId, name: name, organization: organization, kind: kind) }
}

struct DrawEventRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "draw_event"
    var panelId: String
    var drawSeq: Int
    var seq: Int
    /// drawn, reserve, replaced
    var event: String
    var expertId: String
    var replacement: String?
    var reason: String?
    var at: String
    var actor: String
    enum CodingKeys: String, CodingKey {
        case panelId = "panel_id", drawSeq = "draw_seq", seq, event, expertId = "expert_id", replacement, reason, at, actor
    }
}

struct AssignmentRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "assignment"
    var panelId: String
    var reviewerId: String
    var applicantId: String
    var origin: String
    var addedAt: String
    var addedBy: String
    enum CodingKeys: String, CodingKey {
        case panelId = "panel_id", reviewerId = "reviewer_id", applicantId = "applicant_id", origin
        case addedAt = "added_at", addedBy = "added_by"
    }
}

struct AssignmentSettingRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "assignment_setting"
    var panelId: String
    var perApplicant: Int
    var maxLoad: Int?
    var seed: String
    var at: String
    var actor: String
    enum CodingKeys: String, CodingKey {
        case panelId = "panel_id", perApplicant = "per_applicant", maxLoad = "max_load", seed, at, actor
    }
}

func jsonString<T: Encodable>(_ v: T) -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? enc.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
}

// MARK: - Public results

public struct PoolImportSummary: Sendable, Equatable {
    public var experts: Int
    public var added: Int
    public var changed: Int
    public var unchanged: Int
}

/// One draw as stored, with its snapshot and events (for `draw verify --json` and scripts/draw_check.py).
public struct StoredDraw: Sendable, Equatable, Codable {
    public var seq: Int
    public var seed: String
    public var candidatesDigest: String
    public var rules: String
    public var reason: String?
    public var at: String
    public var actor: String
    public var candidates: [DrawCandidate]
    public var drawn: [String]
    public var reserve: [String]
    /// (replaced, replacement, reason) in order.
    public var replacements: [Replacement]

    public struct Replacement: Sendable, Equatable, Codable {
        public var replaced: String
        public var replacement: String?
        public var reason: String?
    }

    enum CodingKeys: String, CodingKey {
        case seq, seed, rules, reason, at, actor, candidates, drawn, reserve, replacements
        case candidatesDigest = "candidates_digest"
    }
}

/// What `draw verify` found for one draw.
public struct DrawCheck: Sendable, Equatable {
    public var seq: Int
    public var problems: [PingshenError]
    public var ok: Bool { problems.isEmpty }
}

public struct DrawOutcome: Sendable, Equatable {
    public var seq: Int
    public var seed: String
    public var digest: String
    public var candidates: Int
    public var drawn: [Expert]
    public var reserve: [Expert]
    public var tiedPairs: Int
}

extension PanelStore {
    // MARK: - Pool

    /// Writes experts into the pool in one transaction (new ids added, changed experts updated, the others
    /// kept) and records the import (file, SHA-256 of its bytes, counts).
    public func importPool(_ experts: [Expert], file: String, digest: String, actor: String) throws -> PoolImportSummary {
        try write { db in
            let at = nowText()
            var s = PoolImportSummary(experts: experts.count, added: 0, changed: 0, unchanged: 0)
            for e in experts {
                let row = PoolExpertRow(e, at: at)
                if let old = try PoolExpertRow.fetchOne(db, key: e.id) {
                    if old.expert == e { s.unchanged += 1; continue }
                    try row.update(db)
                    s.changed += 1
                } else {
                    try row.insert(db)
                    s.added += 1
                }
            }
            try PoolImportRow(at: at, actor: actor, file: file, digest: digest, experts: experts.count, added: s.added,
                              changed: s.changed).insert(db)
            return s
        }
    }

    /// The pool, by id.
    public func pool() throws -> [Expert] {
        try read { db in try PoolExpertRow.all(db) }
    }

    // MARK: - Applicant profiles (organization, related organizations, field)

    /// Adds an applicant with its organization, related organizations and field, in one transaction.
    public func addApplicant(panel: String, _ a: ApplicantInfo, organization: String?, related: [String], field: String?,
                             actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            if try applicantExists(db, panel, a.id) { throw PingshenError("store.applicant_exists", [panel, a.id]) }
            let at = nowText()
            try db.execute(sql: "INSERT INTO applicant (panel_id, id, name, industry, added_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [panel, a.id, a.name, a.industry, at])
            var log = AuditChain(p, at: at, actor: actor)
            let entity = "applicant:\(a.id)"
            try log.append(db, entity: entity, field: "name", old: nil, new: a.name, reason: nil)
            if let ind = a.industry { try log.append(db, entity: entity, field: "industry", old: nil, new: ind, reason: nil) }
            if organization != nil || !related.isEmpty || field != nil {
                try ApplicantProfileRow(panelId: panel, applicantId: a.id, organization: organization,
                                        related: jsonString(related), field: field).insert(db)
                if let organization { try log.append(db, entity: entity, field: "organization", old: nil, new: organization, reason: nil) }
                if !related.isEmpty {
                    try log.append(db, entity: entity, field: "related", old: nil, new: related.joined(separator: ";"), reason: nil)
                }
                if let field { try log.append(db, entity: entity, field: "field", old: nil, new: field, reason: nil) }
            }
            try log.save(db)
        }
    }

    /// Every applicant with what the tie rules and the assignment know about it.
    public func applicantProfiles(panel: String) throws -> [ApplicantProfile] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try Self.applicantProfiles(db, panel)
        }
    }

    static func applicantProfiles(_ db: Database, _ panel: String) throws -> [ApplicantProfile] {
        var rows: [String: ApplicantProfileRow] = [:]
        for r in try ApplicantProfileRow.filter(Column("panel_id") == panel).fetchAll(db) { rows[r.applicantId] = r }
        return try applicants(db, panel).map { a in
            let r = rows[a.id]
            return ApplicantProfile(id: a.id, name: a.name, organization: r?.organization,
                                    related: r.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.related.utf8)) } ?? [],
                                    field: r?.field)
        }
    }

    // MARK: - Draws

    /// Draws experts into the panel as reviewers, in one transaction with its audit rows: the snapshot of
    /// the eligible candidates, the seed and the digest, every drawn and reserve expert, and (ties as pairs)
    /// the recusals of tied experts. A repeated draw needs a reason; the experts of the earlier draw leave
    /// the panel (refused once one of them has a sheet).
    public func draw(panel: String, rules: DrawRules, seed: String, reason: String?, actor: String) throws -> DrawOutcome {
        try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var log = AuditChain(p, at: at, actor: actor)
            let previous = try DrawRow.filter(Column("panel_id") == panel).order(Column("seq")).fetchAll(db)
            if !previous.isEmpty {
                guard let reason, !reason.isEmpty else { throw PingshenError("draw.repeat_reason", [panel, String(previous.count)]) }
                for d in previous {
                    for r in try currentDrawMembers(db, panel, d.seq) where try reviewerExists(db, panel, r) {
                        try removeDrawnReviewer(db, panel, r, log: &log, reason: reason)
                    }
                }
            }
            let pool = try PoolExpertRow.all(db)
            if pool.isEmpty { throw PingshenError("draw.no_pool", []) }
            let inPanel = Set(try Self.reviewers(db, panel).map(\.id))
            let profiles = try Self.applicantProfiles(db, panel)
            let elig = drawEligibility(pool: pool, applicants: profiles, rules: rules, inPanel: inPanel)
            var g = DrawGenerator(seed: seed)
            let order = seededOrder(count: elig.candidates.count, &g)
            let sel: DrawSelection
            switch selectDraw(elig.candidates, order: order, rules: rules) {
            case .success(let s): sel = s
            case .failure(let r): throw Self.refusal(r, elig)
            }
            let seq = (previous.last?.seq ?? 0) + 1
            let digest = candidatesDigest(elig.candidates)
            try DrawRow(panelId: panel, seq: seq, seed: seed, candidatesDigest: digest, rules: rules.canonical,
                        candidates: elig.candidates.count, reason: reason, at: at, actor: actor).insert(db)
            let insertCandidate = try db.cachedStatement(sql: """
                INSERT INTO draw_candidate (panel_id, draw_seq, pos, expert_id, name, organization, kind) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for (i, c) in elig.candidates.enumerated() {
                try insertCandidate.execute(arguments: [panel, seq, i, c.id, c.name, c.organization, c.kind])
            }
            let entity = "draw:\(seq)"
            try log.append(db, entity: entity, field: "seed", old: nil, new: seed, reason: reason)
            try log.append(db, entity: entity, field: "candidates_digest", old: nil, new: "\(digest) n=\(elig.candidates.count)", reason: nil)
            try log.append(db, entity: entity, field: "rules", old: nil, new: rules.canonical, reason: nil)
            try log.append(db, entity: entity, field: "drawn", old: nil, new: sel.drawn.joined(separator: ","), reason: nil)
            try log.append(db, entity: entity, field: "reserve", old: nil, new: sel.reserve.joined(separator: ","), reason: nil)
            var eventSeq = 0
            let byId = Dictionary(pool.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var tied = 0
            for id in sel.drawn {
                eventSeq += 1
                try DrawEventRow(panelId: panel, drawSeq: seq, seq: eventSeq, event: "drawn", expertId: id, replacement: nil,
                                 reason: nil, at: at, actor: actor).insert(db)
                guard let e = byId[id] else { continue }
                try insertDrawnReviewer(db, panel, e, at: at, log: &log)
                tied += try recordTies(db, panel, e.id, elig.tiedPairs[e.id] ?? [], at: at, actor: actor, log: &log)
            }
            for id in sel.reserve {
                eventSeq += 1
                try DrawEventRow(panelId: panel, drawSeq: seq, seq: eventSeq, event: "reserve", expertId: id, replacement: nil,
                                 reason: nil, at: at, actor: actor).insert(db)
            }
            try log.save(db)
            return DrawOutcome(seq: seq, seed: seed, digest: digest, candidates: elig.candidates.count,
                               drawn: sel.drawn.compactMap { byId[$0] }, reserve: sel.reserve.compactMap { byId[$0] },
                               tiedPairs: tied)
        }
    }

    static func refusal(_ r: DrawRefusal, _ e: DrawEligibility) -> PingshenError {
        let why = [String(e.pool), String(e.unavailable), String(e.tied), String(e.otherField), String(e.inPanel)]
        switch r {
        case .quotaSum(let sum, let count): return PingshenError("draw.quota_sum", [String(sum), String(count)])
        case .tooFew(let needed, let left): return PingshenError("draw.too_few", [String(needed), String(left)] + why)
        case .kind(let kind, let needed, let left): return PingshenError("draw.kind_short", [kind, String(needed), String(left)] + why)
        case .organizations(let kind, let needed, let orgs):
            if let kind { return PingshenError("draw.org_kind_short", [kind, String(needed), String(orgs)]) }
            return PingshenError("draw.org_short", [String(needed), String(orgs)])
        }
    }

    func insertDrawnReviewer(_ db: Database, _ panel: String, _ e: Expert, at: String, log: inout AuditChain) throws {
        try db.execute(sql: "INSERT INTO reviewer (panel_id, id, name, added_at) VALUES (?, ?, ?, ?)",
                       arguments: [panel, e.id, e.name, at])
        try log.append(db, entity: "reviewer:\(e.id)", field: "name", old: nil, new: e.name, reason: nil)
    }

    /// Ties as pairs: each becomes a recusal (回避), so the assignment and scoring never pair them.
    func recordTies(_ db: Database, _ panel: String, _ reviewer: String, _ pairs: [(applicant: String, reason: String)],
                    at: String, actor: String, log: inout AuditChain) throws -> Int {
        for (a, why) in pairs {
            let reason = "抽取时申报的回避关系：\(why)"
            try db.execute(sql: """
                INSERT INTO recusal (panel_id, reviewer_id, applicant_id, reason, recused_at, recused_by) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [panel, reviewer, a, reason, at, actor])
            try log.append(db, entity: "recusal:\(reviewer)/\(a)", field: "recused", old: nil, new: "1", reason: reason)
        }
        return pairs.count
    }

    /// Takes a drawn reviewer out of the panel: refused once they have a sheet; their recusals and
    /// assignments go with them (logged).
    func removeDrawnReviewer(_ db: Database, _ panel: String, _ reviewer: String, log: inout AuditChain, reason: String) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM sheet WHERE panel_id = ? AND reviewer_id = ? LIMIT 1",
                             arguments: [panel, reviewer]) ?? false {
            throw PingshenError("draw.has_sheets", [reviewer])
        }
        let n = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM assignment WHERE panel_id = ? AND reviewer_id = ?",
                                 arguments: [panel, reviewer]) ?? 0
        if n > 0 {
            try db.execute(sql: "DELETE FROM assignment WHERE panel_id = ? AND reviewer_id = ?", arguments: [panel, reviewer])
            try log.append(db, entity: "assignment:\(reviewer)", field: "removed", old: String(n), new: "0", reason: reason)
        }
        for a in try String.fetchAll(db, sql: "SELECT applicant_id FROM recusal WHERE panel_id = ? AND reviewer_id = ?",
                                     arguments: [panel, reviewer]) {
            try log.append(db, entity: "recusal:\(reviewer)/\(a)", field: "recused", old: "1", new: nil, reason: reason)
        }
        try db.execute(sql: "DELETE FROM recusal WHERE panel_id = ? AND reviewer_id = ?", arguments: [panel, reviewer])
        let name = try String.fetchOne(db, sql: "SELECT name FROM reviewer WHERE panel_id = ? AND id = ?", arguments: [panel, reviewer])
        try db.execute(sql: "DELETE FROM reviewer WHERE panel_id = ? AND id = ?", arguments: [panel, reviewer])
        try log.append(db, entity: "reviewer:\(reviewer)", field: "name", old: name, new: nil, reason: reason)
    }

    /// The draw's experts who should be in the panel now (drawn, minus replaced, plus replacements).
    func currentDrawMembers(_ db: Database, _ panel: String, _ seq: Int) throws -> [String] {
        var current: [String] = []
        for e in try DrawEventRow.filter(Column("panel_id") == panel && Column("draw_seq") == seq).order(Column("seq")).fetchAll(db) {
            switch e.event {
            case "drawn": current.append(e.expertId)
            case "replaced":
                current.removeAll { $0 == e.expertId }
                if let r = e.replacement { current.append(r) }
            default: break
            }
        }
        return current
    }

    /// 补抽: replaces a drawn reviewer by the next eligible candidate of the same seeded order. Refused when
    /// the reviewer has sheets or was not drawn; nil replacement when the snapshot has no one left.
    public func replaceDrawn(panel: String, reviewer: String, reason: String, actor: String) throws -> Expert? {
        try write { db in
            let p = try openPanel(db, panel)
            guard let d = try DrawRow.filter(Column("panel_id") == panel).order(Column("seq").desc).fetchOne(db) else {
                throw PingshenError("draw.none", [panel])
            }
            let current = try currentDrawMembers(db, panel, d.seq)
            guard current.contains(reviewer) else { throw PingshenError("draw.not_drawn", [reviewer, panel, String(d.seq)]) }
            guard let rules = DrawRules.parse(canonical: d.rules) else { throw PingshenError("draw.bad_rules", [panel, String(d.seq)]) }
            let candidates = try DrawCandidateRow.filter(Column("panel_id") == panel && Column("draw_seq") == d.seq)
                .order(Column("pos")).fetchAll(db).map(\.candidate)
            let events = try DrawEventRow.filter(Column("panel_id") == panel && Column("draw_seq") == d.seq).fetchAll(db)
            var used = Set(events.filter { $0.event == "drawn" }.map(\.expertId))
            for e in events where e.event == "replaced" { if let r = e.replacement { used.insert(r) } }
            var g = DrawGenerator(seed: d.seed)
            let order = seededOrder(count: candidates.count, &g)
            let at = nowText()
            var log = AuditChain(p, at: at, actor: actor)
            try removeDrawnReviewer(db, panel, reviewer, log: &log, reason: reason)
            var next = nextReplacement(candidates, order: order, rules: rules, replaced: reviewer, used: used, current: current)
            // A candidate who has since joined the panel by hand is passed over (and so is recorded as used).
            let inPanel = Set(try Self.reviewers(db, panel).map(\.id))
            while let n = next, inPanel.contains(n.id) {
                used.insert(n.id)
                next = nextReplacement(candidates, order: order, rules: rules, replaced: reviewer, used: used, current: current)
            }
            let seq = (events.map(\.seq).max() ?? 0) + 1
            try DrawEventRow(panelId: panel, drawSeq: d.seq, seq: seq, event: "replaced", expertId: reviewer,
                             replacement: next?.id, reason: reason, at: at, actor: actor).insert(db)
            try log.append(db, entity: "draw:\(d.seq)", field: "replace", old: reviewer, new: next?.id, reason: reason)
            var expert: Expert?
            if let next {
                let pool = try PoolExpertRow.fetchOne(db, key: next.id)?.expert
                    ?? Expert(id: next.id, name: next.name, organization: next.organization, kind: next.kind)
                try insertDrawnReviewer(db, panel, pool, at: at, log: &log)
                if rules.ties == "pairs" {
                    let profiles = try Self.applicantProfiles(db, panel)
                    let pairs = profiles.compactMap { a in tieReason(pool, a).map { (applicant: a.id, reason: $0) } }
                    _ = try recordTies(db, panel, pool.id, pairs, at: at, actor: actor, log: &log)
                }
                expert = pool
            }
            try log.save(db)
            return expert
        }
    }

    /// Every draw of the panel with its snapshot and events.
    public func draws(panel: String) throws -> [StoredDraw] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try DrawRow.filter(Column("panel_id") == panel).order(Column("seq")).fetchAll(db).map { d in
                let cands = try DrawCandidateRow.filter(Column("panel_id") == panel && Column("draw_seq") == d.seq)
                    .order(Column("pos")).fetchAll(db).map(\.candidate)
                let events = try DrawEventRow.filter(Column("panel_id") == panel && Column("draw_seq") == d.seq)
                    .order(Column("seq")).fetchAll(db)
                return StoredDraw(seq: d.seq, seed: d.seed, candidatesDigest: d.candidatesDigest, rules: d.rules, reason: d.reason,
                                  at: d.at, actor: d.actor, candidates: cands,
                                  drawn: events.filter { $0.event == "drawn" }.map(\.expertId),
                                  reserve: events.filter { $0.event == "reserve" }.map(\.expertId),
                                  replacements: events.filter { $0.event == "replaced" }.map {
                                      StoredDraw.Replacement(replaced: $0.expertId, replacement: $0.replacement, reason: $0.reason)
                                  })
            }
        }
    }

    /// Recomputes every draw from its snapshot and the audit log: the snapshot's digest, the seed, the rules,
    /// the drawn and reserve experts and each replacement must be what the audit log recorded and what the
    /// seeded order gives; the latest draw's experts must be the panel's drawn reviewers. The audit chain
    /// itself is checked by `verifyAuditChain`.
    public func verifyDraws(panel: String) throws -> [DrawCheck] {
        let draws = try draws(panel: panel)
        if draws.isEmpty { throw PingshenError("draw.none", [panel]) }
        let log = try auditLog(panel: panel)
        let reviewers = Set(try self.reviewers(panel: panel).map(\.id))
        var checks: [DrawCheck] = []
        for d in draws {
            var problems: [PingshenError] = []
            let entity = "draw:\(d.seq)"
            let rows = log.filter { $0.entity == entity }
            func logged(_ field: String) -> String? { rows.first { $0.field == field }?.new }
            let digest = candidatesDigest(d.candidates)
            if digest != d.candidatesDigest || logged("candidates_digest") != "\(digest) n=\(d.candidates.count)" {
                problems.append(PingshenError("draw.v.snapshot", [String(d.seq), digest, logged("candidates_digest") ?? "-"]))
            }
            if logged("seed") != d.seed { problems.append(PingshenError("draw.v.seed", [String(d.seq), d.seed, logged("seed") ?? "-"])) }
            if logged("rules") != d.rules { problems.append(PingshenError("draw.v.rules", [String(d.seq)])) }
            guard let rules = DrawRules.parse(canonical: logged("rules") ?? d.rules) else {
                checks.append(DrawCheck(seq: d.seq, problems: problems + [PingshenError("draw.bad_rules", [panel, String(d.seq)])]))
                continue
            }
            let loggedReplacements = rows.filter { $0.field == "replace" }
            var g = DrawGenerator(seed: logged("seed") ?? d.seed)
            switch replayDraw(d.candidates, rules: rules, generator: &g, replaced: loggedReplacements.compactMap(\.old)) {
            case .failure:
                problems.append(PingshenError("draw.v.replay_refused", [String(d.seq)]))
            case .success(let replay):
                let drawn = replay.selection.drawn.joined(separator: ",")
                if logged("drawn") != drawn || d.drawn != replay.selection.drawn {
                    problems.append(PingshenError("draw.v.drawn", [String(d.seq), drawn, logged("drawn") ?? "-", d.drawn.joined(separator: ",")]))
                }
                if logged("reserve") != replay.selection.reserve.joined(separator: ",") || d.reserve != replay.selection.reserve {
                    problems.append(PingshenError("draw.v.reserve", [String(d.seq), replay.selection.reserve.joined(separator: ",")]))
                }
                for (i, r) in replay.replacements.enumerated() {
                    let stored = i < d.replacements.count ? d.replacements[i] : nil
                    let l = i < loggedReplacements.count ? loggedReplacements[i] : nil
                    if stored?.replacement != r.replacement || l?.new != r.replacement || stored?.replaced != r.replaced {
                        problems.append(PingshenError("draw.v.replacement", [String(d.seq), r.replaced, r.replacement ?? "-",
                                                                             stored?.replacement ?? "-"]))
                    }
                }
                if d.replacements.count != replay.replacements.count {
                    problems.append(PingshenError("draw.v.replacement_count", [String(d.seq), String(replay.replacements.count),
                                                                                String(d.replacements.count)]))
                }
                if d.seq == draws.last?.seq {
                    let missing = replay.current.filter { !reviewers.contains($0) }
                    if !missing.isEmpty { problems.append(PingshenError("draw.v.missing", [String(d.seq), missing.joined(separator: ",")])) }
                    let everDrawn = Set(draws.flatMap { $0.candidates.map(\.id) })
                    let extra = reviewers.filter { everDrawn.contains($0) && !replay.current.contains($0) && wasDrawnOrReplacement(draws, $0) }
                    if !extra.isEmpty { problems.append(PingshenError("draw.v.extra", [String(d.seq), extra.sorted().joined(separator: ",")])) }
                }
            }
            checks.append(DrawCheck(seq: d.seq, problems: problems))
        }
        return checks
    }

    func wasDrawnOrReplacement(_ draws: [StoredDraw], _ id: String) -> Bool {
        draws.contains { $0.drawn.contains(id) || $0.replacements.contains { $0.replacement == id } }
    }

    // MARK: - Assignment

    /// Replaces the panel's assignment by `pairs` (pairs already scored must be among them), in one
    /// transaction with one audit row naming K, the count and the SHA-256 of the sorted pair list.
    public func saveAssignment(panel: String, pairs: [AssignedPair], perApplicant: Int, maxLoad: Int?, seed: String,
                               actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            let at = nowText()
            var log = AuditChain(p, at: at, actor: actor)
            let old = try AssignmentRow.filter(Column("panel_id") == panel).fetchAll(db)
            let oldSet = Set(old.map { AssignedPair(reviewer: $0.reviewerId, applicant: $0.applicantId) })
            let newSet = Set(pairs)
            for o in old where !newSet.contains(AssignedPair(reviewer: o.reviewerId, applicant: o.applicantId)) {
                try o.delete(db)
            }
            for pr in pairs where !oldSet.contains(pr) {
                try requireMembers(db, panel, pr.reviewer, pr.applicant)
                if try isRecused(db, panel, pr.reviewer, pr.applicant) { throw PingshenError("store.recused", [pr.reviewer, pr.applicant]) }
                try AssignmentRow(panelId: panel, reviewerId: pr.reviewer, applicantId: pr.applicant, origin: "assign",
                                  addedAt: at, addedBy: actor).insert(db)
            }
            try AssignmentSettingRow(panelId: panel, perApplicant: perApplicant, maxLoad: maxLoad, seed: seed, at: at, actor: actor)
                .save(db)
            let text = pairs.map { "\($0.reviewer)/\($0.applicant)" }.sorted().joined(separator: "\n")
            try log.append(db, entity: "assignment", field: "pairs", old: old.isEmpty ? nil : String(old.count),
                           new: "k=\(perApplicant) pairs=\(pairs.count) sha256=\(sha256Hex(text)) seed=\(seed)", reason: nil)
            try log.save(db)
        }
    }

    /// Adds or removes one pair by hand, with a reason (logged). Removing a pair already scored is refused.
    public func setAssigned(panel: String, reviewer: String, applicant: String, assigned: Bool, reason: String,
                            actor: String) throws {
        try write { db in
            let p = try openPanel(db, panel)
            try requireMembers(db, panel, reviewer, applicant)
            let at = nowText()
            let exists = try AssignmentRow.fetchOne(db, key: ["panel_id": panel, "reviewer_id": reviewer, "applicant_id": applicant])
            if assigned {
                if exists != nil { throw PingshenError("assign.already", [reviewer, applicant]) }
                if try isRecused(db, panel, reviewer, applicant) { throw PingshenError("store.recused", [reviewer, applicant]) }
                try AssignmentRow(panelId: panel, reviewerId: reviewer, applicantId: applicant, origin: "hand", addedAt: at,
                                  addedBy: actor).insert(db)
            } else {
                guard let exists else { throw PingshenError("assign.not_assigned", [reviewer, applicant]) }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM sheet WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ?",
                                     arguments: [panel, reviewer, applicant]) ?? false {
                    throw PingshenError("assign.scored", [reviewer, applicant])
                }
                try exists.delete(db)
            }
            var log = AuditChain(p, at: at, actor: actor)
            try log.append(db, entity: "assignment:\(reviewer)/\(applicant)", field: "assigned", old: assigned ? nil : "1",
                           new: assigned ? "1" : nil, reason: reason)
            try log.save(db)
        }
    }

    /// The panel's assignment (empty: everyone scores everyone), by applicant then reviewer.
    public func assignments(panel: String) throws -> [AssignedPair] {
        try read { db in
            _ = try loadPanel(db, panel)
            return try AssignmentRow.filter(Column("panel_id") == panel).fetchAll(db)
                .map { AssignedPair(reviewer: $0.reviewerId, applicant: $0.applicantId) }
        }
    }

    /// K, --max-load and the seed of the last assignment run.
    public func assignmentSetting(panel: String) throws -> (perApplicant: Int, maxLoad: Int?, seed: String)? {
        try read { db in
            try AssignmentSettingRow.fetchOne(db, key: panel).map { ($0.perApplicant, $0.maxLoad, $0.seed) }
        }
    }

    /// Pairs that have a sheet in any round (kept by a re-assignment).
    public func scoredPairs(panel: String) throws -> [AssignedPair] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT DISTINCT reviewer_id, applicant_id FROM sheet WHERE panel_id = ?", arguments: [panel])
                .map { AssignedPair(reviewer: $0["reviewer_id"], applicant: $0["applicant_id"]) }
        }
    }

    /// A panel with an assignment refuses a pair that is not assigned (the scoring session asks first).
    public func requireAssigned(panel: String, reviewer: String, applicant: String) throws {
        try read { db in try requireAssigned(db, panel, reviewer, applicant) }
    }

    /// For the sheet writers: a panel with an assignment refuses a pair that is not assigned.
    func requireAssigned(_ db: Database, _ panel: String, _ reviewer: String, _ applicant: String) throws {
        let any = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM assignment WHERE panel_id = ? LIMIT 1"),
                                    arguments: [panel]) ?? false
        if !any { return }
        let ok = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM assignment WHERE panel_id = ? AND reviewer_id = ? AND applicant_id = ?
            """), arguments: [panel, reviewer, applicant]) ?? false
        if !ok { throw PingshenError("assign.unassigned", [reviewer, applicant, panel]) }
    }
}
