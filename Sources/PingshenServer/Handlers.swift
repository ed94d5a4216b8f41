import Foundation
import Hummingbird
import Logging
import NIOCore
import PingshenCore
import PingshenWire

/// The API's handlers. Every handler authenticates first (except health and the code exchange), then
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

    func authenticate(_ request: Request) async throws -> Principal {
        guard let header = request.headers[.authorization] else { throw APIError(401, "server.auth.missing") }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError(401, "server.auth.scheme")
        }
        guard let p = try await server.principals.lookup(Secrets.tokenHash(String(parts[1])), now: server.clock.now(),
                                                         storage: storage) else {
            throw APIError(401, "server.auth.invalid")
        }
        if p.expiresAt <= server.clock.now() { throw APIError(401, "server.auth.expired", [WireCoding.timestamp(p.expiresAt)]) }
        return p
    }

    func panelId(_ context: PanelRequestContext) throws -> String {
        guard let id = context.parameters.get("panel") else { throw APIError(400, "server.bad_request") }
        try validateId(id, field: "panel")
        return id
    }

    func validateId(_ id: String, field: String) throws {
        let bad = id.isEmpty || id.count > 64 || id.unicodeScalars.contains {
            $0.properties.generalCategory == .control || $0 == "/" || $0 == "\\" || $0.properties.isWhitespace
        }
        if bad { throw APIError(422, "server.bad_id", [field, String(id.prefix(80))]) }
    }

    func validateText(_ text: String, field: String, max: Int = 500) throws {
        if text.count > max || text.unicodeScalars.contains(where: { $0 == "\u{0}" }) {
            throw APIError(422, "server.bad_text", [field, String(max)])
        }
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

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let data = try await body(request)
        do {
            return try WireCoding.decoder().decode(T.self, from: data)
        } catch let e as DecodingError {
            throw APIError(400, "server.bad_json", [APIHandlers.describe(e)])
        } catch {
            throw APIError(400, "server.bad_json", [String(describing: error)])
        }
    }

    /// A decoding error as "field.path: what".
    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [any CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
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
        try validateText(device, field: "device", max: 100)
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
        jsonResponse(identity(try await authenticate(request)))
    }

    func listPanels(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let all = try await storage.panels()
        return jsonResponse(PanelList(panels: p.role == .admin ? all : all.filter { $0.id == p.panel }))
    }

    func putPanel(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
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

    func validate(_ u: PanelUpload) throws {
        try validateId(u.rubricId, field: "rubric_id")
        try validateText(u.title, field: "title")
        try validateText(u.round, field: "round", max: 64)
        if u.round.isEmpty { throw APIError(422, "server.bad_text", ["round", "64"]) }
        var reviewers = Set<String>()
        for r in u.reviewers {
            try validateId(r.id, field: "reviewers.id")
            try validateText(r.name, field: "reviewers.name")
            if !reviewers.insert(r.id).inserted { throw APIError(422, "server.panel.duplicate", ["reviewers", r.id]) }
        }
        var applicants = Set<String>()
        for a in u.applicants {
            try validateId(a.id, field: "applicants.id")
            try validateText(a.name, field: "applicants.name")
            if let i = a.industry { try validateText(i, field: "applicants.industry", max: 64) }
            if !applicants.insert(a.id).inserted { throw APIError(422, "server.panel.duplicate", ["applicants", a.id]) }
            for (k, v) in a.data {
                try validateId(k, field: "applicants.data")
                if !v.isFinite || abs(v) > 1e12 { throw APIError(422, "server.panel.data_value", [a.id, k]) }
            }
        }
        for r in u.recusals {
            if !reviewers.contains(r.reviewer) { throw APIError(422, "server.panel.unknown_ref", ["recusals.reviewer", r.reviewer]) }
            if !applicants.contains(r.applicant) { throw APIError(422, "server.panel.unknown_ref", ["recusals.applicant", r.applicant]) }
            try validateText(r.reason, field: "recusals.reason")
        }
        if let m = u.method { try validateId(m, field: "method") }
        if let v = u.view { try validateId(v, field: "view") }
        if let q = u.quorum, q < 0 || q > 1000 { throw APIError(422, "server.bad_text", ["quorum", "1000"]) }
    }

    func getPanel(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireMember(p, id)
        return jsonResponse(try await loadPanel(id).summary)
    }

    func enrol(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
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
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireChair(p, id)
        return jsonResponse(try await storage.release(id, actor: p.actor, now: server.clock.now()))
    }

    func seal(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireChair(p, id)
        let s = try await storage.seal(id, actor: p.actor, now: server.clock.now())
        logger.info("panel \(id) sealed by \(p.actor)")
        return jsonResponse(s)
    }

    func snapshot(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireChair(p, id)
        guard let s = try await storage.snapshot(id) else { throw APIError(404, "server.panel.not_found", [id]) }
        return jsonResponse(s)
    }

    func rubric(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireMember(p, id)
        let panel = try await loadPanel(id)
        return jsonResponse(RubricResponse(panel: id, rubricId: panel.summary.rubricId, rubricYaml: panel.rubricYaml,
                                           round: panel.summary.round, variant: panel.summary.variant))
    }

    func applicants(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireMember(p, id)
        _ = try await loadPanel(id)
        var list = try await storage.applicants(id)
        if p.role == .reviewer, let me = p.reviewer {
            let recused = Set(try await storage.recusals(id).filter { $0.reviewer == me }.map(\.applicant))
            for i in list.indices { list[i].recused = recused.contains(list[i].id) }
        }
        return jsonResponse(ApplicantList(panel: id, applicants: list))
    }

    func push(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
        let id = try panelId(context)
        try requireMember(p, id)
        if p.role != .reviewer { throw APIError(403, "server.forbidden.not_reviewer", [id]) }
        let req = try await decode(PushRequest.self, request)
        if req.changes.count > config.maxChangesPerPush {
            throw APIError(413, "server.push.too_many", [String(req.changes.count), String(config.maxChangesPerPush)])
        }
        for c in req.changes {
            if c.changeId.isEmpty || c.changeId.count > 100 { throw APIError(422, "server.bad_id", ["change_id", String(c.changeId.prefix(80))]) }
            try validateText(c.device, field: "device", max: 100)
            try validateText(c.clientTime, field: "client_time", max: 64)
            if let v = c.value, !v.isFinite { throw APIError(422, "server.bad_text", ["value", "finite"]) }
        }
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
        let p = try await authenticate(request)
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
            guard let v = Int(String(s)), v >= 1 else { throw APIError(400, "server.bad_query", ["limit", String(s)]) }
            limit = min(v, config.maxPullLimit)
        }
        let panel = try await loadPanel(id)
        let only: String? = (p.role == .reviewer && !panel.summary.released) ? (p.reviewer ?? "") : nil
        let page = try await storage.pull(panel: id, since: since, limit: limit, onlyReviewer: only)
        let fresh = try await loadPanel(id)
        return jsonResponse(PullResponse(changes: page.changes, nextCursor: page.next, hasMore: page.hasMore, panel: fresh.summary))
    }

    func verifyAudit(_ request: Request, _ context: PanelRequestContext) async throws -> Response {
        let p = try await authenticate(request)
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
