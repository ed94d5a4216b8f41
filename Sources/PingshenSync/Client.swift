import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PingshenCore
import PingshenWire

/// Why a call to the server failed.
public enum SyncClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with an error status; `body` is its ErrorBody when it sent one.
    case http(status: Int, body: ErrorBody?)
    /// No answer: connection refused or dropped, timeout, TLS failure. The request may or may not have
    /// reached the server: a push is safe to retry (change ids make it exactly-once).
    case transport(String)
    /// An answer that is not what the protocol says.
    case decoding(String)

    public var status: Int? {
        if case .http(let s, _) = self { return s }
        return nil
    }

    public var description: String {
        switch self {
        case .http(let s, let b): return "HTTP \(s)" + (b.map { ": \($0.error) \($0.message)" } ?? "")
        case .transport(let t): return "transport: \(t)"
        case .decoding(let d): return "decoding: \(d)"
        }
    }
}

/// The panel server's HTTP client (URLSession; FoundationNetworking/libcurl on Linux). Stateless apart
/// from its token: the offline outbox and the pull cursor belong to the caller (the local store).
public final class PingshenSyncClient: @unchecked Sendable {
    public let baseURL: URL
    public let token: String?
    /// Sent as Accept-Language so that the server renders messages in the user's language.
    public let language: String
    let session: URLSession

    public init(baseURL: URL, token: String? = nil, language: String = "zh", timeout: TimeInterval = 30) {
        self.baseURL = baseURL
        self.token = token
        self.language = language
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = max(timeout * 4, 120)
        config.httpMaximumConnectionsPerHost = 8
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        self.session = URLSession(configuration: config)
    }

    private init(baseURL: URL, token: String?, language: String, session: URLSession) {
        self.baseURL = baseURL
        self.token = token
        self.language = language
        self.session = session
    }

    /// The same client (and connection pool) speaking with another token.
    public func with(token: String?) -> PingshenSyncClient {
        PingshenSyncClient(baseURL: baseURL, token: token, language: language, session: session)
    }

    // MARK: Transport

    /// One request; returns the status and body whatever the status (for callers and tests that look at
    /// error answers themselves).
    public func raw(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil,
                    headers: [String: String] = [:]) async throws -> (status: Int, body: Data) {
        guard var comps = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            throw SyncClientError.transport("bad base URL \(baseURL)")
        }
        let basePath = comps.path.hasSuffix("/") ? String(comps.path.dropLast()) : comps.path
        comps.percentEncodedPath = basePath + path
        if !query.isEmpty { comps.queryItems = query }
        guard let url = comps.url else { throw SyncClientError.transport("bad URL \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(language, forHTTPHeaderField: "Accept-Language")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        // The completion-handler API, not `data(for:)`: on Linux, cancelling a Swift task inside
        // FoundationNetworking's async bridge can crash the process. A request therefore runs to its answer
        // or its timeout even when the caller's task is cancelled (harmless: a push is idempotent).
        let session = self.session
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<(status: Int, body: Data), any Error>) in
            let task = session.dataTask(with: request) { data, response, error in
                if let error {
                    cont.resume(throwing: SyncClientError.transport(String(describing: error)))
                } else if let http = response as? HTTPURLResponse {
                    cont.resume(returning: (http.statusCode, data ?? Data()))
                } else {
                    cont.resume(throwing: SyncClientError.transport("not an HTTP response"))
                }
            }
            task.resume()
        }
    }

    func call<Response: Decodable>(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil,
                                   expect: Set<Int> = [200]) async throws -> Response {
        let (status, data) = try await raw(method, path, query: query, body: body)
        guard expect.contains(status) else {
            throw SyncClientError.http(status: status, body: try? WireCoding.decoder().decode(ErrorBody.self, from: data))
        }
        do {
            return try WireCoding.decoder().decode(Response.self, from: data)
        } catch {
            throw SyncClientError.decoding("\(method) \(path): \(error)")
        }
    }

    func encode<T: Encodable>(_ value: T) throws -> Data {
        do {
            return try WireCoding.encoder().encode(value)
        } catch {
            throw SyncClientError.decoding("encoding \(T.self): \(error)")
        }
    }

    static func segment(_ s: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    static func panelPath(_ panel: String, _ rest: String = "") -> String {
        "/v1/panels/\(segment(panel))\(rest)"
    }

    // MARK: Anyone

    public func health() async throws -> HealthResponse {
        try await call("GET", "/v1/health")
    }

    /// Exchanges a one-time enrolment code for a token (the code is spent).
    public func exchange(code: String, device: String?) async throws -> ExchangeResponse {
        try await call("POST", "/v1/auth/exchange", body: try encode(ExchangeRequest(code: code, device: device)))
    }

    public func me() async throws -> Identity {
        try await call("GET", "/v1/me")
    }

    public func panels() async throws -> [PanelSummary] {
        let list: PanelList = try await call("GET", "/v1/panels")
        return list.panels
    }

    public func panel(_ id: String) async throws -> PanelSummary {
        try await call("GET", Self.panelPath(id))
    }

    public func rubric(_ panel: String) async throws -> RubricResponse {
        try await call("GET", Self.panelPath(panel, "/rubric"))
    }

    public func applicants(_ panel: String) async throws -> [WireApplicant] {
        try await applicantList(panel).applicants
    }

    /// The applicants with their data, and the panel's reviewers (with names) and recusals.
    public func applicantList(_ panel: String) async throws -> ApplicantList {
        try await call("GET", Self.panelPath(panel, "/applicants"))
    }

    // MARK: Chair

    /// Creates (admin) or replaces (chair) a panel. Returns its summary.
    public func putPanel(_ id: String, _ upload: PanelUpload) async throws -> PanelSummary {
        try await call("PUT", Self.panelPath(id), body: try encode(upload), expect: [200, 201])
    }

    /// A one-time code for a reviewer of the panel (or, by the admin, for a chair).
    public func enrol(panel: String, reviewer: String, role: PanelRole = .reviewer, ttlHours: Double? = nil) async throws -> EnrolResponse {
        try await call("POST", Self.panelPath(panel, "/enrol"),
                       body: try encode(EnrolRequest(role: role, reviewer: reviewer, ttlHours: ttlHours)), expect: [201])
    }

    public func release(panel: String) async throws -> PanelSummary {
        try await call("POST", Self.panelPath(panel, "/release"), body: Data("{}".utf8))
    }

    /// Seals the panel on the server. With `digest`, the server checks the inputs digest against its own rows
    /// (409 when they differ) and records both digests as a local seal does.
    public func seal(panel: String, digest: SealDigest? = nil) async throws -> PanelSummary {
        try await call("POST", Self.panelPath(panel, "/seal"), body: try digest.map { try encode($0) } ?? Data("{}".utf8))
    }

    /// The server's check of its own copy of a panel: its audit chain and the inputs digest of its rows now.
    public func verifyPanel(_ panel: String) async throws -> PanelVerification {
        try await call("GET", Self.panelPath(panel, "/verify"))
    }

    public func snapshot(panel: String) async throws -> WirePanelSnapshot {
        try await call("GET", Self.panelPath(panel, "/snapshot"))
    }

    public func verifyAudit() async throws -> AuditVerification {
        try await call("GET", "/v1/audit/verify")
    }

    // MARK: Sync

    /// Pushes a batch of the outbox. Safe to retry with the same changes after any failure: each change
    /// is applied exactly once and a retry returns its first outcome (`replayed`). A 403 (a change for
    /// another reviewer's sheet, or for a recused applicant) applies nothing: its ErrorBody's `refused`
    /// names the changes to drop from the outbox and report.
    public func push(panel: String, changes: [Change]) async throws -> PushResponse {
        try await call("POST", Self.panelPath(panel, "/changes"), body: try encode(PushRequest(changes: changes)))
    }

    /// One page of the change feed after `since`.
    public func pull(panel: String, since: Int64, limit: Int = 1000) async throws -> PullResponse {
        try await call("GET", Self.panelPath(panel, "/changes"),
                       query: [URLQueryItem(name: "since", value: String(since)), URLQueryItem(name: "limit", value: String(limit))])
    }

    /// Pulls every page after `since`. When the feed shows the chair's release, the other reviewers'
    /// sheets (hidden from a reviewer until then) are fetched by starting over from 0. `progress` gets
    /// the number of changes received so far.
    public func pullAll(panel: String, since: Int64, pageSize: Int = 1000,
                        progress: @Sendable (Int) -> Void = { _ in }) async throws -> (changes: [FeedChange], cursor: Int64, panel: PanelSummary?) {
        var cursor = since
        var all: [FeedChange] = []
        var restarted = false
        var last: PanelSummary?
        while true {
            let page = try await pull(panel: panel, since: cursor, limit: pageSize)
            last = page.panel
            if !restarted, since > 0, page.changes.contains(where: { $0.kind == .released }) {
                restarted = true
                cursor = 0
                all.removeAll()
                continue
            }
            all += page.changes
            cursor = page.nextCursor
            progress(all.count)
            if !page.hasMore { break }
        }
        return (all, cursor, last)
    }
}
