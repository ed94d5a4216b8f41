import Foundation
import GRDB
import PingshenAudit
import PingshenCore
import PingshenStore
import Testing

/// A store with one panel that went through every kind of change the store makes.
private struct BusyPanel {
    let dir: URL
    let path: String
    let store: PanelStore

    init() throws {
        dir = try tempDir("tamper")
        path = dir.appendingPathComponent("t.sqlite").path
        store = try PanelStore(path: path, create: true)
        let s = store
        try s.createPanel(PanelInfo(id: "P1", rubricId: "manufacturing-innovation-center", title: "测试组", round: "初评",
                                    variant: "upgrade", method: .trimmed, quorum: 2, view: .totals), actor: "sec")
        for (id, name) in [("r1", "张三"), ("r2", "李四"), ("r3", "王五")] {
            try s.addReviewer(panel: "P1", ReviewerInfo(id: id, name: name), actor: "sec")
        }
        try s.addApplicant(panel: "P1", ApplicantInfo(id: "a1", name: "甲公司", industry: "机械"), actor: "sec")
        try s.addApplicant(panel: "P1", ApplicantInfo(id: "a2", name: "乙公司"), actor: "sec")
        try s.recuse(panel: "P1", reviewer: "r3", applicant: "a2", reason: "同一集团", actor: "chair")
        try s.importData(panel: "P1", [
            DataInput(applicant: "a1", industry: "家电", values: ["rd-staff-share": 31.25, "platform-coverage": 60],
                      notes: ["rd-staff-share": "核定自花名册"]),
            DataInput(applicant: "a2", values: ["rd-staff-share": 12.5]),
        ], actor: "sec")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 20, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 22.5, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "sharing", points: 3, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "sharing", points: nil, actor: "r1")
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "进展良好", actor: "r1")
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "tech-progress", note: "临时", actor: "r1")
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "tech-progress", note: nil, actor: "r1")
        try s.importSheets(panel: "P1", [
            SheetInput(reviewer: "r2", applicant: "a1", points: ["goals": 25, "leading-expert": 2], notes: ["goals": "'; DROP TABLE sheet; --"]),
            SheetInput(reviewer: "r2", applicant: "a2", points: ["goals": 10]),
        ], submit: true, actor: "sec", reason: "纸质评分表录入")
        try s.reopen(panel: "P1", reviewer: "r2", applicant: "a2", reason: "专家要求更正", actor: "chair")
        try s.openRound(panel: "P1", round: "现场考察", actor: "chair")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 28, actor: "r1")
    }

    func raw() throws -> DatabaseQueue { try DatabaseQueue(path: path) }

    /// Runs SQL as a tamperer would: with the sqlite3 shell, dropping whatever trigger is in the way.
    func tamper(_ sql: String, _ args: StatementArguments = [], dropping triggers: [String] = []) throws {
        try raw().write { db in
            for t in triggers { try db.execute(sql: "DROP TRIGGER IF EXISTS \(t)") }
            try db.execute(sql: sql, arguments: args)
        }
    }

    func log() throws -> [AuditEntry] { try store.auditLog(panel: "P1") }
}

@Suite("Tamper evidence: the audit chain and the data replayed from it")
struct TamperTests {
    @Test("A panel changed only through the store verifies: chain intact, data agrees with the log")
    func cleanPanelVerifies() throws {
        let b = try BusyPanel()
        let chain = try b.store.verifyAuditChain(panel: "P1")
        #expect(chain.isIntact)
        let data = try b.store.verifyDataAgainstAudit(panel: "P1")
        #expect(data.problems.map { $0.text(.en) } == [])
        #expect(data.auditRows == chain.rows)
        #expect(data.values > 20)
        // Sealing adds the seal's own row; still consistent, and still after a reopen of the file.
        try b.store.seal(panel: "P1", by: "chair", digest: try b.store.inputDigest(panel: "P1"))
        let again = try PanelStore(path: b.path)
        #expect(try again.verifyAuditChain(panel: "P1").isIntact)
        #expect(try again.verifyDataAgainstAudit(panel: "P1").isConsistent)
    }

    @Test("An audit row edited in the middle of the chain: its hash no longer matches")
    func editedMiddleRow() throws {
        let b = try BusyPanel()
        let log = try b.log()
        let target = log[log.count / 2]
        try b.tamper("UPDATE audit SET actor = 'someone-else' WHERE seq = ?", [target.seq], dropping: ["audit_no_update"])
        let v = try b.store.verifyAuditChain(panel: "P1")
        #expect(v.problem?.key == "store.audit_hash")
        #expect(v.firstBroken == target.pseq)
    }

    @Test("The last audit row deleted: the chain is shorter than the head the panel records")
    func deletedLastRow() throws {
        let b = try BusyPanel()
        let n = try b.log().count
        try b.tamper("DELETE FROM audit WHERE panel_id = 'P1' AND pseq = ?", [n], dropping: ["audit_no_delete"])
        let v = try b.store.verifyAuditChain(panel: "P1")
        #expect(v.problem?.key == "store.audit_head")
        #expect(v.rows == n - 1)
        // The row removed was the second round's score: the sheet still holds it, the log no longer does.
        let d = try b.store.verifyDataAgainstAudit(panel: "P1")
        #expect(d.problems.contains { $0.args[1] == "sheet:r1/a1/现场考察" && $0.args[2] == "goals" && $0.args[4] == "28" })
    }

    @Test("An audit row deleted from the middle: a gap in the positions")
    func deletedMiddleRow() throws {
        let b = try BusyPanel()
        let log = try b.log()
        let target = log[log.count / 2]
        try b.tamper("DELETE FROM audit WHERE seq = ?", [target.seq], dropping: ["audit_no_delete"])
        let v = try b.store.verifyAuditChain(panel: "P1")
        #expect(v.problem?.key == "store.audit_gap")
        #expect(v.firstBroken == target.pseq)
    }

    @Test("A forged row inserted in the middle, correctly hashed on its predecessor: the next row's link breaks")
    func insertedMiddleRow() throws {
        let b = try BusyPanel()
        let log = try b.log()
        let k = log.count / 2
        let before = log[k - 1]
        var forged = before
        forged.pseq = before.pseq + 1
        forged.entity = "sheet:r1/a2/初评"
        forged.field = "goals"
        forged.old = nil
        forged.new = "30"
        forged.prevHash = before.hash
        forged.hash = sha256Hex(forged.prevHash + "\n" + forged.canonicalContent)
        try b.raw().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            // Make room: shift the later rows' positions up by one (in two steps for the UNIQUE index).
            try db.execute(sql: "UPDATE audit SET pseq = pseq + 1000000 WHERE panel_id = 'P1' AND pseq > ?", arguments: [before.pseq])
            try db.execute(sql: "UPDATE audit SET pseq = pseq - 999999 WHERE panel_id = 'P1' AND pseq > 1000000")
            try db.execute(sql: """
                INSERT INTO audit (panel_id, pseq, at, actor, entity, field, old, new, reason, canon, prev_hash, hash)
                VALUES ('P1', ?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?, ?)
                """, arguments: [forged.pseq, forged.at, forged.actor, forged.entity, forged.field, forged.new,
                                 forged.canon, forged.prevHash, forged.hash])
        }
        let v = try b.store.verifyAuditChain(panel: "P1")
        #expect(v.problem?.key == "store.audit_link")
        #expect(v.firstBroken == forged.pseq + 1)
    }

    @Test("A forged row appended at the end of the chain: the panel's recorded head and count disagree")
    func insertedLastRow() throws {
        let b = try BusyPanel()
        let log = try b.log()
        let last = try #require(log.last)
        var forged = last
        forged.pseq = last.pseq + 1
        forged.field = "leading-expert"
        forged.old = nil
        forged.new = "2"
        forged.prevHash = last.hash
        forged.hash = sha256Hex(forged.prevHash + "\n" + forged.canonicalContent)
        try b.tamper("""
            INSERT INTO audit (panel_id, pseq, at, actor, entity, field, old, new, reason, canon, prev_hash, hash)
            VALUES ('P1', ?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?, ?)
            """, [forged.pseq, forged.at, forged.actor, forged.entity, forged.field, forged.new, forged.canon, forged.prevHash,
                  forged.hash])
        let v = try b.store.verifyAuditChain(panel: "P1")
        #expect(v.problem?.key == "store.audit_head")
        // And the forged row claims a score the sheet does not hold.
        let d = try b.store.verifyDataAgainstAudit(panel: "P1")
        #expect(d.problems.contains { $0.args[2] == "leading-expert" && $0.args[3] == "2" && $0.args[4] == "—" })
    }

    @Test("A sheet_point row edited directly, without an audit row: the chain is intact, the replay finds it")
    func editedSheetPoint() throws {
        let b = try BusyPanel()
        try b.tamper("""
            UPDATE sheet_point SET points = 30 WHERE leaf_id = 'goals'
              AND sheet_id = (SELECT id FROM sheet WHERE reviewer_id = 'r2' AND applicant_id = 'a1')
            """)
        #expect(try b.store.verifyAuditChain(panel: "P1").isIntact)
        let d = try b.store.verifyDataAgainstAudit(panel: "P1")
        #expect(d.problems.count == 1)
        let p = try #require(d.problems.first)
        #expect(p.key == "store.data_unaudited")
        #expect(p.args == ["P1", "sheet:r2/a1/初评", "goals", "25", "30"])
        #expect(p.text(.en).contains("changed directly"))
    }

    @Test("Every other kind of direct edit is found by the replay as well")
    func otherDirectEdits() throws {
        let edits: [(String, String, String)] = [
            ("INSERT INTO sheet_point (sheet_id, leaf_id, points) SELECT id, 'sharing', 4 FROM sheet WHERE reviewer_id = 'r2' AND applicant_id = 'a2'",
             "sheet:r2/a2/初评", "sharing"),
            ("DELETE FROM sheet_note WHERE leaf_id = 'goals' AND sheet_id = (SELECT id FROM sheet WHERE reviewer_id = 'r2' AND applicant_id = 'a1')",
             "sheet:r2/a1/初评", "note:goals"),
            ("UPDATE sheet SET submitted = 1 WHERE reviewer_id = 'r2' AND applicant_id = 'a2'", "sheet:r2/a2/初评", "submitted"),
            ("UPDATE sheet SET submitted = 1 WHERE reviewer_id = 'r1' AND round = '现场考察'", "sheet:r1/a1/现场考察", "submitted"),
            ("UPDATE applicant SET name = '丙公司' WHERE id = 'a2'", "applicant:a2", "name"),
            ("UPDATE applicant SET industry = '电子' WHERE id = 'a1'", "applicant:a1", "industry"),
            ("UPDATE applicant_value SET value = 99 WHERE applicant_id = 'a1' AND key = 'rd-staff-share'", "data:a1", "rd-staff-share"),
            ("UPDATE applicant_note SET note = '改过' WHERE applicant_id = 'a1'", "data:a1", "note:rd-staff-share"),
            ("DELETE FROM recusal WHERE reviewer_id = 'r3'", "recusal:r3/a2", "recused"),
            ("UPDATE recusal SET reason = '无' WHERE reviewer_id = 'r3'", "recusal:r3/a2", "reason"),
            ("INSERT INTO reviewer (panel_id, id, name, added_at) VALUES ('P1', 'r9', '冒名', '2024-01-01T00:00:00.000Z')",
             "reviewer:r9", "name"),
            ("UPDATE panel SET title = '改名', quorum = 1 WHERE id = 'P1'", "panel", "title"),
            ("UPDATE panel SET method = 'median' WHERE id = 'P1'", "panel", "method"),
            ("INSERT INTO panel_round (panel_id, seq, round, opened_at, opened_by) VALUES ('P1', 3, '复议', 'x', 'y')",
             "panel", "rounds"),
        ]
        for (sql, entity, field) in edits {
            let b = try BusyPanel()
            try b.tamper(sql)
            #expect(try b.store.verifyAuditChain(panel: "P1").isIntact, "\(sql)")
            let d = try b.store.verifyDataAgainstAudit(panel: "P1")
            #expect(d.problems.contains { $0.args[1] == entity && $0.args[2] == field },
                    "\(sql): \(d.problems.map { $0.text(.en) })")
        }
    }

    @Test("A sealed panel: edits behind the triggers' back change the input digest and fail the replay")
    func sealedPanel() throws {
        let b = try BusyPanel()
        let digest = try b.store.inputDigest(panel: "P1")
        try b.store.seal(panel: "P1", by: "chair", digest: digest)
        #expect(try b.store.sealInfo(panel: "P1")?.digest == digest)
        try b.tamper("UPDATE sheet_point SET points = 0", dropping: ["sheet_point_sealed_update"])
        #expect(try b.store.inputDigest(panel: "P1") != digest)
        #expect(try b.store.verifyAuditChain(panel: "P1").isIntact)
        #expect(!(try b.store.verifyDataAgainstAudit(panel: "P1").isConsistent))
    }
}
