import Foundation
import PingshenCore
import PingshenStore
import Testing

@Suite("The store's sync side: outbox, links, applying pulled changes")
struct SyncStoreTests {
    func pulled(_ seq: Int64, _ kind: ChangeKind, _ reviewer: String?, _ applicant: String?, leaf: String? = nil,
                value: Double? = nil, device: String = "other-device") -> FeedChange {
        FeedChange(seq: seq, changeId: "c\(seq)", kind: kind, device: device, reviewer: reviewer, applicant: applicant,
                   round: reviewer == nil ? nil : "初评", leaf: leaf, value: value, note: nil, reason: nil, clientTime: nil,
                   receivedAt: "2025-05-01T08:00:0\(seq % 10).000Z")
    }

    @Test("Only a panel linked by a reviewer queues changes, each in the transaction of the change")
    func outbox() throws {
        let t = try TempStore()
        let s = t.store
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 1, actor: "r1")
        #expect(try s.outbox(panel: "P1").isEmpty)
        try s.link(panel: "P1", server: "http://127.0.0.1:1", role: .chair, identity: "chair", panelVersion: 1)
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 2, actor: "r1")
        #expect(try s.outbox(panel: "P1").isEmpty)

        try s.link(panel: "P1", server: "http://127.0.0.1:1", role: .reviewer, identity: "r1", panelVersion: 1)
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 3, actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 3, actor: "r1")   // unchanged: nothing
        try s.setNote(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", note: "见附件", actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L2", points: nil, actor: "r1")  // nothing to clear
        try s.submit(panel: "P1", reviewer: "r1", applicant: "a1", actor: "r1")
        // A refused change queues nothing.
        #expect(errorKey { try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 4, actor: "r1") }
                == "store.submitted")
        try s.reopen(panel: "P1", reviewer: "r1", applicant: "a1", reason: "笔误", actor: "r1")
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: nil, actor: "r1")
        try s.importSheets(panel: "P1", [SheetInput(reviewer: "r1", applicant: "a2", points: ["L1": 1, "L2": 2], notes: ["L2": "好"])],
                           submit: true, actor: "r1")
        let rows = try s.outbox(panel: "P1")
        #expect(rows.map { $0.change.kind } == [.setPoints, .setNote, .submit, .reopen, .clearPoints,
                                                .setPoints, .setPoints, .setNote, .submit])
        #expect(rows.map { $0.change.value } == [3, nil, nil, nil, nil, 1, 2, nil, nil])
        #expect(rows.first { $0.change.kind == .reopen }?.change.reason == "笔误")
        #expect(Set(rows.map { $0.change.changeId }).count == rows.count)
        let device = try s.deviceId()
        #expect(!device.isEmpty && rows.allSatisfy { $0.change.device == device && $0.state == .pending })
        // The device id is the database's, for good.
        #expect(try PanelStore(path: t.path).deviceId() == device)

        try s.settleOutbox([OutboxOutcome(changeId: rows[0].change.changeId, state: .sent, outcome: "applied", serverSeq: 7),
                            OutboxOutcome(changeId: rows[1].change.changeId, state: .refused, outcome: "sealed", serverSeq: nil)])
        #expect(try s.outbox(panel: "P1", state: .pending).count == rows.count - 2)
        #expect(try s.outbox(panel: "P1", state: .refused).map { $0.outcome } == ["sealed"])
        #expect(try s.outbox(panel: "P1", state: .pending, limit: 3).map { $0.change.changeId }
                == rows[2..<5].map { $0.change.changeId })
    }

    @Test("A pull writes the server's last value per cell, keeps a newer unsent local change, logs every write, and seals")
    func applyPull() throws {
        let t = try TempStore()
        let s = t.store
        try s.link(panel: "P1", server: "http://127.0.0.1:1", role: .reviewer, identity: "r1", panelVersion: 1)
        try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 2, actor: "r1")   // pending
        let summary = try s.applyPulled(panel: "P1", changes: [
            pulled(1, .setPoints, "r1", "a1", leaf: "L1", value: 5),
            pulled(2, .setPoints, "r1", "a1", leaf: "L2", value: 1),
            pulled(3, .setPoints, "r1", "a1", leaf: "L2", value: 3),
            pulled(4, .setPoints, "r2", "a2", leaf: "L1", value: 4),
            pulled(5, .submit, "r2", "a2"),
            pulled(6, .setPoints, "r1", "a9", leaf: "L1", value: 1),
            pulled(7, .setPoints, "r3", "a1", leaf: "L1", value: 2),
        ], cursor: 7, panelVersion: 1, actor: "sync")
        #expect(summary.keptLocal == 1 && summary.unknown == 1 && summary.written == 4 && !summary.sealed)
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points == ["L1": 2, "L2": 3])
        let r2 = try #require(try s.sheet(panel: "P1", reviewer: "r2", applicant: "a2"))
        #expect(r2.points == ["L1": 4] && r2.submitted)
        // A reviewer first seen in the feed is added (named by id).
        #expect(try s.reviewers(panel: "P1").map { $0.id } == ["r1", "r2", "r3"])
        #expect(try s.syncLink(panel: "P1")?.cursor == 7)
        #expect(try s.outbox(panel: "P1").count == 1)   // applying a pull queues nothing
        let log = try s.auditLog(panel: "P1").filter { $0.actor == "sync" && $0.entity.hasPrefix("sheet:") }
        #expect(log.count == 4 && log.allSatisfy { $0.reason?.hasPrefix("sync #") == true })
        #expect(try s.verifyAuditChain(panel: "P1").isIntact)

        // Once the local change is sent, the server's later value wins; then the seal seals the local copy.
        let pending = try s.outbox(panel: "P1", state: .pending)
        try s.settleOutbox(pending.map { OutboxOutcome(changeId: $0.change.changeId, state: .sent, outcome: "applied", serverSeq: 8) })
        let second = try s.applyPulled(panel: "P1", changes: [pulled(8, .setPoints, "r1", "a1", leaf: "L1", value: 2, device: "me"),
                                                             pulled(9, .setPoints, "r1", "a1", leaf: "L1", value: 6),
                                                             pulled(10, .sealed, nil, nil)],
                                       cursor: 10, panelVersion: nil,
                                       sealDigest: "inputs:\(String(repeating: "a", count: 64)) results:\(String(repeating: "b", count: 64))",
                                       actor: "sync")
        #expect(second.written == 1 && second.sealed)
        // This device's 2 (server #8) lost to another device's later 6 (#9): the user is told, and it is listed.
        #expect(second.conflicts.map { [$0.cell, $0.mine, $0.winner, $0.winnerBy] } == [["L1", "2", "6", "r1@other-device"]])
        #expect(try s.syncConflicts(panel: "P1").count == 1)
        #expect(try s.sealInfo(panel: "P1")?.digest.hasPrefix("inputs:aaaa") == true)
        #expect(try s.sheet(panel: "P1", reviewer: "r1", applicant: "a1")?.points["L1"] == 6)
        #expect(try s.panel("P1").sealedAt != nil)
        #expect(errorKey { try s.setPoints(panel: "P1", reviewer: "r1", applicant: "a1", leaf: "L1", points: 1, actor: "r1") }
                == "store.sealed")
        #expect(try s.verifyAuditChain(panel: "P1").isIntact)
    }
}
