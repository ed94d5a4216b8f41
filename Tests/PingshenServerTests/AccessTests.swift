import Foundation
import PingshenCore
@testable import PingshenServer
import PingshenSync
import PingshenWire
import Testing

/// The roles of the access-control matrix.
enum Role: String, CaseIterable, Sendable {
    case anonymous, badToken, admin, chair, otherChair, reviewer, otherReviewer, recused
}

@Suite("Access control and limits", .serialized)
struct AccessTests {
    @Test("Every endpoint × every role: exactly the allowed set gets through; the rest 401 or 403",
          arguments: Backend.enabled)
    func accessMatrix(_ backend: Backend) async throws {
        try await withServer(backend) { s in
            let admin = try await s.admin()
            _ = try await admin.putPanel("P1", try demoPanel())
            _ = try await admin.putPanel("P2", try demoPanel(title: "另一个评审组"))
            func chairOf(_ panel: String) async throws -> PingshenSyncClient {
                let code = try await admin.enrol(panel: panel, reviewer: "组长\(panel)", role: .chair).code
                return s.client(try await s.client().exchange(code: code, device: "chair-\(panel)").token)
            }
            var clients: [Role: PingshenSyncClient] = [
                .anonymous: s.client(),
                .badToken: s.client("psk_not-a-real-token"),
                .admin: admin,
                .chair: try await chairOf("P1"),
                .otherChair: try await chairOf("P2"),
            ]
            clients[.reviewer] = try await enrolDevice(s, chair: admin, panel: "P1", reviewer: "r1", device: "d1").client
            clients[.otherReviewer] = try await enrolDevice(s, chair: admin, panel: "P2", reviewer: "r1", device: "d2").client
            clients[.recused] = try await enrolDevice(s, chair: admin, panel: "P1", reviewer: "r4", device: "d4").client
            let reviewerOf: [Role: String] = [.reviewer: "r1", .otherReviewer: "r1", .recused: "r4"]
            let leaf = try demoRubric().leaves[0].id
            let upload = try WireCoding.encoder().encode(try demoPanel())

            /// One request per endpoint; the body may depend on the role (a reviewer writes their own sheet).
            struct Probe {
                var name: String
                var method: String
                var path: String
                var body: (Role) throws -> Data?
                var allowed: Set<Role>
            }
            func push(_ applicant: String, asReviewer: String? = nil) -> (Role) throws -> Data? {
                { role in
                    let who = asReviewer ?? reviewerOf[role] ?? "r1"
                    let c = Change(device: "d", kind: .setNote, reviewer: who, applicant: applicant, round: "初评", leaf: leaf,
                                   note: "note by \(role.rawValue)")
                    return try WireCoding.encoder().encode(PushRequest(changes: [c]))
                }
            }
            let members: Set<Role> = [.admin, .chair, .reviewer, .recused]
            let authenticated: Set<Role> = Set(Role.allCases).subtracting([.anonymous, .badToken])
            let probes: [Probe] = [
                Probe(name: "health", method: "GET", path: "/v1/health", body: { _ in nil }, allowed: Set(Role.allCases)),
                Probe(name: "me", method: "GET", path: "/v1/me", body: { _ in nil }, allowed: authenticated),
                Probe(name: "list panels", method: "GET", path: "/v1/panels", body: { _ in nil }, allowed: authenticated),
                Probe(name: "replace panel", method: "PUT", path: "/v1/panels/P1", body: { _ in upload }, allowed: [.admin, .chair]),
                Probe(name: "create panel", method: "PUT", path: "/v1/panels/P9", body: { _ in upload }, allowed: [.admin]),
                Probe(name: "read panel", method: "GET", path: "/v1/panels/P1", body: { _ in nil }, allowed: members),
                Probe(name: "enrol reviewer", method: "POST", path: "/v1/panels/P1/enrol",
                      body: { _ in try WireCoding.encoder().encode(EnrolRequest(role: .reviewer, reviewer: "r2")) }, allowed: [.admin, .chair]),
                Probe(name: "enrol chair", method: "POST", path: "/v1/panels/P1/enrol",
                      body: { _ in try WireCoding.encoder().encode(EnrolRequest(role: .chair, reviewer: "副组长")) }, allowed: [.admin]),
                Probe(name: "snapshot", method: "GET", path: "/v1/panels/P1/snapshot", body: { _ in nil }, allowed: [.admin, .chair]),
                Probe(name: "rubric", method: "GET", path: "/v1/panels/P1/rubric", body: { _ in nil }, allowed: members),
                Probe(name: "applicants", method: "GET", path: "/v1/panels/P1/applicants", body: { _ in nil }, allowed: members),
                Probe(name: "push own sheet", method: "POST", path: "/v1/panels/P1/changes", body: push("a1"),
                      allowed: [.reviewer, .recused]),
                Probe(name: "push recused applicant", method: "POST", path: "/v1/panels/P1/changes", body: push("a3"),
                      allowed: [.reviewer]),
                Probe(name: "push another reviewer's sheet", method: "POST", path: "/v1/panels/P1/changes",
                      body: push("a1", asReviewer: "r2"), allowed: []),
                Probe(name: "pull", method: "GET", path: "/v1/panels/P1/changes?since=0", body: { _ in nil }, allowed: members),
                Probe(name: "audit verify", method: "GET", path: "/v1/audit/verify", body: { _ in nil }, allowed: [.admin]),
                Probe(name: "release", method: "POST", path: "/v1/panels/P1/release", body: { _ in Data("{}".utf8) },
                      allowed: [.admin, .chair]),
                Probe(name: "seal", method: "POST", path: "/v1/panels/P1/seal", body: { _ in Data("{}".utf8) },
                      allowed: [.admin, .chair]),
            ]
            var checked = 0
            for probe in probes {
                var got: Set<Role> = []
                for role in Role.allCases {
                    guard let client = clients[role] else { continue }
                    let parts = probe.path.split(separator: "?", maxSplits: 1)
                    let query = parts.count > 1
                        ? String(parts[1]).split(separator: "&").map { kv -> URLQueryItem in
                            let p = kv.split(separator: "=", maxSplits: 1)
                            return URLQueryItem(name: String(p[0]), value: p.count > 1 ? String(p[1]) : nil)
                        }
                        : []
                    let (code, data) = try await client.raw(probe.method, String(parts[0]), query: query, body: try probe.body(role))
                    checked += 1
                    if (200..<300).contains(code) {
                        got.insert(role)
                    } else {
                        let expected = (role == .anonymous || role == .badToken) ? 401 : 403
                        #expect(code == expected, "\(probe.name) as \(role.rawValue): \(code) \(String(decoding: data, as: UTF8.self))")
                        let body = try? WireCoding.decoder().decode(ErrorBody.self, from: data)
                        #expect(body?.error.hasPrefix("server.") == true, "\(probe.name) as \(role.rawValue) lacks an error body")
                    }
                }
                #expect(got == probe.allowed, "\(probe.name): allowed \(got.map(\.rawValue).sorted()) expected \(probe.allowed.map(\.rawValue).sorted())")
            }
            #expect(checked == probes.count * Role.allCases.count)
            // The recused reviewer's refused push names the change and the reason.
            let recused = try #require(clients[.recused])
            let c = Change(device: "d4", kind: .setPoints, reviewer: "r4", applicant: "a3", round: "初评", leaf: leaf, value: 1)
            do {
                _ = try await recused.push(panel: "P1", changes: [c])
                Issue.record("a recused reviewer wrote the sheet")
            } catch SyncClientError.http(let code, let body) {
                #expect(code == 403)
                #expect(body?.refused?.map(\.changeId) == [c.changeId])
                #expect(body?.refused?.first?.reason == "server.change.recused")
            }
            // A recused applicant is marked in that reviewer's list.
            #expect(try await recused.applicants("P1").first { $0.id == "a3" }?.recused == true)
        }
    }

    @Test("Limits: 413 for a large body, 429 for repeated code exchanges, 408 for a stalled body, idle connections closed, 400 for bad JSON",
          arguments: Backend.enabled)
    func limits(_ backend: Backend) async throws {
        try await withServer(backend, configure: { c in
            c.maxBodyBytes = 1024 * 1024
            c.exchangesPerMinute = 4
            // The idle timeout stays well above the body timeout, so that on a loaded machine the 408
            // answer is written before the idle connection is closed.
            c.bodyTimeout = .seconds(1)
            c.idleTimeout = .seconds(5)
        }) { s in
            let admin = try await s.admin()  // exchange 1 of 4
            // 413: a 2 MiB panel upload.
            var big = try demoPanel()
            big.title = String(repeating: "评", count: 700_000)
            let (code413, data413) = try await admin.raw("PUT", "/v1/panels/P1", body: try WireCoding.encoder().encode(big))
            #expect(code413 == 413)
            #expect((try? WireCoding.decoder().decode(ErrorBody.self, from: data413))?.error == "server.too_large")
            // The same, streamed without a Content-Length (chunked), over a raw socket.
            let conn = try RawConnection(port: s.port)
            await conn.send("PUT /v1/panels/P1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin.token ?? "")\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = Data(repeating: 0x20, count: 256 * 1024)
            for _ in 0..<6 {
                await conn.send(String(chunk.count, radix: 16) + "\r\n")
                await conn.send(chunk)
                await conn.send("\r\n")
            }
            await conn.send("0\r\n\r\n")
            let chunked = await conn.readResponse()
            conn.closeNow()
            #expect(chunked.hasPrefix("HTTP/1.1 413"), "\(chunked.prefix(200))")
            #expect(try await admin.panels().isEmpty)

            // 429: the 5th exchange within a minute from this address, whatever the code.
            for i in 2...4 {
                #expect(await status { _ = try await s.client().exchange(code: "WRONG-CODE-\(i)", device: "x") } == 401)
            }
            let (code429, data429) = try await s.client().raw("POST", "/v1/auth/exchange",
                                                              body: try WireCoding.encoder().encode(ExchangeRequest(code: "X")))
            #expect(code429 == 429)
            #expect((try? WireCoding.decoder().decode(ErrorBody.self, from: data429))?.error == "server.rate_limited")
            // A minute later it is allowed again.
            s.clock.advance(by: 61)
            #expect(await status { _ = try await s.client().exchange(code: "WRONG", device: "x") } == 401)

            // 408: a body that stops arriving.
            let stalled = try RawConnection(port: s.port)
            await stalled.send("PUT /v1/panels/P1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin.token ?? "")\r\n"
                         + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"title\": ")
            let start = Date()
            let answer = await stalled.readResponse()
            stalled.closeNow()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(Date().timeIntervalSince(start) < 10)

            // A client that sends half a request line and stalls is disconnected after the idle timeout.
            let idle = try RawConnection(port: s.port)
            await idle.send("GET /v1/hea")
            let idleStart = Date()
            let idleAnswer = await idle.readAll()
            idle.closeNow()
            #expect(idleAnswer.isEmpty)
            #expect(Date().timeIntervalSince(idleStart) < 10)

            // 400: bad JSON names the field.
            let (code400, data400) = try await admin.raw("PUT", "/v1/panels/P1", body: Data(#"{"title": 5}"#.utf8))
            #expect(code400 == 400)
            let e400 = try WireCoding.decoder().decode(ErrorBody.self, from: data400)
            #expect(e400.error == "server.bad_json")
            #expect(e400.message.contains("title"))
            // 422: a rubric that does not load, with the loader's message.
            var broken = try demoPanel()
            broken.rubricYaml = "id: x\n  bad: [yaml"
            let (code422, _) = try await admin.raw("PUT", "/v1/panels/P1", body: try WireCoding.encoder().encode(broken))
            #expect(code422 == 422)
            // 404 for an unknown endpoint, as JSON.
            let (code404, data404) = try await admin.raw("GET", "/v1/nothing-here")
            #expect(code404 == 404)
            #expect((try? WireCoding.decoder().decode(ErrorBody.self, from: data404))?.error == "server.not_found")
            // The server still answers.
            #expect(try await s.client().health().status == "ok")
        }
    }
}
