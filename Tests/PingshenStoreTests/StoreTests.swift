import Foundation
import GRDB
import PingshenAudit
import PingshenCore
import PingshenStore
import Testing

/// A fresh database in its own temporary directory.
struct TempStore {
    let dir: URL
    let path: String
    let store: PanelStore

    init(panel: String? = "P1") throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pingshen-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        path = dir.appendingPathComponent("t.sqlite").path
        store = try PanelStore(path: path, create: true)
        if let panel {
            try store.createPanel(PanelInfo(id: panel, rubricId: "manufacturing-innovation-center", title: "测试组", round: "初评"),
                                  actor: "secretary")
            try store.addReviewer(panel: panel, ReviewerInfo(id: "r1", name: "张三"), actor: "secretary")
            try store.addReviewer(panel: panel, ReviewerInfo(id: "r2", name: "李四"), actor: "secretary")
            try store.addApplicant(panel: panel, ApplicantInfo(id: "a1", name: "甲公司", industry: "机械"), actor: "secretary")
            try store.addApplicant(panel: panel, ApplicantInfo(id: "a2", name: "乙公司"), actor: "secretary")
        }
    }

    /// A second, independent connection to the same file (what another process or a tamperer sees).
    func rawQueue() throws -> DatabaseQueue { try DatabaseQueue(path: path) }
}

/// The catalog key of the PingshenError `body` throws, or nil.
func errorKey(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as PingshenError {
        return e.key
    } catch let e as PingshenErrors {
        return e.errors.first?.key
    } catch {
        return "\(error)"
    }
}

@Suite("The store: panels, members, data, sheets")
struct StoreTests {
    @Test("A new store is a WAL database with foreign keys; reopening it keeps everything")
    func openAndReopen() throws {
        let t = try TempStore()
        #expect(try t.store.journalMode() == "wal")
        #expect(try t.store.integrityCheck() == "ok")
        let again = try PanelStore(path: t.path)
        #expect(try again.panels().map(\.id) == ["P1"])
        #expect(try again.reviewers(panel: "P1").map(\.id) == ["r1", "r2"])
        #expect(try again.applicants(panel: "P1").map(\.industry) == ["机械", nil])
        let fk = try t.rawQueue().read { db in try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT id) FROM pragma_foreign_key_list('sheet')") }
        #expect(fk == 3)
    }

    @Test("Opening a missing file without create is an error, not a new empty database")
    func missingFile() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("missing-\(UUID().uuidString).sqlite").path
        #expect(errorKey { _ = try PanelStore(path: path) } == "store.no_database")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("Duplicates and unknown members are refused with their own messages")
    func refusals() throws {
        let t = try TempStore()
        let s = t.store
        #expect(errorKey { try s.createPanel(PanelInfo(id: "P1", rubricId: "x", title: "t", round: "初评"), actor: "a") } == "store.panel_exists")
        #expect(errorKey { try s.addReviewer(panel: "P1", ReviewerInfo(id: "r1", name: "x"), actor: "a") } == "store.reviewer_exists")
        #expect(errorKey { try s.addApplicant(panel: "P1", ApplicantInfo(id: "a1", name: "x"), actor: "a") } == "store.applicant_exists")
        #expect(errorKey { try s.addReviewer(panel: "P9", ReviewerInfo(id: "r1", name: "x"), actor: "a") } == "store.no_panel")
        #expect(errorKey { try s.setPoints(panel: "P1", reviewer: "r9", applicant: "a1", leaf: "goals", points: 1, actor: "r9") } == "store.no_reviewer")
        #expect(errorKey { try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a9", leaf: "goals", points: 1, actor: "r1") } == "store.no_applicant")
        #expect(errorKey { try s.openRound(panel: "P1", round: "初评", actor: "a") } == "store.round_exists")
    }

    @Test("Points are written one transaction at a time and read back; unchanged points write nothing")
    func points() throws {
        let t = try TempStore()
        let s = t.store
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1") == nil)
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 25.5, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "sharing", points: 3, actor: "r1")
        let before = try s.auditLog(panel: "P1").count
        let old = try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 25.5, actor: "r1")
        #expect(old == 25.5)
        #expect(try s.auditLog(panel: "P1").count == before)
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 27, actor: "r1")
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "见建设方案", actor: "r1")
        let sheet = try #require(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1"))
        #expect(sheet.points == ["goals": 27, "sharing": 3])
        #expect(sheet.notes == ["goals": "见建设方案"])
        #expect(sheet.round == "初评")
        #expect(!sheet.submitted)
        // Clearing removes the leaf.
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "sharing", points: nil, actor: "r1")
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points == ["goals": 27])
    }

    @Test("The audit log records every change: who, when, entity, field, old → new, why")
    func auditRecordsEverything() throws {
        let t = try TempStore()
        let s = t.store
        try s.importData(panel: "P1", [DataInput(applicant: "a1", industry: "电子", values: ["rd-staff-share": 30])], actor: "sec")
        try s.importData(panel: "P1", [DataInput(applicant: "a1", values: ["rd-staff-share": 35])], actor: "sec")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 22.5, actor: "r1")
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "补充", actor: "r1")
        try s.submit(panel: "P1", reviewer: "r1", applicant: "a1", actor: "r1")
        try s.reopen(panel: "P1", reviewer: "r1", applicant: "a1", reason: "专家要求更正", actor: "chair")
        try s.recuse(panel: "P1", reviewer: "r2", applicant: "a2", reason: "同一集团", actor: "chair")
        try s.openRound(panel: "P1", round: "现场考察", actor: "chair")

        let log = try s.auditLog(panel: "P1")
        func row(_ entity: String, _ field: String) -> [AuditEntry] { log.filter { $0.entity == entity && $0.field == field } }
        #expect(row("panel", "rubric").first?.new == "manufacturing-innovation-center")
        #expect(row("reviewer:r1", "name").first?.new == "张三")
        #expect(row("applicant:a1", "industry").map { "\($0.old ?? "∅")→\($0.new ?? "∅")" } == ["∅→机械", "机械→电子"])
        #expect(row("data:a1", "rd-staff-share").map { "\($0.old ?? "∅")→\($0.new ?? "∅")" } == ["∅→30", "30→35"])
        let goals = row("sheet:r1/a1/初评", "goals")
        #expect(goals.map { "\($0.old ?? "∅")→\($0.new ?? "∅")" } == ["∅→20", "20→22.5"])
        #expect(goals.allSatisfy { $0.actor == "r1" })
        #expect(row("sheet:r1/a1/初评", "note:goals").first?.new == "补充")
        let submitted = row("sheet:r1/a1/初评", "submitted")
        #expect(submitted.map { "\($0.old ?? "")→\($0.new ?? "")" } == ["0→1", "1→0"])
        #expect(submitted.last?.reason == "专家要求更正")
        #expect(submitted.last?.actor == "chair")
        #expect(row("recusal:r2/a2", "recused").first?.reason == "同一集团")
        #expect(row("panel", "round").last.map { "\($0.old ?? "")→\($0.new ?? "")" } == "初评→现场考察")
        // Positions are 1…n, timestamps are ISO 8601 UTC, and the chain verifies.
        #expect(log.map(\.pseq) == Array(1...log.count))
        #expect(log.allSatisfy { $0.at.hasSuffix("Z") && $0.at.count == 24 })
        let v = try s.verifyAuditChain(panel: "P1")
        #expect(v.isIntact)
        #expect(v.rows == log.count)
    }

    @Test("auditLog(afterSeq:) returns only what was appended since (a change feed)")
    func changeFeed() throws {
        let t = try TempStore()
        let s = t.store
        let mark = try #require(try s.auditLog(panel: "P1").last?.seq)
        try s.setPoints(panel: "P1", reviewer: "r2", applicant: "a2", leaf: "goals", points: 12, actor: "r2")
        let feed = try s.auditLog(panel: "P1", afterSeq: mark)
        #expect(feed.map { "\($0.entity) \($0.field ?? "") \($0.new ?? "")" } == ["sheet:r2/a2/初评 goals 12"])
    }

    @Test("The audit log is append-only: UPDATE and DELETE are refused by the database")
    func appendOnly() throws {
        let t = try TempStore()
        #expect(errorKey { try t.store.executeRaw("UPDATE audit SET new = 'x' WHERE pseq = 1") } == "store.audit_append_only")
        #expect(errorKey { try t.store.executeRaw("DELETE FROM audit") } == "store.audit_append_only")
        #expect(try t.store.verifyAuditChain(panel: "P1").isIntact)
    }

    @Test("verifyAuditChain finds the first row edited directly in the database")
    func tamperEdit() throws {
        let t = try TempStore()
        let s = t.store
        for (i, p) in [10.0, 12, 14, 16].enumerated() {
            try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: p + Double(i), actor: "r1")
        }
        let log = try s.auditLog(panel: "P1")
        let target = try #require(log.first { $0.entity == "sheet:r1/a1/初评" && $0.new == "13" })
        // A tamperer with sqlite access: drop the guard, rewrite one value.
        try t.rawQueue().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET new = '30' WHERE seq = ?", arguments: [target.seq])
        }
        let v = try s.verifyAuditChain(panel: "P1")
        #expect(!v.isIntact)
        #expect(v.firstBroken == target.pseq)
        #expect(v.problem?.key == "store.audit_hash")
        #expect(v.problem?.text(.en).contains("audit row \(target.pseq)") == true)
    }

    @Test("verifyAuditChain finds a re-hashed row (broken link) and rows cut from the end")
    func tamperRehashAndTruncate() throws {
        let t = try TempStore()
        let s = t.store
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 10, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 11, actor: "r1")
        let log = try s.auditLog(panel: "P1")
        let middle = log[log.count - 2]
        // Rewrite a row and recompute its own hash: the next row no longer links to it.
        var forged = middle
        forged.new = "29"
        let newHash = sha256Hex(forged.prevHash + "\n" + forged.canonicalContent)
        try t.rawQueue().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            try db.execute(sql: "UPDATE audit SET new = '29', hash = ? WHERE seq = ?", arguments: [newHash, middle.seq])
        }
        let v = try s.verifyAuditChain(panel: "P1")
        #expect(v.firstBroken == middle.pseq + 1)
        #expect(v.problem?.key == "store.audit_link")

        let t2 = try TempStore()
        try t2.store.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 10, actor: "r1")
        try t2.rawQueue().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_delete")
            try db.execute(sql: "DELETE FROM audit WHERE pseq = (SELECT MAX(pseq) FROM audit)")
        }
        let v2 = try t2.store.verifyAuditChain(panel: "P1")
        #expect(v2.problem?.key == "store.audit_head")
    }

    @Test("Applicant data: values replace stored ones, industry updates the applicant, notes are kept")
    func data() throws {
        let t = try TempStore()
        let s = t.store
        let sum = try s.importData(panel: "P1", [DataInput(applicant: "a1", industry: "家电",
                                                           values: ["rd-staff-share": 30, "platform-coverage": 60],
                                                           notes: ["platform-coverage": "核定表第2页"])], actor: "sec")
        #expect(sum.changed == 4)
        let again = try s.importData(panel: "P1", [DataInput(applicant: "a1", values: ["rd-staff-share": 30, "platform-coverage": 55])],
                                     actor: "sec")
        #expect(again.changed == 1)
        #expect(again.unchanged == 1)
        let d = try s.applicantData(panel: "P1", applicant: "a1")
        #expect(d.values == ["rd-staff-share": 30, "platform-coverage": 55])
        #expect(d.industry == "家电")
        #expect(try s.dataNotes(panel: "P1", applicant: "a1") == ["platform-coverage": "核定表第2页"])
        #expect(errorKey { try s.importData(panel: "P1", [DataInput(applicant: "zz", values: ["x": 1])], actor: "sec") } == "store.no_applicant")
    }

    @Test("Importing sheets is all or nothing: one refused sheet writes nothing at all")
    func importAllOrNothing() throws {
        let t = try TempStore()
        let s = t.store
        try s.recuse(panel: "P1", reviewer: "r2", applicant: "a2", reason: "亲属", actor: "chair")
        let auditBefore = try s.auditLog(panel: "P1").count
        let inputs = [
            SheetInput(reviewer: "r1", applicant: "a1", points: ["goals": 20, "sharing": 3]),
            SheetInput(reviewer: "r1", applicant: "a2", points: ["goals": 21]),
            SheetInput(reviewer: "r2", applicant: "a2", points: ["goals": 22], file: "x.txt", line: 9),
        ]
        do {
            try s.importSheets(panel: "P1", inputs, actor: "sec")
            Issue.record("a recused reviewer's sheet was imported")
        } catch let e as PingshenError {
            #expect(e.key == "store.recused")
            #expect(e.location?.line == 9)
        }
        #expect(try s.snapshot(panel: "P1").sheets.isEmpty)
        #expect(try s.auditLog(panel: "P1").count == auditBefore)
        #expect(try s.verifyAuditChain(panel: "P1").isIntact)

        let ok = try s.importSheets(panel: "P1", Array(inputs.prefix(2)), submit: true, actor: "sec")
        #expect(ok.blocks == 2)
        #expect(ok.created == 2)
        #expect(ok.changed == 3)
        #expect(ok.submitted == 2)
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.submitted == true)
        // A submitted sheet refuses a second import.
        #expect(errorKey { try s.importSheets(panel: "P1", [inputs[0]], actor: "sec") } == "store.submitted")
    }

    @Test("A submitted sheet refuses changes until reopened with a reason")
    func submitReopen() throws {
        let t = try TempStore()
        let s = t.store
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20, actor: "r1")
        #expect(errorKey { try s.reopen(panel: "P1", reviewer: "r1", applicant: "a1", reason: "x", actor: "c") } == "store.not_submitted")
        try s.submit(panel: "P1", reviewer: "r1", applicant: "a1", actor: "r1")
        #expect(errorKey { try s.submit(panel: "P1", reviewer: "r1", applicant: "a1", actor: "r1") } == "store.submitted")
        #expect(errorKey { try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 21, actor: "r1") } == "store.submitted")
        #expect(errorKey { try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "n", actor: "r1") } == "store.submitted")
        #expect(errorKey { try s.reopen(panel: "P1", reviewer: "r1", applicant: "a1", reason: "  ", actor: "c") } == "store.reason_required")
        try s.reopen(panel: "P1", reviewer: "r1", applicant: "a1", reason: "更正笔误", actor: "chair")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 21, actor: "r1")
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points["goals"] == 21)
    }

    @Test("A recused reviewer cannot score or submit for that applicant, and the snapshot says so")
    func recusal() throws {
        let t = try TempStore()
        let s = t.store
        try s.recuse(panel: "P1", reviewer: "r1", applicant: "a2", reason: "曾任该单位顾问", actor: "chair")
        #expect(errorKey { try s.recuse(panel: "P1", reviewer: "r1", applicant: "a2", reason: "x", actor: "chair") } == "store.already_recused")
        #expect(errorKey { try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a2", leaf: "goals", points: 1, actor: "r1") } == "store.recused")
        #expect(errorKey { try s.submit(panel: "P1", reviewer: "r1", applicant: "a2", actor: "r1") } == "store.recused")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 1, actor: "r1")
        let snap = try s.snapshot(panel: "P1")
        #expect(snap.isRecused("r1", "a2"))
        #expect(!snap.isRecused("r1", "a1"))
        #expect(snap.recusals == [Recusal(reviewer: "r1", applicant: "a2", reason: "曾任该单位顾问")])
    }

    @Test("Rounds: sheets are per round, writes go to the current round, the snapshot holds all rounds")
    func rounds() throws {
        let t = try TempStore()
        let s = t.store
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20, actor: "r1")
        try s.submit(panel: "P1", reviewer: "r1", applicant: "a1", actor: "r1")
        try s.openRound(panel: "P1", round: "现场考察", actor: "chair")
        #expect(try s.panel("P1").round == "现场考察")
        #expect(try s.rounds(panel: "P1").map(\.round) == ["初评", "现场考察"])
        // The new round's sheet is a new, open sheet.
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 24, actor: "r1")
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points["goals"] == 24)
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1", round: "初评")?.points["goals"] == 20)
        let snap = try s.snapshot(panel: "P1")
        #expect(snap.sheets.map(\.round) == ["初评", "现场考察"])
        #expect(snap.sheets.map(\.submitted) == [true, false])
        #expect(try s.sheetSummaries(panel: "P1").map(\.scored) == [["goals"]])
    }

    @Test("snapshot and inputDigest: the digest is the SHA-256 of the canonical text and follows every input")
    func digest() throws {
        let t = try TempStore()
        let s = t.store
        try s.importData(panel: "P1", [DataInput(applicant: "a1", values: ["rd-staff-share": 30])], actor: "sec")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20, actor: "r1")
        let snap = try s.snapshot(panel: "P1")
        #expect(snap.data["a1"]?.values == ["rd-staff-share": 30])
        #expect(snap.data["a1"]?.industry == "机械")
        #expect(snap.data["a2"] == ApplicantData(values: [:], industry: nil))
        #expect(snap.sheets == [SheetRecord(reviewer: "r1", applicant: "a1", round: "初评", points: ["goals": 20])])
        let d1 = try s.inputDigest(panel: "P1")
        #expect(d1 == sha256Hex(canonicalInputText(snap)))
        #expect(d1.count == 64)
        #expect(try s.inputDigest(panel: "P1") == d1)
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20.5, actor: "r1")
        #expect(try s.inputDigest(panel: "P1") != d1)
    }

    @Test("A sealed panel refuses every change, in the store and in the database itself")
    func sealed() throws {
        let t = try TempStore()
        let s = t.store
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20, actor: "r1")
        #expect(try s.sealInfo(panel: "P1") == nil)
        let digest = try s.inputDigest(panel: "P1")
        try s.seal(panel: "P1", by: "chair", digest: digest)
        let info = try #require(try s.sealInfo(panel: "P1"))
        #expect(info.by == "chair")
        #expect(info.digest == digest)
        #expect(try info.auditHead == s.auditLog(panel: "P1").last?.hash)
        #expect(try s.panel("P1").sealedBy == "chair")

        let refused: [(String, () throws -> Void)] = [
            ("setPoints", { try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 21, actor: "r1") }),
            ("setNote", { try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "x", actor: "r1") }),
            ("importSheets", { try s.importSheets(panel: "P1", [SheetInput(reviewer: "r2", applicant: "a1", points: ["goals": 1])], actor: "x") }),
            ("importData", { try s.importData(panel: "P1", [DataInput(applicant: "a1", values: ["rd-staff-share": 1])], actor: "x") }),
            ("addReviewer", { try s.addReviewer(panel: "P1", ReviewerInfo(id: "r3", name: "x"), actor: "x") }),
            ("addApplicant", { try s.addApplicant(panel: "P1", ApplicantInfo(id: "a3", name: "x"), actor: "x") }),
            ("recuse", { try s.recuse(panel: "P1", reviewer: "r2", applicant: "a2", reason: "x", actor: "x") }),
            ("submit", { try s.submit(panel: "P1", reviewer: "r1", applicant: "a1", actor: "r1") }),
            ("reopen", { try s.reopen(panel: "P1", reviewer: "r1", applicant: "a1", reason: "x", actor: "x") }),
            ("openRound", { try s.openRound(panel: "P1", round: "综合评议", actor: "x") }),
            ("seal", { try s.seal(panel: "P1", by: "x", digest: "y") }),
        ]
        for (name, body) in refused {
            #expect(errorKey(body) == "store.sealed", "\(name) was not refused")
        }
        #expect((try? s.sealInfo(panel: "P1")) == info)
        #expect(try s.inputDigest(panel: "P1") == digest)
        // Code that bypasses the store is stopped by the triggers.
        #expect(errorKey { try s.executeRaw("UPDATE sheet_point SET points = 30") } == "store.sealed_row")
        #expect(errorKey { try s.executeRaw("DELETE FROM applicant WHERE id = 'a2'") } == "store.sealed_row")
        #expect(errorKey { try s.executeRaw("UPDATE panel SET title = 'x'") } == "store.sealed_row")
        #expect(try s.verifyAuditChain(panel: "P1").isIntact)
        // A sheet row changed behind the triggers' back is caught by the digest.
        try t.rawQueue().write { db in
            try db.execute(sql: "DROP TRIGGER sheet_point_sealed_update")
            try db.execute(sql: "UPDATE sheet_point SET points = 30")
        }
        #expect(try s.inputDigest(panel: "P1") != info.digest)
    }

    @Test("A large import runs in one transaction and reads back whole")
    func largeImport() throws {
        let t = try TempStore()
        let s = t.store
        for i in 3...40 { try s.addApplicant(panel: "P1", ApplicantInfo(id: "a\(i)", name: "单位\(i)"), actor: "sec") }
        let leaves = (1...25).map { "leaf-\($0)" }
        var inputs: [SheetInput] = []
        for r in ["r1", "r2"] {
            for a in (1...40).map({ "a\($0)" }) {
                inputs.append(SheetInput(reviewer: r, applicant: a,
                                         points: Dictionary(uniqueKeysWithValues: leaves.enumerated().map { ($1, Double($0 % 5)) })))
            }
        }
        let sum = try s.importSheets(panel: "P1", inputs, actor: "sec")
        #expect(sum.changed == 2 * 40 * 25)
        let snap = try s.snapshot(panel: "P1")
        #expect(snap.sheets.count == 80)
        #expect(snap.sheets.allSatisfy { $0.points.count == 25 })
        #expect(try s.verifyAuditChain(panel: "P1").rows == (try s.auditLog(panel: "P1").count))
        #expect(try s.integrityCheck() == "ok")
    }
}
