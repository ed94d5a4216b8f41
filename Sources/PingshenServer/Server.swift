import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import PingshenCore
import PingshenRubricFormat
import PingshenWire
import ServiceLifecycle

/// How a server runs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (the running server reports it).
    public var port = 8080
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// Largest request body; a larger one gets 413.
    public var maxBodyBytes = 8 * 1024 * 1024
    /// A request body must arrive within this time (408 otherwise): a stalled client frees its slot.
    public var bodyTimeout: Duration = .seconds(30)
    /// A connection with no request in progress is closed after this time (slow or idle clients).
    public var idleTimeout: Duration = .seconds(60)
    /// Lifetime of enrolment codes (default 72 hours) and of tokens (default 90 days).
    public var codeTTL: TimeInterval = 72 * 3600
    public var tokenTTL: TimeInterval = 90 * 24 * 3600
    /// Code exchanges allowed per client address per minute (429 beyond).
    public var exchangesPerMinute = 10
    public var maxChangesPerPush = 5000
    public var maxPullLimit = 5000

    public init() {}
}

/// The server's clock. Tests move it forward to expire codes and tokens; it is otherwise the system clock.
public final class ServerClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offset: TimeInterval = 0
    public init() {}
    public func now() -> Date {
        lock.lock()
        defer { lock.unlock() }
        return Date().addingTimeInterval(offset)
    }
    public func advance(by seconds: TimeInterval) {
        lock.lock()
        offset += seconds
        lock.unlock()
    }
}

/// The request context: Hummingbird's, plus the client's address (for the exchange rate limit and logs).
public struct PanelRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteIP: String
    /// The caller, set by `AuthMiddleware` on every route that needs a token.
    public var principal: Principal?
    public var maxUploadSize: Int { 8 * 1024 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        if let address = source.channel.remoteAddress {
            remoteIP = address.ipAddress ?? address.description
        } else {
            remoteIP = "unknown"
        }
    }
}

/// Code exchanges per address in a sliding minute.
final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var hits: [String: [Date]] = [:]
    let limit: Int
    let window: TimeInterval

    init(limit: Int, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// nil when allowed (and counted); else the seconds until the next attempt is allowed.
    func attempt(_ key: String, now: Date) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        var list = (hits[key] ?? []).filter { now.timeIntervalSince($0) < window }
        if list.count >= limit {
            hits[key] = list
            let first = list.first ?? now
            return max(1, Int((window - now.timeIntervalSince(first)).rounded(.up)))
        }
        list.append(now)
        hits[key] = list
        if hits.count > 10_000 { hits = hits.filter { !$0.value.isEmpty } }
        return nil
    }
}

/// Known tokens for a short while (a token's identity never changes; expiry is checked on every request),
/// so that most requests need no database read to authenticate. Unknown tokens are not cached.
final class PrincipalCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [String: (principal: Principal, until: Date)] = [:]
    let ttl: TimeInterval = 30

    func lookup(_ hash: String, now: Date, storage: any ServerStorage) async throws -> Principal? {
        if let hit = cached(hash, now: now) { return hit }
        guard let p = try await storage.principal(tokenHash: hash) else { return nil }
        remember(hash, p, until: now.addingTimeInterval(ttl))
        return p
    }

    private func cached(_ hash: String, now: Date) -> Principal? {
        lock.withLock { cache[hash].flatMap { $0.until > now ? $0.principal : nil } }
    }

    private func remember(_ hash: String, _ p: Principal, until: Date) {
        lock.withLock {
            if cache.count > 10_000 { cache.removeAll() }
            cache[hash] = (p, until)
        }
    }
}

/// The service group of a running server (for `shutdown`).
final class RunningGroup: @unchecked Sendable {
    private let lock = NSLock()
    private var group: ServiceGroup?
    func set(_ g: ServiceGroup?) { lock.withLock { group = g } }
    func get() -> ServiceGroup? { lock.withLock { group } }
}

/// Parsed rubrics by panel version.
final class RubricCache: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [String: RubricLeaves] = [:]

    func leaves(_ panel: PanelRecord) throws -> RubricLeaves {
        let key = "\(panel.summary.id)@\(panel.summary.version)"
        lock.lock()
        if let hit = cache[key] {
            lock.unlock()
            return hit
        }
        lock.unlock()
        let rubric = try PanelServer.parseRubric(panel.rubricYaml, id: panel.summary.rubricId, file: "panel \(panel.summary.id)")
        let leaves = RubricLeaves(rubric: rubric)
        lock.lock()
        if cache.count > 256 { cache.removeAll() }
        cache[key] = leaves
        lock.unlock()
        return leaves
    }
}

/// The shared panel server: the HTTP API of docs/openapi.yaml over a `ServerStorage`.
public final class PanelServer: Sendable {
    public let storage: any ServerStorage
    public let configuration: ServerConfiguration
    public let clock: ServerClock
    let logger: Logger
    let limiter: RateLimiter
    let rubrics = RubricCache()
    let principals = PrincipalCache()
    let running = RunningGroup()

    public init(storage: any ServerStorage, configuration: ServerConfiguration = ServerConfiguration(),
                clock: ServerClock = ServerClock(), logger: Logger? = nil) {
        self.storage = storage
        self.configuration = configuration
        self.clock = clock
        self.logger = logger ?? PanelServer.defaultLogger()
        self.limiter = RateLimiter(limit: configuration.exchangesPerMinute)
    }

    /// A logger writing to standard error (LOG_LEVEL sets the level; default info).
    public static func defaultLogger() -> Logger {
        var l = Logger(label: "pingshen.server") { StreamLogHandler.standardError(label: $0) }
        l.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return l
    }

    // MARK: Bootstrap

    /// Creates (or upgrades) the store and returns a fresh one-time code for the admin chair.
    public static func initialize(storage: any ServerStorage, adminName: String = "chair", codeTTL: TimeInterval = 72 * 3600,
                                  now: Date = Date()) async throws -> (code: String, expiresAt: Date) {
        try await storage.migrate()
        let code = Secrets.enrolmentCode()
        let expires = now.addingTimeInterval(codeTTL)
        try await storage.addEnrolment(EnrolmentRecord(codeHash: Secrets.codeHash(code), role: .admin, panel: nil,
                                                       reviewer: adminName, expiresAt: expires),
                                       actor: "server-init", now: now)
        return (code, expires)
    }

    static func parseRubric(_ yaml: String, id: String, file: String) throws -> Rubric {
        // Grade bands that a rubric takes from the chair's Config/ do not matter to the server (it checks
        // points against leaves; the chair grades): a neutral band stands in for them.
        let config = PingshenConfig(gradeBands: [id: GradeBandSet(bands: [GradeBand(name: "-", min: 0)], provisional: true, note: nil)])
        switch RubricLoader.parse(yaml, file: file, config: config) {
        case .success(let loaded): return loaded.rubric
        case .failure(let errors): throw errors
        }
    }

    // MARK: Router

    /// Every route of the API (the OpenAPI test compares this list with docs/openapi.yaml). HEAD is answered
    /// wherever GET is (the router generates it); a method a path does not have gets 405 with `Allow`.
    public func makeRouter() -> Router<PanelRequestContext> {
        let router = Router(context: PanelRequestContext.self, options: .autoGenerateHeadEndpoints)
        let table = RouteTable()
        router.add(middleware: ErrorMiddleware(logger: logger, routes: table))
        let api = APIHandlers(server: self)
        // Public: no token.
        router.get("/v1/health") { r, c in try await api.health(r, c) }
        router.post("/v1/auth/exchange") { r, c in try await api.exchange(r, c) }
        // Everything else: the caller is authenticated by the middleware before the handler runs.
        let authed = router.group().add(middleware: AuthMiddleware(server: self))
        authed.get("/v1/me") { r, c in try await api.me(r, c) }
        authed.get("/v1/panels") { r, c in try await api.listPanels(r, c) }
        authed.put("/v1/panels/:panel") { r, c in try await api.putPanel(r, c) }
        authed.get("/v1/panels/:panel") { r, c in try await api.getPanel(r, c) }
        authed.post("/v1/panels/:panel/enrol") { r, c in try await api.enrol(r, c) }
        authed.post("/v1/panels/:panel/release") { r, c in try await api.release(r, c) }
        authed.post("/v1/panels/:panel/seal") { r, c in try await api.seal(r, c) }
        authed.get("/v1/panels/:panel/snapshot") { r, c in try await api.snapshot(r, c) }
        authed.get("/v1/panels/:panel/rubric") { r, c in try await api.rubric(r, c) }
        authed.get("/v1/panels/:panel/applicants") { r, c in try await api.applicants(r, c) }
        authed.post("/v1/panels/:panel/changes") { r, c in try await api.push(r, c) }
        authed.get("/v1/panels/:panel/changes") { r, c in try await api.pull(r, c) }
        authed.get("/v1/panels/:panel/verify") { r, c in try await api.verifyPanel(r, c) }
        authed.get("/v1/audit/verify") { r, c in try await api.verifyAudit(r, c) }
        table.set(router.routes.map { ($0.method, $0.path.description) })
        return router
    }

    /// The caller of a request, from its bearer token: 401 when missing, malformed, unknown or expired.
    func authenticate(_ request: Request) async throws -> Principal {
        guard let header = request.headers[.authorization] else { throw APIError(401, "server.auth.missing") }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError(401, "server.auth.scheme")
        }
        guard let p = try await principals.lookup(Secrets.tokenHash(String(parts[1])), now: clock.now(), storage: storage) else {
            throw APIError(401, "server.auth.invalid")
        }
        if p.expiresAt <= clock.now() { throw APIError(401, "server.auth.expired", [WireCoding.timestamp(p.expiresAt)]) }
        return p
    }

    /// The routes as "METHOD /path/{param}" (OpenAPI's path syntax).
    public func routeList() -> [String] {
        makeRouter().routes.map { route in
            let path = route.path.description.split(separator: "/").map { part -> String in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) /\(path)"
        }.sorted()
    }

    // MARK: Running

    /// Runs the server until the task is cancelled (tests) or, with `handleSignals`, until SIGINT/SIGTERM.
    /// `onRunning` receives the bound port.
    public func run(handleSignals: Bool = false, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await storage.migrate()
        let http1 = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(configuration.idleTimeout.nanosecondsClamped))
        let builder: HTTPServerBuilder
        if let cert = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            builder = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
        } else {
            builder = .http1(configuration: http1)
        }
        let app = Application(router: makeRouter(), server: builder,
                              configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                   serverName: "pingshen"),
                              onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
                              logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app],
                                                      gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                                                      logger: logger))
        running.set(group)
        try await group.run()
        running.set(nil)
    }

    /// Stops a running server gracefully: no new connections; requests in progress finish.
    public func shutdown() async {
        await running.get()?.triggerGracefulShutdown()
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}

/// Authenticates the caller from the bearer token and puts the `Principal` into the request context; a
/// request without a valid token ends here with 401 (logged by `ErrorMiddleware`).
struct AuthMiddleware: RouterMiddleware {
    typealias Context = PanelRequestContext
    let server: PanelServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.principal = try await server.authenticate(request)
        return try await next(request, context)
    }
}

/// The registered routes as (method, path template), for the 405 answer's `Allow` header.
final class RouteTable: @unchecked Sendable {
    private let lock = NSLock()
    private var routes: [(method: HTTPRequest.Method, segments: [Substring])] = []

    func set(_ list: [(HTTPRequest.Method, String)]) {
        lock.withLock { routes = list.map { ($0.0, $0.1.split(separator: "/")) } }
    }

    /// The methods registered for the routes that match `path` (HEAD wherever GET is), sorted.
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        var out = Set<String>()
        for r in lock.withLock({ routes }) where r.segments.count == parts.count {
            if zip(r.segments, parts).allSatisfy({ $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }) {
                out.insert(r.method.rawValue)
                if r.method == .get { out.insert("HEAD") }
            }
        }
        return out.sorted()
    }
}

/// Turns every error into a JSON ErrorBody with its status; logs 401 and 403 (with the address and path)
/// and server faults. A path that exists with other methods answers 405 with `Allow`.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = PanelRequestContext
    let logger: Logger
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let lang = requestLang(request)
        do {
            return try await next(request, context)
        } catch let e as APIError {
            if e.status == 401 || e.status == 403 || e.status == 429 {
                logger.warning("\(e.status) \(request.method.rawValue) \(request.uri.path) from \(context.remoteIP): \(e.key) \(e.args.joined(separator: " "))")
            }
            let refused = e.refused?.map { r -> ChangeResult in
                var r = r
                r.message = r.reason.map { Catalog.text($0, r.args ?? [], lang) }
                return r
            }
            var headers: HTTPFields = [:]
            if e.status == 429, let s = e.args.first { headers[.retryAfter] = s }
            // The rest of an unread body is not worth reading: close the connection after the answer.
            if e.status == 408 || e.status == 413 || e.key == "server.body_incomplete" { headers[.connection] = "close" }
            return jsonResponse(ErrorBody(error: e.key, args: e.args, message: Catalog.text(e.key, e.args, lang), refused: refused),
                                status: .init(code: e.status), headers: headers)
        } catch let e as PingshenErrors {
            let first = e.errors.first ?? PingshenError("server.bad_request", [])
            return jsonResponse(ErrorBody(error: first.key, args: first.args, message: e.text(lang)), status: .unprocessableContent)
        } catch let e as PingshenError {
            return jsonResponse(ErrorBody(error: e.key, args: e.args, message: e.text(lang)), status: .unprocessableContent)
        } catch let e as HTTPError {
            var status = e.status
            var headers: HTTPFields = [:]
            if status.code == 404 || status.code == 405 {
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    status = .methodNotAllowed
                    headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            let key: String
            switch status.code {
            case 404: key = "server.not_found"
            case 405: key = "server.method"
            case 413: key = "server.too_large"
            default: key = "server.bad_request"
            }
            let args = key == "server.not_found" ? [request.uri.path] : []
            let response = jsonResponse(ErrorBody(error: key, args: args, message: Catalog.text(key, args, lang)),
                                        status: status, headers: headers)
            return request.method == .head ? response.createHeadResponse() : response
        } catch {
            logger.error("500 \(request.method.rawValue) \(request.uri.path): \(String(reflecting: error))")
            return jsonResponse(ErrorBody(error: "server.internal", args: [], message: Catalog.text("server.internal", [], lang)),
                                status: .internalServerError)
        }
    }
}

func requestLang(_ request: Request) -> Lang {
    let accept = request.headers[.acceptLanguage]?.lowercased() ?? ""
    return accept.hasPrefix("en") ? .en : .zh
}

func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    let data = (try? WireCoding.encoder().encode(value)) ?? Data("{}".utf8)
    var h = headers
    h[.contentType] = "application/json; charset=utf-8"
    return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
