import Foundation
import PingshenCore
@testable import PingshenServer
import PingshenSync
import PingshenWire
import Testing

@Suite("The panel server over real HTTP", .serialized)
struct ServerTests {
    @Test("Enrol, log in, push, pull with a cursor, a second device, last-writer-wins, retries, release, seal",
          arguments: Backend.enabled)
    func endToEnd(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let health = try await s.client().health()
            #expect(health.status == "ok")
            #expect(health.backend == backend.rawValue)

            // The server-init code makes the admin; the code is single-use.
            let exchanged = try await s.client().exchange(code: s.adminCode.lowercased(), device: "chair-laptop")
            #expect(exchanged.identity.role == .admin)
            let chair = s.client(exchanged.token)
            #expect(try await chair.me().role == .admin)
            #expect(await status { _ = try await s.client().exchange(code: s.adminCode, device: "again") } == 401)

            // Upload the panel; reviewers read rubric and applicants.
            let created = try await chair.putPanel("P1", try demoPanel())
            #expect(created.reviewers == 4 && created.applicants == 3 && !created.sealed && !created.released)
            let r1a = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "r1-laptop")
            let r2 = try await enrolDevice(s, chair: chair, reviewer: "r2", device: "r2-laptop")
            let rubric = try await r1a.client.rubric("P1")
            #expect(rubric.rubricId == demoRubricId)
            #expect(try PanelServer.parseRubric(rubric.rubricYaml, id: demoRubricId, file: "x").leaves.count == 22)
            let applicants = try await r1a.client.applicants("P1")
            #expect(applicants.map(\.id) == ["a1", "a2", "a3"])
            #expect(applicants.allSatisfy { $0.recused == false })
            #expect(try await r1a.client.panels().map(\.id) == ["P1"])

            // r1 scores a1 on the first device.
            let leaves = try demoRubric().leaves
            let l0 = leaves[0], l1 = leaves[1]
            let batch1 = [r1a.change(.setPoints, "a1", leaf: l0.id, value: 1),
                          r1a.change(.setPoints, "a1", leaf: l1.id, value: 0.5),
                          r1a.change(.setNote, "a1", leaf: l0.id, note: "研发投入核实无误")]
            let pushed = try await r1a.client.push(panel: "P1", changes: batch1)
            #expect(pushed.results.map(\.status) == [.applied, .applied, .applied])
            #expect(pushed.results.allSatisfy { !$0.replayed && $0.seq != nil })

            // Pull with a cursor: everything first (panel event + 3 changes), then nothing new.
            let first = try await r1a.client.pull(panel: "P1", since: 0)
            #expect(first.changes.map(\.kind) == [.panelUpdated, .setPoints, .setPoints, .setNote])
            #expect(!first.hasMore)
            let again = try await r1a.client.pull(panel: "P1", since: first.nextCursor)
            #expect(again.changes.isEmpty)
            #expect(again.nextCursor == first.nextCursor)
            // Paging: limit 2 → has_more, and the cursor continues.
            let page1 = try await r1a.client.pull(panel: "P1", since: 0, limit: 2)
            #expect(page1.changes.count == 2 && page1.hasMore)
            let page2 = try await r1a.client.pull(panel: "P1", since: page1.nextCursor, limit: 2)
            #expect(page2.changes.map(\.changeId) == Array(first.changes.suffix(2)).map(\.changeId))

            // A second device of r1 catches up, then both edit the same score: the one the server receives
            // last wins; both writes are in the audit log.
            let r1b = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "r1-desktop")
            let caught = try await r1b.client.pullAll(panel: "P1", since: 0)
            #expect(caught.changes.filter { $0.kind == .setPoints }.count == 2)
            let fromA = r1a.change(.setPoints, "a1", leaf: l0.id, value: 1.5)
            let fromB = r1b.change(.setPoints, "a1", leaf: l0.id, value: 2)
            // B was edited first on its device (earlier client time) but arrives last: the server's order rules.
            var earlyB = fromB
            earlyB.clientTime = "2020-01-01T00:00:00.000Z"
            _ = try await r1a.client.push(panel: "P1", changes: [fromA])
            _ = try await r1b.client.push(panel: "P1", changes: [earlyB])
            var snap = try await chair.snapshot(panel: "P1")
            let sheet = try #require(snap.sheets.first { $0.reviewer == "r1" && $0.applicant == "a1" })
            #expect(sheet.points[l0.id] == 2)
            #expect(sheet.notes[l0.id] == "研发投入核实无误")
            let audit = try await s.storage.db.read { tx in
                try await tx.query("SELECT new, change_id FROM audit WHERE action = 'set_points' AND target = ? ORDER BY id",
                                   [.text("r1/a1/初评/\(l0.id)")])
            }
            #expect(audit.map { $0.text("new") ?? "" } == ["1", "1.5", "2"])
            // r1's first device sees r1b's write on its next pull.
            let seenByA = try await r1a.client.pull(panel: "P1", since: first.nextCursor)
            #expect(seenByA.changes.map(\.changeId) == [fromA.changeId, earlyB.changeId])

            // Retrying a whole batch applies nothing again and returns the first outcomes.
            let retried = try await r1a.client.push(panel: "P1", changes: batch1)
            #expect(retried.results.map(\.seq) == pushed.results.map(\.seq))
            #expect(retried.results.allSatisfy { $0.replayed && $0.status == .applied })
            snap = try await chair.snapshot(panel: "P1")
            #expect(snap.sheets.first { $0.reviewer == "r1" && $0.applicant == "a1" }?.points[l0.id] == 2)
            let changeRows = try await s.storage.db.read { tx in
                try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE change_id = ?", [.text(batch1[0].changeId)])?.int("n")
            }
            #expect(changeRows == 1)
            // The same id with different content is refused, not applied.
            var forged = batch1[1]
            forged.value = 0
            let forgedResult = try await r1a.client.push(panel: "P1", changes: [forged])
            #expect(forgedResult.results.first?.reason == "server.change.id_reused")

            // Refusals per change, reported with a reason: out of range, off step, unknown leaf, wrong round,
            // incomplete submit, reopen without a reason.
            let bad = try await r1a.client.push(panel: "P1", changes: [
                r1a.change(.setPoints, "a2", leaf: l0.id, value: l0.weight + 1),
                r1a.change(.setPoints, "a2", leaf: l0.id, value: 0.3),
                r1a.change(.setPoints, "a2", leaf: "no-such-leaf", value: 1),
                r1a.change(.setPoints, "a2", leaf: l0.id, value: 1, round: "现场考察"),
                r1a.change(.submit, "a2"),
                r1a.change(.reopen, "a2", reason: "改分"),
            ])
            #expect(bad.results.map { $0.reason ?? "" } == ["points.range", "points.step", "server.change.leaf", "server.change.round",
                                                           "server.change.incomplete", "server.change.not_submitted"])
            #expect(bad.results.allSatisfy { $0.status == .refused && !($0.message ?? "").isEmpty })

            // r1 completes and submits a2; a later edit is refused until reopened with a reason.
            let fill = leaves.filter { $0.input != .value }.map { r1a.change(.setPoints, "a2", leaf: $0.id, value: 0) }
            let filled = try await r1a.client.push(panel: "P1", changes: fill + [r1a.change(.submit, "a2")])
            #expect(filled.results.allSatisfy { $0.status == .applied })
            let late = try await r1b.client.push(panel: "P1", changes: [r1b.change(.setPoints, "a2", leaf: l0.id, value: 1)])
            #expect(late.results.first?.reason == "server.change.submitted")
            let reopened = try await r1b.client.push(panel: "P1", changes: [r1b.change(.reopen, "a2", reason: "补充现场材料后调整"),
                                                                             r1b.change(.setPoints, "a2", leaf: l0.id, value: 1)])
            #expect(reopened.results.map(\.status) == [.applied, .applied])

            // Before release r2 sees only their own sheets (and panel events); after release everyone's.
            _ = try await r2.client.push(panel: "P1", changes: [r2.change(.setPoints, "a1", leaf: l0.id, value: 3)])
            let hidden = try await r2.client.pullAll(panel: "P1", since: 0)
            #expect(hidden.changes.allSatisfy { $0.reviewer == nil || $0.reviewer == "r2" })
            #expect(hidden.changes.contains { $0.reviewer == "r2" })
            _ = try await chair.release(panel: "P1")
            let shown = try await r2.client.pullAll(panel: "P1", since: hidden.cursor)
            #expect(shown.changes.contains { $0.reviewer == "r1" })
            #expect(shown.panel?.released == true)

            // Sealing: every later change is refused, each with the reason, and nothing changes.
            let before = try await chair.snapshot(panel: "P1")
            let sealed = try await chair.seal(panel: "P1")
            #expect(sealed.sealed && sealed.sealedBy?.hasPrefix("admin:") == true)
            let refused = try await r1a.client.push(panel: "P1", changes: [r1a.change(.setPoints, "a3", leaf: l0.id, value: 1),
                                                                            r1a.change(.setNote, "a3", leaf: l0.id, note: "迟到的意见")])
            #expect(refused.results.map(\.status) == [.refused, .refused])
            #expect(refused.results.allSatisfy { $0.reason == "server.change.sealed" && ($0.message ?? "").contains("P1") })
            let after = try await chair.snapshot(panel: "P1")
            #expect(after.sheets == before.sheets)
            #expect(await status { _ = try await chair.putPanel("P1", try demoPanel()) } == 409)
            let feed = try await r1a.client.pullAll(panel: "P1", since: 0)
            #expect(feed.changes.last?.kind == .sealed)

            // The audit chain holds.
            let verified = try await chair.verifyAudit()
            #expect(verified.ok && verified.rows > 20)
        }
    }

    @Test("A connection dropped mid-request, then retried: applied exactly once", arguments: Backend.enabled)
    func droppedConnection(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel())
            let r1 = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "r1-laptop")
            let token = try #require(r1.client.token)
            let leaves = try demoRubric().leaves.filter { $0.input != .value }
            let batch = leaves.prefix(6).map { r1.change(.setPoints, "a1", leaf: $0.id, value: 0.5) }
            let body = try WireCoding.encoder().encode(PushRequest(changes: Array(batch)))

            // 1. Half the body, then the connection drops: nothing is applied.
            let (head, payload) = rawRequest("POST", "/v1/panels/P1/changes", token: token, body: body)
            let c1 = try RawConnection(port: s.port)
            await c1.send(head)
            await c1.send(payload.prefix(payload.count / 2))
            c1.closeNow()
            try await Task.sleep(for: .milliseconds(300))
            var snap = try await chair.snapshot(panel: "P1")
            #expect(snap.sheets.isEmpty)

            // 2. The whole request arrives but the client vanishes before reading the answer: applied once.
            let c2 = try RawConnection(port: s.port)
            await c2.send(head)
            await c2.send(payload)
            c2.closeNow()
            var applied = false
            for _ in 0..<100 where !applied {
                try await Task.sleep(for: .milliseconds(50))
                applied = try await chair.snapshot(panel: "P1").sheets.first?.points.count == 6
            }
            #expect(applied)

            // 3. The client, never having seen an answer, retries the batch: the same outcome, no duplicate.
            let retry = try await r1.client.push(panel: "P1", changes: Array(batch))
            #expect(retry.results.allSatisfy { $0.status == .applied && $0.replayed })
            snap = try await chair.snapshot(panel: "P1")
            #expect(snap.sheets.count == 1 && snap.sheets[0].points.count == 6)
            let counts = try await s.storage.db.read { tx -> [Int64] in
                let c = try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE kind = 'set_points'")?.int("n") ?? -1
                let a = try await tx.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'set_points'")?.int("n") ?? -1
                return [c, a]
            }
            #expect(counts == [6, 6])

            // 4. A client task cancelled while its push is in flight (the request runs to its answer or its
            //    timeout; the caller never sees it), then retried: exactly once.
            let more = leaves.dropFirst(6).prefix(5).map { r1.change(.setPoints, "a2", leaf: $0.id, value: 0.5) }
            let inflight = Task { try await r1.client.push(panel: "P1", changes: Array(more)) }
            inflight.cancel()
            _ = try? await inflight.value
            let final = try await r1.client.push(panel: "P1", changes: Array(more))
            #expect(final.results.allSatisfy { $0.status == .applied })
            let a2 = try await chair.snapshot(panel: "P1").sheets.first { $0.applicant == "a2" }
            #expect(a2?.points.count == 5)
            let a2Rows = try await s.storage.db.read { tx in
                try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE applicant = 'a2'")?.int("n")
            }
            #expect(a2Rows == 5)
        }
    }

    @Test("Many writers at once on one panel: no lost update, every write in the audit log", arguments: Backend.enabled)
    func concurrentWriters(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel(reviewers: 8))
            var devices: [Device] = []
            for i in 1...8 {
                devices.append(try await enrolDevice(s, chair: chair, reviewer: "r\(i)", device: "r\(i)-a"))
                devices.append(try await enrolDevice(s, chair: chair, reviewer: "r\(i)", device: "r\(i)-b"))
            }
            let leaves = try demoRubric().leaves.filter { $0.input != .value }
            let rounds = 5
            // Each device writes every leaf of a1 and a2 `rounds` times, in batches, all devices at once.
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for d in devices {
                    group.addTask {
                        var n = 0
                        for round in 0..<rounds {
                            let batch = ["a1", "a2"].flatMap { a in
                                leaves.map { d.change(.setPoints, a, leaf: $0.id, value: Double(round % 2) * 0.5) }
                            }
                            let r = try await d.client.push(panel: "P1", changes: batch)
                            n += r.results.filter { $0.status == .applied }.count
                        }
                        return n
                    }
                }
                return try await group.reduce(0, +)
            }
            let expected = devices.count * rounds * 2 * leaves.count
            #expect(applied == expected)
            let rows = try await s.storage.db.read { tx -> [Int64] in
                let c = try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE kind = 'set_points' AND status = 'applied'")?.int("n") ?? -1
                let a = try await tx.one("SELECT COUNT(*) AS n FROM audit WHERE action = 'set_points'")?.int("n") ?? -1
                let d = try await tx.one("SELECT COUNT(DISTINCT seq) AS n FROM changes")?.int("n") ?? -1
                let t = try await tx.one("SELECT COUNT(*) AS n FROM changes")?.int("n") ?? -2
                return [c, a, d == t ? 1 : 0]
            }
            #expect(rows == [Int64(expected), Int64(expected), 1])
            // The final value of each cell is the last write the server received for it.
            let snap = try await chair.snapshot(panel: "P1")
            #expect(snap.sheets.count == 16)
            let last = try await s.storage.db.read { tx in
                try await tx.query("""
                    SELECT c.reviewer, c.applicant, c.leaf, c.value FROM changes c
                    WHERE c.kind = 'set_points' AND c.seq = (SELECT MAX(seq) FROM changes d WHERE d.kind = 'set_points'
                      AND d.reviewer = c.reviewer AND d.applicant = c.applicant AND d.leaf = c.leaf)
                    """, [])
            }
            #expect(last.count == 16 * leaves.count)
            for row in last {
                let sheet = snap.sheets.first { $0.reviewer == row.text("reviewer") && $0.applicant == row.text("applicant") }
                #expect(sheet?.points[row.text("leaf") ?? ""] == row.double("value"))
            }
            // Cursor pulls see every applied change exactly once, in order.
            let all = try await chair.pullAll(panel: "P1", since: 0, pageSize: 500)
            #expect(all.changes.filter { $0.kind == .setPoints }.count == expected)
            #expect(zip(all.changes, all.changes.dropFirst()).allSatisfy { $0.seq < $1.seq })
            #expect(try await chair.verifyAudit().ok)
        }
    }

    @Test("Tokens and codes are stored only hashed; codes are single-use and expire; tokens expire",
          arguments: Backend.enabled)
    func secretsAtRest(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let exchanged = try await s.client().exchange(code: s.adminCode, device: "chair")
            let chair = s.client(exchanged.token)
            _ = try await chair.putPanel("P1", try demoPanel())
            let enrol = try await chair.enrol(panel: "P1", reviewer: "r1", ttlHours: 1)
            let dump = try await s.storage.db.read { tx -> String in
                var text = ""
                for table in ["tokens", "enrolments", "audit", "changes"] {
                    for row in try await tx.query("SELECT * FROM \(table)", []) {
                        text += row.values.values.map(\.description).joined(separator: "|") + "\n"
                    }
                }
                return text
            }
            let tokenSecret = String(exchanged.token.dropFirst(4))
            #expect(!dump.contains(tokenSecret))
            #expect(!dump.contains(Secrets.normalizeCode(enrol.code)))
            #expect(!dump.contains(Secrets.normalizeCode(s.adminCode)))
            #expect(dump.contains(Secrets.tokenHash(exchanged.token)))

            // Every 401: no token, another scheme, an unknown token, a token with one character changed.
            let anon = s.client()
            let cases: [(String?, String)] = [(nil, "server.auth.missing"), ("Basic \(exchanged.token)", "server.auth.scheme"),
                                              ("Bearer psk_unknown", "server.auth.invalid"),
                                              ("Bearer " + String(exchanged.token.dropLast()) + (exchanged.token.hasSuffix("A") ? "B" : "A"),
                                               "server.auth.invalid")]
            for (header, key) in cases {
                let (code, data) = try await anon.raw("GET", "/v1/me", headers: header.map { ["Authorization": $0] } ?? [:])
                #expect(code == 401)
                #expect((try? WireCoding.decoder().decode(ErrorBody.self, from: data))?.error == key)
            }
            // An enrolment code expires.
            s.clock.advance(by: 2 * 3600)
            #expect(await status { _ = try await s.client().exchange(code: enrol.code, device: "late") } == 401)
            // A token expires (default 90 days).
            s.clock.advance(by: 91 * 24 * 3600)
            do {
                _ = try await chair.me()
                Issue.record("an expired token was accepted")
            } catch let e as SyncClientError {
                #expect(e.status == 401)
                if case .http(_, let body) = e { #expect(body?.error == "server.auth.expired") }
            }
        }
    }

    @Test("The audit log is hash-chained: a row edited in the database is found", arguments: Backend.enabled)
    func auditTamper(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel())
            let r1 = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "d")
            let leaf = try demoRubric().leaves[0].id
            _ = try await r1.client.push(panel: "P1", changes: [r1.change(.setPoints, "a1", leaf: leaf, value: 1),
                                                               r1.change(.setPoints, "a1", leaf: leaf, value: 2)])
            let ok = try await chair.verifyAudit()
            #expect(ok.ok && ok.firstBadId == nil)
            let target = try await s.storage.db.read { tx in
                try await tx.one("SELECT id FROM audit WHERE action = 'set_points' ORDER BY id LIMIT 1", [])?.int("id")
            }
            let id = try #require(target)
            try await s.storage.db.write { tx in try await tx.execute("UPDATE audit SET new = '3' WHERE id = ?", [.int(id)]) }
            let bad = try await chair.verifyAudit()
            #expect(!bad.ok)
            #expect(bad.firstBadId == id)
        }
    }
}
