import Foundation
import Hummingbird
import Logging
import NIOCore
import PingshenCore
import PingshenWire

/// The API's handlers. Authentication happens before them, in `AuthMiddleware` (every route except health and
/// the code exchange), which puts the caller's `Principal` into the request context; each handler then
/// authorizes against the role model:
///
/// | role     | who                                    | may                                                     |
/// |----------|----------------------------------------|---------------------------------------------------------|
/// | admin    | the chair from `pingshen server init`  | everything on every panel; create panels; enrol chairs  |
/// | chair    | chair of one panel (enrolled by admin) | replace, enrol reviewers, release, seal, snapshot, read |
/// | reviewer | one reviewer of one panel              | read panel, rubric, applicants; push own changes; pull  |
///
/// A reviewer's pull holds only their own sheets (and panel events) until the chair releases the panel.
struct APIHandlers: Sendable {
    let server: PanelServer
    var storage: any ServerStorage { server.storage }
    var config: ServerConfiguration { server.configuration }
    var logger: Logger { server.logger }

    // MARK: Helpers

    /// The caller, as `AuthMiddleware` authenticated them.
    func principal(_ context: PanelRequestContext) throws -> Principal {
        guard let p = context.principal else { throw APIError(401, "server.auth.missing") }
        return p
    }

    /// The `{panel}` path parameter, percent-decoded, then validated as an id.
    func panelId(_ context: PanelRequestContext) throws -> String {
        guard let raw = context.parameters.get("panel") else { throw APIError(400, "server.bad_request") }
        guard let id = raw.removingPercentEncoding else {
            throw APIError(422, "server.id.invalid", ["panel", TextRule.printable(raw), "64"])
        }
        try TextRule.id(id, field: "panel")
        return id
    }

    func validateId(_ id: String, field: String) throws {
        try TextRule.id(id, field: field)
    }

    /// The panel, or 404 (only a member gets this far, so existence leaks to nobody else).
    func loadPanel(_ id: String) async throws -> PanelRecord {
        guard let p = try await storage.panel(id) else { throw APIError(404, "server.panel.not_found", [id]) }
        return p
    }

    func requireMember(_ p: Principal, _ panel: String) throws {
        if !p.isMember(of: panel) { throw APIError(403, "server.forbidden.panel", [panel]) }
    }

    func requireChair(_ p: Principal, _ panel: String) throws {
        if !p.isChair(of: panel) { throw APIError(403, "server.forbidden.chair", [panel]) }
    }

    func requireAdmin(_ p: Principal) throws {
        if p.role != .admin { throw APIError(403, "server.forbidden.admin") }
    }

    /// Reads the body: at most `maxBodyBytes` (413), within `bodyTimeout` (408).
    func body(_ request: Request) async throws -> Data {
        let limit = config.maxBodyBytes
        if let len = request.headers[.contentLength].flatMap({ Int($0) }), len > limit {
            throw APIError(413, "server.too_large", [String(limit)])
        }
        let timeout = config.bodyTimeout
        let body = request.body
        // A body over the limit is still read, and thrown away, up to `drainLimit` before the 413 goes out:
        // closing a connection with unread bytes makes the kernel reset it, and the client would then
        // lose the 413 answer (it sees "connection reset" instead of why).
        let drainLimit = max(4 * limit, 16 * 1024 * 1024)
        let buffer: ByteBuffer? = try await firstOrTimeout(timeout) {
            var collected = ByteBuffer()
            var received = 0
            do {
                for try await chunk in body {
                    received += chunk.readableBytes
                    if received > drainLimit { break }
                    if received <= limit {
                        var c = chunk
                        collected.writeBuffer(&c)
                    }
                }
            } catch {
                // The client went away mid-body: nothing was read, nothing is applied.
                throw APIError(400, "server.body_incomplete", ["\(error)"])
            }
            if received > limit { throw APIError(413, "server.too_large", [String(limit)]) }
            return collected
        }
        guard let buffer else { throw APIError(408, "server.body_timeout", [String(timeout.components.seconds)]) }
        return Data(buffer.readableBytesView)
    }

    func decode<T: Codable>(_ type: T.Type, _ request: Request) async throws -> T {
        let data = try await body(request)
        let value: T
        do {
            value = try WireCoding.decoder().decode(T.self, from: data)
        } catch let e as DecodingError {
            // Well-formed JSON whose value does not fit (a number out of range, an unknown enum value):
            // 422 naming the field. Syntax errors and a wrong shape (missing key, wrong type): 400.
            if case .dataCorrupted(let ctx) = e, !ctx.codingPath.isEmpty {
                throw APIError(422, "server.bad_value", [APIHandlers.path(ctx.codingPath), ctx.debugDescription])
            }
            // The decoder refuses a number beyond 64 bits while scanning, before any field is known: the body
            // is still well-formed JSON if a general parser reads it.
            if case .dataCorrupted(let ctx) = e, ctx.codingPath.isEmpty,
               (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
                throw APIError(422, "server.bad_number")
            }
            throw APIError(400, "server.bad_json", [APIHandlers.describe(e)])
        } catch {
            throw APIError(400, "server.bad_json", [String(describing: error)])
        }
        // Only documented keys (the document says additionalProperties: false): a key the type does not
        // have is refused rather than silently dropped. The decoded value, encoded again, holds exactly the
        // keys the type knows; a key sent with null is the same as leaving it out.
        if let input = try? JSONSerialization.jsonObject(with: data),
           let known = try? JSONSerialization.jsonObject(with: WireCoding.encoder().encode(value)),
           let key = APIHandlers.unknownKey(input, known, at: "") {
            throw APIError(422, "server.unknown_field", [key])
        }
        return value
    }

    /// The first key of `input` (a parsed request body) that `known` (the decoded body encoded again) lacks.
    static func unknownKey(_ input: Any, _ known: Any, at path: String) -> String? {
        if let object = input as? [String: Any] {
            let knownObject = known as? [String: Any] ?? [:]
            for (key, value) in object.sorted(by: { $0.key < $1.key }) where !(value is NSNull) {
                let here = path.isEmpty ? key : "\(path).\(key)"
                guard let sub = knownObject[key] else { return here }
                if let found = unknownKey(value, sub, at: here) { return found }
            }
        } else if let array = input as? [Any], let knownArray = known as? [Any] {
            for (i, (value, sub)) in zip(array, knownArray).enumerated() {
                if let found = unknownKey(value, sub, at: "\(path)[\(i)]") { return found }
            }
        }
        return nil
    }

    /// A decoding error as "field.path: what".
    static func path(_ c: [any CodingKey]) -> String {
        c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let key, let ctx): return "\(path(ctx.codingPath + [key])): missing"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let where_ = path(ctx.codingPath)
            return (where_.isEmpty ? "" : "\(where_): ") + ctx.debugDescription
        @unknown default: return String(describing: e)
        }
    }

    // MARK: Endpoints

    func health(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        jsonResponse(HealthResponse(status: "ok", protocolVersion: wireProtocolVersion, backend: storage.backend))
    }

    func exchange(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let now = server.clock.now()
        if let retry = server.limiter.attempt(context.remoteIP, now: now) {
            throw APIError(429, "server.rate_limited", [String(retry)])
        }
        let req = try await decode(ExchangeRequest.self, request)
        let device = (req.device?.isEmpty ?? true) ? "device-" + String(UUID().uuidString.prefix(8)).lowercased() : (req.device ?? "")
        try TextRule.text(req.code, field: "code", max: 100)
        try TextRule.text(device, field: "device", max: 100)
        let token = Secrets.token()
        guard let p = try await storage.redeem(codeHash: Secrets.codeHash(req.code), tokenHash: Secrets.tokenHash(token),
                                               device: device, tokenExpiresAt: now.addingTimeInterval(config.tokenTTL), now: now) else {
            throw APIError(401, "server.auth.bad_code")
        }
        logger.info("token issued: \(p.actor) from \(context.remoteIP)")
        return jsonResponse(ExchangeResponse(token: token, identity: identity(p)))
    }

    func identity(_ p: Principal) -> Identity {
        Identity(role: p.role, panel: p.panel, reviewer: p.reviewer, device: p.device, expiresAt: WireCoding.timestamp(p.expiresAt))
    }

    func me(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        jsonResponse(identity(try principal(context)))
    }

    func listPanels(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let all = try await storage.panels()
        return jsonResponse(PanelList(panels: p.role == .admin ? all : all.filter { $0.id == p.panel }))
    }

    func putPanel(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireChair(p, id)
        let existing = try await storage.panel(id)
        if existing == nil && p.role != .admin { throw APIError(403, "server.forbidden.admin") }
        let upload = try await decode(PanelUpload.self, request)
        try validate(upload)
        let rubric = try PanelServer.parseRubric(upload.rubricYaml, id: upload.rubricId, file: "rubric_yaml")
        if rubric.id != upload.rubricId { throw APIError(422, "server.panel.rubric_id", [upload.rubricId, rubric.id]) }
        if let v = upload.variant, rubric.variant(v) == nil { throw APIError(422, "server.panel.variant", [v, rubric.id]) }
        let summary = try await storage.putPanel(id, upload, actor: p.actor, now: server.clock.now())
        logger.info("panel \(id) \(existing == nil ? "created" : "replaced") by \(p.actor)")
        return jsonResponse(summary, status: existing == nil ? .created : .ok)
    }

    /// The upload's fields (`TextRule.upload`), then what the schema cannot say: unique ids, recusals that
    /// name a reviewer and an applicant of the upload.
    func validate(_ u: PanelUpload) throws {
        try TextRule.upload(u)
        var reviewers = Set<String>()
        for r in u.reviewers where !reviewers.insert(r.id).inserted {
            throw APIError(422, "server.panel.duplicate", ["reviewers", r.id])
        }
        var applicants = Set<String>()
        for a in u.applicants where !applicants.insert(a.id).inserted {
            throw APIError(422, "server.panel.duplicate", ["applicants", a.id])
        }
        for r in u.recusals {
            if !reviewers.contains(r.reviewer) { throw APIError(422, "server.panel.unknown_ref", ["recusals.reviewer", r.reviewer]) }
            if !applicants.contains(r.applicant) { throw APIError(422, "server.panel.unknown_ref", ["recusals.applicant", r.applicant]) }
        }
    }

    func getPanel(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireMember(p, id)
        return jsonResponse(try await loadPanel(id).summary)
    }

    func enrol(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireChair(p, id)
        let req = try await decode(EnrolRequest.self, request)
        _ = try await loadPanel(id)
        switch req.role {
        case .admin:
            throw APIError(403, "server.forbidden.enrol_admin")
        case .chair:
            try requireAdmin(p)
            try validateId(req.reviewer, field: "reviewer")
        case .reviewer:
            try validateId(req.reviewer, field: "reviewer")
            let reviewers = try await storage.reviewers(id)
            if !reviewers.contains(where: { $0.id == req.reviewer }) {
                throw APIError(422, "server.enrol.unknown_reviewer", [req.reviewer, id])
            }
        }
        let hours = req.ttlHours ?? config.codeTTL / 3600
        guard hours.isFinite, hours > 0, hours <= 30 * 24 else { throw APIError(422, "server.enrol.ttl", [String(hours)]) }
        let now = server.clock.now()
        let code = Secrets.enrolmentCode()
        let expires = now.addingTimeInterval(hours * 3600)
        try await storage.addEnrolment(EnrolmentRecord(codeHash: Secrets.codeHash(code), role: req.role, panel: id,
                                                       reviewer: req.reviewer, expiresAt: expires), actor: p.actor, now: now)
        return jsonResponse(EnrolResponse(code: code, role: req.role, panel: id, reviewer: req.reviewer,
                                          expiresAt: WireCoding.timestamp(expires)), status: .created)
    }

    func release(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireChair(p, id)
        return jsonResponse(try await storage.release(id, actor: p.actor, now: server.clock.now()))
    }

    func seal(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireChair(p, id)
        // The body is optional: `{}` seals without digests; SealDigest's `{"inputs", "results"}` seals with them.
        let data = try await body(request)
        var digest: SealDigest?
        // Only the two documented keys: an object with any other key matches neither form of the body.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let other = object.keys.sorted().first(where: { $0 != "inputs" && $0 != "results" }) {
            throw APIError(422, "server.bad_value", [other, "unknown key"])
        }
        if !data.isEmpty, (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?.isEmpty != true {
            do {
                digest = try WireCoding.decoder().decode(SealDigest.self, from: data)
            } catch {
                throw APIError(422, "server.seal.bad_digest", [])
            }
            if let d = digest, SealDigest(d.text) == nil { throw APIError(422, "server.seal.bad_digest", []) }
        }
        let s = try await storage.seal(id, actor: p.actor, now: server.clock.now(), digest: digest)
        logger.info("panel \(id) sealed by \(p.actor)")
        return jsonResponse(s)
    }

    /// GET /v1/panels/{panel}/verify (chair): the server's audit chain and the inputs digest of its rows now,
    /// beside what the seal recorded; the client recomputes the results digest from the snapshot.
    func verifyPanel(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireChair(p, id)
        guard let v = try await storage.verifyPanel(id) else { throw APIError(404, "server.panel.not_found", [id]) }
        return jsonResponse(v)
    }

    func snapshot(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireChair(p, id)
        guard let s = try await storage.snapshot(id) else { throw APIError(404, "server.panel.not_found", [id]) }
        return jsonResponse(s)
    }

    func rubric(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireMember(p, id)
        let panel = try await loadPanel(id)
        return jsonResponse(RubricResponse(panel: id, rubricId: panel.summary.rubricId, rubricYaml: panel.rubricYaml,
                                           round: panel.summary.round, variant: panel.summary.variant))
    }

    func applicants(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireMember(p, id)
        _ = try await loadPanel(id)
        var list = try await storage.applicants(id)
        let recusals = try await storage.recusals(id)
        if p.role == .reviewer, let me = p.reviewer {
            let recused = Set(recusals.filter { $0.reviewer == me }.map(\.applicant))
            for i in list.indices { list[i].recused = recused.contains(list[i].id) }
        }
        return jsonResponse(ApplicantList(panel: id, applicants: list, reviewers: try await storage.reviewers(id), recusals: recusals))
    }

    func push(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireMember(p, id)
        if p.role != .reviewer { throw APIError(403, "server.forbidden.not_reviewer", [id]) }
        let req = try await decode(PushRequest.self, request)
        if req.changes.count > config.maxChangesPerPush {
            throw APIError(422, "server.push.too_many", [String(req.changes.count), String(config.maxChangesPerPush)])
        }
        // Every field is checked here, before the push joins the shared group-commit transaction: a bad
        // push fails alone (422) and never reaches the other clients' writes.
        for (i, c) in req.changes.enumerated() { try TextRule.change(c, index: i) }
        let rubrics = server.rubrics
        var results = try await storage.apply(panel: id, changes: req.changes, principal: p, rubric: { try rubrics.leaves($0) },
                                              now: server.clock.now())
        let lang = requestLang(request)
        for i in results.indices where results[i].status == .refused {
            results[i].message = results[i].reason.map { Catalog.text($0, results[i].args ?? [], lang) }
        }
        return jsonResponse(PushResponse(results: results))
    }

    func pull(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        let id = try panelId(context)
        try requireMember(p, id)
        let q = request.uri.queryParameters
        let since: Int64
        if let s = q.get("since") {
            guard let v = Int64(String(s)), v >= 0 else { throw APIError(400, "server.bad_query", ["since", String(s)]) }
            since = v
        } else {
            since = 0
        }
        var limit = 1000
        if let s = q.get("limit") {
            guard let v = Int(String(s)), v >= 1, v <= config.maxPullLimit else {
                throw APIError(400, "server.bad_query", ["limit", String(s)])
            }
            limit = v
        }
        let panel = try await loadPanel(id)
        let only: String? = (p.role == .reviewer && !panel.summary.released) ? (p.reviewer ?? "") : nil
        let page = try await storage.pull(panel: id, since: since, limit: limit, onlyReviewer: only)
        let fresh = try await loadPanel(id)
        return jsonResponse(PullResponse(changes: page.changes, nextCursor: page.next, hasMore: page.hasMore, panel: fresh.summary))
    }

    func verifyAudit(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try principal(context)
        try requireAdmin(p)
        return jsonResponse(try await storage.verifyAudit())
    }
}

/// Runs `work`; returns nil if it has not finished after `timeout` (then cancels it and does not wait for it:
/// a body read blocked on a silent client ends when its connection closes).
func firstOrTimeout<T: Sendable>(_ timeout: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T? {
    let once = ResumeOnce<T?>()
    return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T?, any Error>) in
        once.set(cont)
        let worker = Task {
            do { once.resume(.success(try await work())) } catch { once.resume(.failure(error)) }
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, once.resume(.success(nil)) { worker.cancel() }
        }
        once.onResume { timer.cancel() }
    }
}

/// A continuation resumed by whichever comes first.
final class ResumeOnce<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var cont: CheckedContinuation<T, any Error>?
    private var done = false
    private var pending: Result<T, any Error>?
    private var after: (@Sendable () -> Void)?

    func set(_ c: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let pending {
            lock.unlock()
            c.resume(with: pending)
            return
        }
        cont = c
        lock.unlock()
    }

    func onResume(_ f: @escaping @Sendable () -> Void) {
        lock.lock()
        if done {
            lock.unlock()
            f()
            return
        }
        after = f
        lock.unlock()
    }

    /// True when this call resumed it.
    @discardableResult
    func resume(_ r: Result<T, any Error>) -> Bool {
        lock.lock()
        if done {
            lock.unlock()
            return false
        }
        done = true
        let c = cont
        cont = nil
        if c == nil { pending = r }
        let f = after
        lock.unlock()
        c?.resume(with: r)
        f?()
        return true
    }
}
