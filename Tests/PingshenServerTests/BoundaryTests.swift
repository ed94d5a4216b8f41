import Foundation
import PingshenCore
@testable import PingshenServer
import PingshenSync
import PingshenWire
import Testing

/// The text rule at the boundary, group-commit isolation and HTTP as clients expect it (issue 17): what a
/// property-based API fuzzer found, each as a test on both backends.
@Suite("The server's boundary: text, isolation of pushes, HTTP semantics")
struct BoundaryTests {
    /// A push body as raw JSON (so that it may hold what the Swift types would never produce).
    static func pushBody(_ changes: [String]) -> Data {
        Data("{\"changes\":[\(changes.joined(separator: ","))]}".utf8)
    }

    static func change(id: String, reviewer: String = "r1", kind: String = "set_note", leaf: String = "goals",
                       extra: String = "\"note\":\"ok\"", time: String = "2026-12-01T00:00:00.000Z") -> String {
        "{\"change_id\":\"\(id)\",\"device\":\"d\",\"kind\":\"\(kind)\",\"reviewer\":\"\(reviewer)\",\"applicant\":\"a1\","
            + "\"round\":\"初评\",\"leaf\":\"\(leaf)\",\(extra),\"client_time\":\"\(time)\"}"
    }

    static func errorKey(_ data: Data) -> String {
        ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["error"] as? String ?? "?"
    }

    @Test("A NUL (or any control character) in a note, change id, reason or device is refused with 422; the chain verifies",
          arguments: Backend.enabled)
    func controlCharacters(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel())
            let r1 = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "r1-laptop")
            let leaf = try #require(try demoRubric().leaves.first { $0.input != .value }).id
            // The push from the issue, verbatim but for the leaf.
            let nul = Self.change(id: "n1", leaf: leaf, extra: "\"note\":\"a\\u0000b\"")
            var (status, data) = try await r1.client.raw("POST", "/v1/panels/P1/changes", body: Self.pushBody([nul]))
            #expect(status == 422)
            #expect(Self.errorKey(data) == "server.text.control")
            let bad: [(String, String)] = [
                ("change_id NUL", Self.change(id: "x\\u0000y", leaf: leaf)),
                ("change_id ESC", Self.change(id: "x\\u001by", leaf: leaf)),
                ("change_id space", Self.change(id: "x y", leaf: leaf)),
                ("change_id empty", Self.change(id: "", leaf: leaf)),
                ("change_id 101", Self.change(id: String(repeating: "c", count: 101), leaf: leaf)),
                ("note ESC", Self.change(id: "n2", leaf: leaf, extra: "\"note\":\"a\\u001b[2Jb\"")),
                ("note NEL", Self.change(id: "n3", leaf: leaf, extra: "\"note\":\"a\\u0085b\"")),
                ("note DEL", Self.change(id: "n4", leaf: leaf, extra: "\"note\":\"a\\u007fb\"")),
                ("reason NUL", Self.change(id: "n5", kind: "reopen", leaf: leaf, extra: "\"reason\":\"r\\u0000\"")),
                ("leaf with slash", Self.change(id: "n6", leaf: "a/b")),
                ("client_time", Self.change(id: "n7", leaf: leaf, time: "not a time")),
                ("client_time offset", Self.change(id: "n8", leaf: leaf, time: "2026-12-01T08:00:00+08:00")),
                ("round empty", Self.change(id: "n9", leaf: leaf).replacingOccurrences(of: "\"round\":\"初评\"", with: "\"round\":\"\"")),
                ("device tab", Self.change(id: "n10", leaf: leaf).replacingOccurrences(of: "\"device\":\"d\"", with: "\"device\":\"d\\t\"")),
            ]
            for (what, body) in bad {
                (status, data) = try await r1.client.raw("POST", "/v1/panels/P1/changes", body: Self.pushBody([body]))
                #expect(status == 422, "\(what): \(status) \(String(decoding: data, as: UTF8.self))")
            }
            // Keys the document does not have are refused, not dropped; a documented key sent as null is fine.
            (status, data) = try await r1.client.raw("POST", "/v1/panels/P1/changes", body: Data("{\"changes\":[],\"extra\":1}".utf8))
            #expect(status == 422 && Self.errorKey(data) == "server.unknown_field")
            let colour = Self.change(id: "u1", leaf: leaf).replacingOccurrences(of: "\"device\":\"d\"", with: "\"device\":\"d\",\"colour\":\"red\"")
            (status, data) = try await r1.client.raw("POST", "/v1/panels/P1/changes", body: Self.pushBody([colour]))
            #expect(status == 422 && Self.errorKey(data) == "server.unknown_field")
            let nullReason = Self.change(id: "u2", leaf: leaf, extra: "\"note\":\"ok\",\"reason\":null")
                .replacingOccurrences(of: "\"device\":\"d\"", with: "\"device\":\"r1-laptop\"")
            (status, data) = try await r1.client.raw("POST", "/v1/panels/P1/changes", body: Self.pushBody([nullReason]))
            #expect(status == 200, "\(String(decoding: data, as: UTF8.self))")
            // Tab and line breaks are a note's and a reason's own: stored and pulled back exactly.
            let text = "第一行\t制表\r\n第二行\n"
            let ok = r1.change(.setNote, "a1", leaf: leaf, note: text)
            let pushed = try await r1.client.push(panel: "P1", changes: [ok])
            #expect(pushed.results.first?.status == .applied)
            let pulled = try await r1.client.pull(panel: "P1", since: 0)
            #expect(pulled.changes.last { $0.kind == .setNote }?.note == text)
            let snap = try await chair.snapshot(panel: "P1")
            #expect(snap.sheets.first { $0.reviewer == "r1" }?.notes[leaf] == text)
            // Nothing refused reached the store; the chain verifies.
            let stored = try await s.storage.db.read { tx in
                try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE device = 'd'")?.int("n")
            }
            #expect(stored == 0)
            #expect(try await chair.verifyAudit().ok)
            // Uploads follow the same rule: a control character in a name is refused, a line break in a
            // recusal reason is kept.
            var upload = try demoPanel()
            upload.reviewers[0].name = "专家\u{1}"
            let refusedUpload = upload
            #expect(await PingshenServerTests.status { _ = try await chair.putPanel("P1", refusedUpload) } == 422)
            upload = try demoPanel()
            upload.recusals[0].reason = "曾任该单位顾问\n（2019–2021）"
            _ = try await chair.putPanel("P1", upload)
            #expect(try await chair.snapshot(panel: "P1").recusals.first?.reason == "曾任该单位顾问\n（2019–2021）")
            #expect(try await chair.verifyAudit().ok)
        }
    }

    @Test("Hundreds of valid pushes beside malformed ones, concurrently: every valid one applied, the chain verifies",
          arguments: Backend.enabled)
    func isolation(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel())
            let r1 = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "r1-laptop")
            let r2 = try await enrolDevice(s, chair: chair, reviewer: "r2", device: "r2-laptop")
            let leaves = try demoRubric().leaves.filter { $0.input != .value }.map(\.id)
            let valid = 240
            let bad = 120
            // r2: valid pushes of one note each; r1: pushes that must fail (ids differing only after a NUL,
            // NUL notes, bad times, broken JSON), all in flight at once so that they share group commits.
            let outcome = try await withThrowingTaskGroup(of: (Bool, Int).self) { group in
                for i in 0..<valid {
                    group.addTask {
                        let c = r2.change(.setNote, ["a1", "a2", "a3"][i % 3], leaf: leaves[i % leaves.count], note: "r2 第\(i)条")
                        let (status, data) = try await r2.client.raw("POST", "/v1/panels/P1/changes",
                                                                     body: try WireCoding.encoder().encode(PushRequest(changes: [c])))
                        let r = try? WireCoding.decoder().decode(PushResponse.self, from: data)
                        return (true, status == 200 && r?.results.first?.status == .applied ? 1 : 0)
                    }
                }
                for i in 0..<bad {
                    group.addTask {
                        let body: Data
                        switch i % 4 {
                        case 0: body = Self.pushBody([Self.change(id: "dup\\u0000\(i)", leaf: leaves[0])])
                        case 1: body = Self.pushBody([Self.change(id: "nul-\(i)", leaf: leaves[0], extra: "\"note\":\"a\\u0000b\"")])
                        case 2: body = Self.pushBody([Self.change(id: "time-\(i)", leaf: leaves[0], time: "yesterday")])
                        default: body = Data("{\"changes\":[{\"change_id\":\"j\(i)\"".utf8)
                        }
                        let (status, _) = try await r1.client.raw("POST", "/v1/panels/P1/changes", body: body)
                        return (false, (400..<500).contains(status) ? 1 : 0)
                    }
                }
                var good = 0, refused = 0
                for try await (isValid, ok) in group {
                    if isValid { good += ok } else { refused += ok }
                }
                return (good, refused)
            }
            #expect(outcome.0 == valid, "valid pushes applied: \(outcome.0) of \(valid)")
            #expect(outcome.1 == bad, "malformed pushes refused with 4xx: \(outcome.1) of \(bad)")
            let counts = try await s.storage.db.read { tx -> [Int64] in
                [try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE reviewer = 'r2' AND status = 'applied'")?.int("n") ?? -1,
                 try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE reviewer = 'r1'")?.int("n") ?? -1]
            }
            #expect(counts == [Int64(valid), 0])
            #expect(try await chair.verifyAudit().ok)
            print("boundary(\(backend)): \(valid) valid pushes applied beside \(bad) malformed ones refused; audit ok")
        }
    }

    @Test("Group commit isolates pushes even past validation: a push the database refuses fails alone",
          arguments: Backend.enabled)
    func databaseIsolation(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            _ = try await chair.putPanel("P1", try demoPanel())
            let r1 = try await enrolDevice(s, chair: chair, reviewer: "r1", device: "r1-laptop")
            let r2 = try await enrolDevice(s, chair: chair, reviewer: "r2", device: "r2-laptop")
            let leaves = try demoRubric().leaves.filter { $0.input != .value }.map(\.id)
            // The database itself refuses some rows (a trigger raising an error), so that a push passes every
            // check of the server and still fails inside the shared group-commit transaction.
            try await s.storage.db.write { tx in
                if tx.dialect == .sqlite {
                    try await tx.execute("""
                        CREATE TRIGGER poison BEFORE INSERT ON changes WHEN NEW.change_id LIKE 'poison%'
                        BEGIN SELECT RAISE(ABORT, 'poisoned row'); END
                        """, [])
                } else {
                    try await tx.execute("""
                        CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
                          IF NEW.change_id LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW;
                        END $$ LANGUAGE plpgsql
                        """, [])
                    try await tx.execute("CREATE TRIGGER poison BEFORE INSERT ON changes FOR EACH ROW EXECUTE FUNCTION poison()", [])
                }
            }
            let total = 200
            let results = try await withThrowingTaskGroup(of: (Bool, Int).self) { group in
                for i in 0..<total {
                    group.addTask {
                        let poisoned = i % 5 == 0
                        let d = poisoned ? r1 : r2
                        var c = d.change(.setPoints, "a\(1 + i % 3)", leaf: leaves[i % leaves.count], value: 0)
                        if poisoned { c.changeId = "poison-\(i)" }
                        let (status, data) = try await d.client.raw("POST", "/v1/panels/P1/changes",
                                                                    body: try WireCoding.encoder().encode(PushRequest(changes: [c])))
                        let applied = (try? WireCoding.decoder().decode(PushResponse.self, from: data))?.results.first?.status == .applied
                        return (poisoned, status == 200 && applied ? 200 : status)
                    }
                }
                var out: [(Bool, Int)] = []
                for try await r in group { out.append(r) }
                return out
            }
            let good = results.filter { !$0.0 }
            let poisoned = results.filter { $0.0 }
            #expect(good.allSatisfy { $0.1 == 200 }, "valid pushes not applied: \(good.filter { $0.1 != 200 }.count) of \(good.count)")
            #expect(poisoned.allSatisfy { $0.1 == 500 }, "poisoned pushes: \(poisoned.map(\.1))")
            let n = try await s.storage.db.read { tx in
                try await tx.one("SELECT COUNT(*) AS n FROM changes WHERE reviewer = 'r2' AND status = 'applied'")?.int("n")
            }
            #expect(n == Int64(good.count))
            #expect(try await chair.verifyAudit().ok)
            // Past the handler, straight into the storage: a NUL is still refused, for that push alone.
            let p = Principal(role: .reviewer, panel: "P1", reviewer: "r1", device: "d", expiresAt: Date().addingTimeInterval(3600))
            let rubrics = s.server.rubrics
            await #expect(throws: APIError.self) {
                _ = try await s.storage.apply(panel: "P1", changes: [Change(device: "d", kind: .setNote, reviewer: "r1", applicant: "a1",
                                                                            round: "初评", leaf: leaves[0], note: "a\u{0}b")],
                                              principal: p, rubric: { try rubrics.leaves($0) }, now: Date())
            }
            #expect(try await chair.verifyAudit().ok)
        }
    }

    @Test("Path parameters are percent-decoded, then validated; numbers out of range are 422; limits are bounded",
          arguments: Backend.enabled)
    func paths(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let chair = try await s.admin()
            let body = try WireCoding.encoder().encode(try demoPanel())
            var (status, data) = try await chair.raw("PUT", "/v1/panels/a%20b", body: body)
            #expect(status == 422, "\(String(decoding: data, as: UTF8.self))")
            (status, _) = try await chair.raw("PUT", "/v1/panels/a%2Fb", body: body)
            #expect(status == 422)
            (status, _) = try await chair.raw("PUT", "/v1/panels/a%00b", body: body)
            #expect(status == 422)
            // A valid non-ASCII id, percent-encoded on the wire, is the decoded id on the server.
            (status, data) = try await chair.raw("PUT", "/v1/panels/%E8%AF%84%E5%AE%A1-2025", body: body)
            #expect(status == 201)
            let created = try WireCoding.decoder().decode(PanelSummary.self, from: data)
            #expect(created.id == "评审-2025")
            #expect(try await chair.panels().map(\.id) == ["评审-2025"])
            (status, _) = try await chair.raw("GET", "/v1/panels/%E8%AF%84%E5%AE%A1-2025")
            #expect(status == 200)
            #expect(try await s.storage.db.read { tx in
                try await tx.one("SELECT COUNT(*) AS n FROM panels WHERE id LIKE '%\\%%' ESCAPE '\\'")?.int("n")
            } == 0)
            // Numbers: a quorum beyond 2^63 and one beyond the allowed range are both 422, never "not valid JSON".
            let json = String(decoding: body, as: UTF8.self)
            for q in ["18446744073709551616", "1e30", "1001", "-1"] {
                let withQuorum = "{\"quorum\":\(q)," + json.dropFirst()
                (status, data) = try await chair.raw("PUT", "/v1/panels/P2", body: Data(withQuorum.utf8))
                #expect(status == 422, "quorum \(q): \(status) \(String(decoding: data, as: UTF8.self))")
                #expect(Self.errorKey(data) != "server.bad_json")
            }
            (status, _) = try await chair.raw("PUT", "/v1/panels/P2", body: Data("{\"quorum\":".utf8))
            #expect(status == 400)
            _ = try await chair.putPanel("P1", try demoPanel())
            for (name, value) in [("limit", "5001"), ("limit", "0"), ("since", "-1"), ("since", "9223372036854775808")] {
                (status, _) = try await chair.raw("GET", "/v1/panels/P1/changes", query: [URLQueryItem(name: name, value: value)])
                #expect(status == 400, "\(name)=\(value)")
            }
            (status, _) = try await chair.raw("GET", "/v1/panels/P1/changes",
                                               query: [URLQueryItem(name: "since", value: "9223372036854775807"),
                                                       URLQueryItem(name: "limit", value: "5000")])
            #expect(status == 200)
            #expect(try await chair.verifyAudit().ok)
        }
    }

    /// A request over a raw socket with `Connection: close`; returns the whole answer.
    static func rawAnswer(_ port: Int, _ method: String, _ path: String, token: String? = nil) async throws -> String {
        let conn = try RawConnection(port: port)
        defer { conn.closeNow() }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        await conn.send(head + "\r\n")
        return await conn.readAll()
    }

    @Test("Undeclared methods get 405 with Allow; HEAD is answered wherever GET is")
    func methods() async throws {
        try await withServer(.sqlite) { s in
            let token = try await s.client().exchange(code: s.adminCode, device: "chair").token
            let admin = s.client(token)
            _ = try await admin.putPanel("P1", try demoPanel())
            func statusLine(_ answer: String) -> String { answer.components(separatedBy: "\r\n").first ?? "" }
            func header(_ answer: String, _ name: String) -> String? {
                answer.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                    .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
            var a = try await Self.rawAnswer(s.port, "TRACE", "/v1/health")
            #expect(statusLine(a) == "HTTP/1.1 405 Method Not Allowed")
            #expect(header(a, "Allow") == "GET, HEAD")
            a = try await Self.rawAnswer(s.port, "DELETE", "/v1/panels/P1", token: token)
            #expect(statusLine(a) == "HTTP/1.1 405 Method Not Allowed")
            #expect(header(a, "Allow") == "GET, HEAD, PUT")
            a = try await Self.rawAnswer(s.port, "PATCH", "/v1/panels/P1/changes")
            #expect(header(a, "Allow") == "GET, HEAD, POST")
            a = try await Self.rawAnswer(s.port, "GET", "/v1/nothing-here")
            #expect(statusLine(a) == "HTTP/1.1 404 Not Found")
            a = try await Self.rawAnswer(s.port, "HEAD", "/v1/health")
            #expect(statusLine(a) == "HTTP/1.1 200 OK")
            #expect(!a.contains("{"), "a HEAD answer has no body: \(a)")
            a = try await Self.rawAnswer(s.port, "HEAD", "/v1/panels/P1", token: token)
            #expect(statusLine(a) == "HTTP/1.1 200 OK")
            a = try await Self.rawAnswer(s.port, "HEAD", "/v1/panels/P1")
            #expect(statusLine(a) == "HTTP/1.1 401 Unauthorized")
        }
    }
}
