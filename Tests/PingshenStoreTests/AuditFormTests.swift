import Foundation
import GRDB
import PingshenAudit
import PingshenCore
import PingshenStore
import Testing

@Suite("The audit log's canonical forms")
struct AuditFormTests {
    @Test("Rows written before the shared form (canon 1) keep verifying, followed by rows of the shared form; an edit of either is caught")
    func mixedForms() throws {
        let t = try TempStore()
        let s = t.store
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 10, actor: "r1")
        // Rewrite the chain as an earlier version wrote it: every row in form 1, hashed again in order, as a
        // database made before the shared form holds it.
        let old = try s.auditLog(panel: "P1")
        #expect(old.allSatisfy { $0.canon == AuditCanon.shared.rawValue })
        try t.rawQueue().write { db in
            try db.execute(sql: "DROP TRIGGER audit_no_update")
            var prev = auditGenesisHash
            for e in old {
                var r = e.record
                r.canon = .panelV1
                r.changeId = nil
                let hash = r.expectedHash(prev: prev)
                try db.execute(sql: "UPDATE audit SET canon = 1, change_id = NULL, prev_hash = ?, hash = ? WHERE seq = ?",
                               arguments: [prev, hash, e.seq])
                prev = hash
            }
            try db.execute(sql: "UPDATE panel SET audit_head = ? WHERE id = 'P1'", arguments: [prev])
        }
        #expect(try s.verifyAuditChain(panel: "P1").isIntact)
        // New rows continue the chain in the shared form.
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", points: 12, actor: "r1")
        let log = try s.auditLog(panel: "P1")
        #expect(Set(log.map(\.canon)) == [1, 2])
        #expect(try s.verifyAuditChain(panel: "P1").isIntact)
        #expect(try s.verifyDataAgainstAudit(panel: "P1").isConsistent)

        // The auditor's script agrees, on both forms.
        let json = t.dir.appendingPathComponent("audit.json")
        let enc = JSONEncoder()
        try enc.encode(log).write(to: json)
        let ok = try python(["scripts/audit_chain.py", json.path, "--head", log.last?.hash ?? ""])
        #expect(ok.code == 0 && ok.out.contains("\"rows\": \(log.count)"), "\(ok.out) \(ok.err)")

        // An edited form-1 row is caught by both.
        let target = try #require(log.first { $0.canon == 1 && $0.field == "title" })
        try t.rawQueue().write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_no_update")
            try db.execute(sql: "UPDATE audit SET new = '改过的标题' WHERE seq = ?", arguments: [target.seq])
        }
        let v = try s.verifyAuditChain(panel: "P1")
        #expect(v.firstBroken == target.pseq && v.problem?.key == "store.audit_hash")
        try enc.encode(try s.auditLog(panel: "P1")).write(to: json)
        let bad = try python(["scripts/audit_chain.py", json.path])
        #expect(bad.code == 1 && bad.out.contains("\"first_bad\": \(target.pseq)"), "\(bad.out)")
    }

    @Test("The canonical text of each form, exactly as docs/audit.md gives it")
    func canonicalText() {
        let r = AuditRecord(position: 3, panel: "P1", at: "2026-12-01T08:09:37.123Z", actor: "r1", entity: "sheet:r1/a1/初评",
                            field: "goals", old: nil, new: "a\tb\\c\nd", reason: "x\ry", changeId: "c-1")
        #expect(r.canonicalContent == "3\tP1\t2026-12-01T08:09:37.123Z\tr1\tsheet:r1/a1/初评\tgoals\t\\N\ta\\tb\\\\c\\nd\tx\\ry\tc-1")
        var v1 = r
        v1.canon = .panelV1
        #expect(v1.canonicalContent == "3\tP1\t2026-12-01T08:09:37.123Z\tr1\tsheet:r1/a1/初评\tgoals\t\\N\ta\\tb\\\\c\\nd\tx\\ry")
        var v0 = r
        v0.canon = .serverV0
        #expect(v0.canonicalContent.split(separator: "\u{1F}", omittingEmptySubsequences: false).count == 10)
        #expect(v0.hashedText(prev: "p") == "p" + v0.canonicalContent)
        #expect(r.hashedText(prev: "p") == "p\n" + r.canonicalContent)
        // The hash is SHA-256 of those bytes (the empty string's well-known digest checks the function itself).
        #expect(sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}

/// Runs python3 from the repository root.
func python(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    p.currentDirectoryURL = root
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

@Suite("Free text at entry")
struct FreeTextTests {
    @Test("A note or reason with a control character (other than tab and line breaks) is refused at entry, before anything is queued")
    func controlCharacters() throws {
        let t = try TempStore()
        let s = t.store
        try s.link(panel: "P1", server: "http://127.0.0.1:1", role: .reviewer, identity: "r1", panelVersion: 1)
        #expect(errorKey { try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "a\u{1B}[31mb", actor: "r1") }
                == "store.control_char")
        #expect(errorKey { try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals",
                                         note: String(repeating: "长", count: ChangeLimits.note + 1), actor: "r1") } == "store.text_too_long")
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "goals", note: "第一行\n第二行\t制表", actor: "r1")
        #expect(try s.outbox(panel: "P1").map(\.change.note) == ["第一行\n第二行\t制表"])
        #expect(errorKey { _ = try s.importSheets(panel: "P1", [SheetInput(reviewer: "r1", applicant: "a2", points: [:],
                                                                           notes: ["goals": "x\u{7}"])], actor: "r1") }
                == "store.control_char")
        #expect(try s.outbox(panel: "P1").count == 1)
    }
}
