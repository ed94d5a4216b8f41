import Foundation
@testable import PingshenServer
import PingshenCore
import PingshenSync
import PingshenWire
import Testing
import Yams

/// docs/openapi.yaml, loaded.
struct OpenAPIDocument {
    let root: [String: Any]

    init() throws {
        let text = try String(contentsOfFile: "\(serverRepoRoot)/docs/openapi.yaml", encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any] else { throw TestFailure("openapi.yaml is not a mapping") }
        self.root = root
    }

    var paths: [String: Any] { root["paths"] as? [String: Any] ?? [:] }

    /// "METHOD /path" for every documented operation.
    var operations: [String] {
        var out: [String] = []
        for (path, item) in paths {
            guard let ops = item as? [String: Any] else { continue }
            for method in ["get", "put", "post", "delete", "patch"] where ops[method] != nil {
                out.append("\(method.uppercased()) \(path)")
            }
        }
        return out.sorted()
    }

    func resolve(_ node: [String: Any]) throws -> [String: Any] {
        guard let ref = node["$ref"] as? String else { return node }
        var cur: Any = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = (cur as? [String: Any])?[String(part)] else { throw TestFailure("unresolved \(ref)") }
            cur = next
        }
        guard let resolved = cur as? [String: Any] else { throw TestFailure("\(ref) is not a mapping") }
        return try resolve(resolved)
    }

    /// The documented schema of a response, or nil when the status is not documented.
    func responseSchema(_ method: String, _ template: String, _ status: Int) throws -> [String: Any]? {
        guard let item = paths[template] as? [String: Any], let op = item[method.lowercased()] as? [String: Any],
              let responses = op["responses"] as? [String: Any], let raw = responses[String(status)] as? [String: Any] else {
            return nil
        }
        let response = try resolve(raw)
        guard let content = response["content"] as? [String: Any], let json = content["application/json"] as? [String: Any],
              let schema = json["schema"] as? [String: Any] else { throw TestFailure("\(method) \(template) \(status): no JSON schema") }
        return schema
    }

    /// Checks a JSON value against a schema (the subset the document uses: $ref, allOf, type, enum, required,
    /// properties, additionalProperties, items, pattern, minLength, maxLength, minimum, maximum). Returns the
    /// problems found.
    func validate(_ value: Any, _ schemaNode: [String: Any], at path: String = "$") throws -> [String] {
        let schema = try resolve(schemaNode)
        var problems: [String] = []
        for part in schema["allOf"] as? [[String: Any]] ?? [] {
            problems += try validate(value, part, at: path)
        }
        if let s = value as? String {
            let n = s.unicodeScalars.count
            if let min = schema["minLength"] as? Int, n < min { problems.append("\(path): shorter than \(min)") }
            if let max = schema["maxLength"] as? Int, n > max { problems.append("\(path): longer than \(max)") }
        }
        if let x = value as? NSNumber, !OpenAPIDocument.isBool(value) {
            if let min = (schema["minimum"] as? NSNumber)?.doubleValue, x.doubleValue < min { problems.append("\(path): below \(min)") }
            if let max = (schema["maximum"] as? NSNumber)?.doubleValue, x.doubleValue > max { problems.append("\(path): above \(max)") }
        }
        if let type = schema["type"] as? String, !OpenAPIDocument.matches(value, type) {
            return ["\(path): expected \(type), got \(Swift.type(of: value)) \(value)"]
        }
        if let types = schema["type"] as? [String], !types.contains(where: { OpenAPIDocument.matches(value, $0) }) {
            return ["\(path): expected one of \(types), got \(Swift.type(of: value)) \(value)"]
        }
        if let options = schema["enum"] as? [Any] {
            let allowed = options.map { "\($0)" }
            if !allowed.contains("\(value)") { problems.append("\(path): \(value) not in \(allowed)") }
        }
        if let pattern = schema["pattern"] as? String, let s = value as? String,
           s.range(of: pattern, options: .regularExpression) == nil {
            problems.append("\(path): \(s) does not match \(pattern)")
        }
        if let object = value as? [String: Any], (schema["type"] as? String) == "object" || (schema["type"] as? [String])?.contains("object") == true {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): missing required \(key)")
            }
            for (key, v) in object {
                if let p = properties[key] as? [String: Any] {
                    problems += try validate(v, p, at: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    problems += try validate(v, extra, at: "\(path).\(key)")
                } else if (schema["additionalProperties"] as? Bool) == false {
                    problems.append("\(path): undocumented property \(key)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, v) in array.enumerated() { problems += try validate(v, items, at: "\(path)[\(i)]") }
        }
        return problems
    }

    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c" || v is Bool && !(v is Int)
    }

    static func matches(_ v: Any, _ type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "boolean": return isBool(v)
        case "integer":
            guard let n = v as? NSNumber, !isBool(v) else { return false }
            return n.doubleValue.rounded() == n.doubleValue
        case "number": return v is NSNumber && !isBool(v)
        case "null": return v is NSNull
        default: return false
        }
    }
}

@Suite("The server against docs/openapi.yaml", .serialized)
struct OpenAPITests {
    @Test("Every route the server registers is documented with the same method, and nothing else is")
    func routes() throws {
        let doc = try OpenAPIDocument()
        let storage = try SQLServerStorage.sqlite(path: FileManager.default.temporaryDirectory
            .appendingPathComponent("openapi-\(UUID().uuidString).sqlite").path)
        let server = PanelServer(storage: storage)
        let registered = server.routeList()
        #expect(registered.count >= 15)
        #expect(registered == doc.operations, "server: \(registered)\ndocument: \(doc.operations)")
        // Every operation documents its success and (except the public two) its 401.
        for op in doc.operations {
            let parts = op.split(separator: " ")
            let item = try #require(doc.paths[String(parts[1])] as? [String: Any])
            let operation = try #require(item[parts[0].lowercased()] as? [String: Any])
            let responses = try #require(operation["responses"] as? [String: Any])
            #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(op) documents no success")
            if !["GET /v1/health", "POST /v1/auth/exchange"].contains(op) {
                #expect(responses["401"] != nil, "\(op) documents no 401")
            }
            // What every handler of that kind can answer: a bad panel id in the path (422); a body that is
            // not JSON (400), too slow (408), too large (413) or out of range (422).
            if parts[1].contains("{panel}") {
                #expect(responses["422"] != nil, "\(op) documents no 422 for a bad panel id")
            }
            if operation["requestBody"] != nil {
                for code in ["400", "408", "413", "422"] {
                    #expect(responses[code] != nil, "\(op) has a body but documents no \(code)")
                }
            }
        }
    }

    @Test("The documented id, text and time patterns are the server's own rules")
    func patterns() throws {
        let doc = try OpenAPIDocument()
        let schemas = try #require(doc.root["components"] as? [String: Any])["schemas"] as? [String: Any] ?? [:]
        func pattern(_ name: String) throws -> String {
            try #require((schemas[name] as? [String: Any])?["pattern"] as? String, "\(name) has no pattern")
        }
        // JSON Schema's `$` is the end of the input (ICU's would also match before a final line break).
        func matches(_ text: String, _ p: String) -> Bool {
            text.range(of: p.hasSuffix("$") ? p.dropLast() + "\\z" : p, options: .regularExpression) != nil
        }
        let samples = ["P1", "评审-2025", "a b", "a/b", "a\\b", "", "x\u{0}", "x\u{1F}", "x\u{7F}", "x\u{85}", "x\u{A0}", "x\u{3000}",
                       "x\u{2028}", "tab\there", "line\nbreak", "cr\r", "é", "e\u{301}", "😀", String(repeating: "x", count: 64),
                       "a:b@c.d+e", "%20"]
        let idP = try pattern("Id"), lineP = try pattern("Line"), linesP = try pattern("Lines")
        for t in samples {
            let id = (try? TextRule.id(t, field: "f")) != nil
            // The schema's Id: the pattern and the length bounds together.
            let n = t.unicodeScalars.count
            #expect(id == (matches(t, idP) && n >= 1 && n <= 64), "id \(t.debugDescription)")
            #expect(((try? TextRule.text(t, field: "f", max: 1000)) != nil) == matches(t, lineP), "line \(t.debugDescription)")
            #expect(((try? TextRule.text(t, field: "f", max: 1000, allowBreaks: true)) != nil) == matches(t, linesP),
                    "lines \(t.debugDescription)")
        }
        let timeP = try pattern("ClientTime")
        for t in ["2025-05-01T08:30:00.000Z", "2025-05-01T08:30:00Z", "2025-13-01T08:30:00Z", "2025-05-01T08:30:00+08:00",
                  "2025-05-01 08:30:00Z", "2025-05-01T24:00:00Z", "2025-05-01T08:30:00.1Z", "not a time", ""] {
            #expect(((try? TextRule.timestamp(t, field: "f")) != nil) == matches(t, timeP), "time \(t)")
        }
    }

    @Test("Live responses of every endpoint decode per the documented schemas", arguments: Backend.enabled)
    func liveResponses(_ backend: Backend) async throws {
        let doc = try OpenAPIDocument()
        try await withServer(backend) { s in
            var checked: [String] = []
            /// Sends a request and checks the answer's status is documented and its body fits the schema.
            func check(_ client: PingshenSyncClient, _ method: String, _ template: String, _ path: String,
                       query: [URLQueryItem] = [], body: Data? = nil, expect: Int) async throws -> Any {
                let (status, data) = try await client.raw(method, path, query: query, body: body)
                #expect(status == expect, "\(method) \(path): \(status) \(String(decoding: data, as: UTF8.self).prefix(300))")
                let schema = try #require(try doc.responseSchema(method, template, status), "\(method) \(template) \(status) undocumented")
                let json = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
                let problems = try doc.validate(json, schema)
                #expect(problems.isEmpty, "\(method) \(template) \(status): \(problems)")
                checked.append("\(method) \(template) \(status)")
                return json
            }
            func encode<T: Encodable>(_ v: T) throws -> Data { try WireCoding.encoder().encode(v) }
            let anon = s.client()
            _ = try await check(anon, "GET", "/v1/health", "/v1/health", expect: 200)
            let exchanged = try await check(anon, "POST", "/v1/auth/exchange", "/v1/auth/exchange",
                                            body: try encode(ExchangeRequest(code: s.adminCode, device: "chair")), expect: 200)
            let token = try #require(((exchanged as? [String: Any])?["token"]) as? String)
            let admin = s.client(token)
            _ = try await check(anon, "POST", "/v1/auth/exchange", "/v1/auth/exchange",
                                body: try encode(ExchangeRequest(code: s.adminCode)), expect: 401)
            _ = try await check(anon, "GET", "/v1/me", "/v1/me", expect: 401)
            _ = try await check(admin, "GET", "/v1/me", "/v1/me", expect: 200)
            let panelT = "/v1/panels/{panel}"
            _ = try await check(admin, "PUT", panelT, "/v1/panels/P1", body: try encode(try demoPanel()), expect: 201)
            _ = try await check(admin, "PUT", panelT, "/v1/panels/P1", body: try encode(try demoPanel()), expect: 200)
            _ = try await check(admin, "PUT", panelT, "/v1/panels/P1", body: Data("{".utf8), expect: 400)
            var noRubric = try demoPanel()
            noRubric.rubricId = "other"
            _ = try await check(admin, "PUT", panelT, "/v1/panels/P1", body: try encode(noRubric), expect: 422)
            _ = try await check(admin, "GET", "/v1/panels", "/v1/panels", expect: 200)
            _ = try await check(admin, "GET", panelT, "/v1/panels/P1", expect: 200)
            _ = try await check(admin, "GET", panelT, "/v1/panels/NOPE", expect: 404)
            let enrolled = try await check(admin, "POST", panelT + "/enrol", "/v1/panels/P1/enrol",
                                           body: try encode(EnrolRequest(reviewer: "r1")), expect: 201)
            _ = try await check(admin, "POST", panelT + "/enrol", "/v1/panels/P1/enrol",
                                body: try encode(EnrolRequest(reviewer: "nobody")), expect: 422)
            let code = try #require(((enrolled as? [String: Any])?["code"]) as? String)
            let reviewer = s.client(try await anon.exchange(code: code, device: "r1-laptop").token)
            _ = try await check(reviewer, "GET", panelT + "/rubric", "/v1/panels/P1/rubric", expect: 200)
            _ = try await check(reviewer, "GET", panelT + "/applicants", "/v1/panels/P1/applicants", expect: 200)
            _ = try await check(reviewer, "GET", panelT + "/snapshot", "/v1/panels/P1/snapshot", expect: 403)
            let leaves = try demoRubric().leaves
            let changes = [Change(device: "r1-laptop", kind: .setPoints, reviewer: "r1", applicant: "a1", round: "初评",
                                  leaf: leaves[0].id, value: 1),
                           Change(device: "r1-laptop", kind: .setNote, reviewer: "r1", applicant: "a1", round: "初评",
                                  leaf: leaves[0].id, note: "说明"),
                           Change(device: "r1-laptop", kind: .setPoints, reviewer: "r1", applicant: "a1", round: "初评",
                                  leaf: leaves[0].id, value: 999)]
            _ = try await check(reviewer, "POST", panelT + "/changes", "/v1/panels/P1/changes",
                                body: try encode(PushRequest(changes: changes)), expect: 200)
            _ = try await check(reviewer, "POST", panelT + "/changes", "/v1/panels/P1/changes",
                                body: try encode(PushRequest(changes: [Change(device: "x", kind: .setPoints, reviewer: "r2",
                                                                              applicant: "a1", round: "初评", leaf: leaves[0].id, value: 1)])),
                                expect: 403)
            _ = try await check(reviewer, "GET", panelT + "/changes", "/v1/panels/P1/changes",
                                query: [URLQueryItem(name: "since", value: "0")], expect: 200)
            _ = try await check(reviewer, "GET", panelT + "/changes", "/v1/panels/P1/changes",
                                query: [URLQueryItem(name: "since", value: "-1")], expect: 400)
            // A panel id that is invalid once percent-decoded is 422 on every operation that takes one.
            for (method, suffix) in [("GET", ""), ("PUT", ""), ("POST", "/enrol"), ("POST", "/release"), ("POST", "/seal"),
                                     ("GET", "/snapshot"), ("GET", "/rubric"), ("GET", "/applicants"), ("POST", "/changes"),
                                     ("GET", "/changes"), ("GET", "/verify")] {
                _ = try await check(admin, method, panelT + suffix, "/v1/panels/a%20b" + suffix,
                                    body: method == "GET" ? nil : Data("{}".utf8), expect: 422)
            }
            _ = try await check(anon, "POST", "/v1/auth/exchange", "/v1/auth/exchange",
                                body: Data("{\"code\":\"A\\u0000B\"}".utf8), expect: 422)
            let big = "{\"quorum\":18446744073709551616," + String(decoding: try encode(try demoPanel()), as: UTF8.self).dropFirst()
            _ = try await check(admin, "PUT", panelT, "/v1/panels/P1", body: Data(big.utf8), expect: 422)
            _ = try await check(admin, "GET", panelT + "/snapshot", "/v1/panels/P1/snapshot", expect: 200)
            _ = try await check(admin, "POST", panelT + "/release", "/v1/panels/P1/release", expect: 200)
            _ = try await check(admin, "POST", panelT + "/seal", "/v1/panels/P1/seal", expect: 200)
            _ = try await check(admin, "PUT", panelT, "/v1/panels/P1", body: try encode(try demoPanel()), expect: 409)
            _ = try await check(admin, "GET", panelT + "/verify", "/v1/panels/P1/verify", expect: 200)
            _ = try await check(reviewer, "GET", panelT + "/verify", "/v1/panels/P1/verify", expect: 403)
            _ = try await check(reviewer, "GET", "/v1/audit/verify", "/v1/audit/verify", expect: 403)
            _ = try await check(admin, "GET", "/v1/audit/verify", "/v1/audit/verify", expect: 200)
            // The validator is not vacuous: a summary with a wrong type, a missing field and an extra one fails.
            let good = try await check(admin, "GET", panelT, "/v1/panels/P1", expect: 200)
            var bad = try #require(good as? [String: Any])
            bad["version"] = "seven"
            bad["released"] = 1
            bad.removeValue(forKey: "sealed")
            bad["secret"] = "x"
            let summarySchema = try #require(try doc.responseSchema("GET", panelT, 200))
            let problems = try doc.validate(bad, summarySchema)
            #expect(problems.count == 4, "\(problems)")
            // Every documented operation was exercised with at least one live response.
            let exercised = Set(checked.map { $0.split(separator: " ").prefix(2).joined(separator: " ") })
            #expect(exercised == Set(doc.operations), "not exercised: \(Set(doc.operations).subtracting(exercised))")
        }
    }
}
