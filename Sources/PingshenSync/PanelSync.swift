import Foundation
import PingshenAudit
import PingshenCore
import PingshenStore
import PingshenWire

// Offline-first sync of a local panel with its server (docs/server.md, "The client's sync"): a reviewer's
// first pull creates the local copy; every sync pushes the outbox (reviewers), then pulls the change feed;
// retries ride out a server that cannot be reached; a score this device lost to another device's later write
// is reported as a conflict; a pulled seal seals the local copy with the server's digests. The command line
// renders the `SyncEvent`s this reports and decides nothing of the protocol.

/// What a sync did, for the person running it.
public enum SyncEvent: Sendable {
    /// A reviewer's first sync created the local panel (server, panel, rubric id, applicants, this device).
    case linked(server: String, panel: String, rubric: String, applicants: Int, device: String)
    /// Outbox rows sent so far (`received` false) or feed changes received so far (true).
    case progress(panel: String, received: Bool, count: Int)
    case retry(server: String, reason: String, delay: Double, attempt: Int, of: Int)
    /// One change the server refused (nothing changed there; kept in the outbox as refused).
    case refused(OutboxRow, message: String)
    case pushed(panel: String, sent: Int, applied: Int, replayed: Int, refused: Int)
    /// Changes still waiting in the outbox after the push.
    case pending(panel: String, count: Int)
    /// The chair changed the panel; the reviewer's copy was refreshed (version, values written).
    case refreshed(panel: String, version: Int64, written: Int)
    case pulled(panel: String, received: Int, summary: PullSummary, cursor: Int64)
    /// A score this device had sent was replaced by a later write from another device (last writer wins).
    case conflict(SyncConflict)
    case sealed(panel: String)
}

/// A flag set from a signal handler (SIGINT in `sync --watch`).
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    public init() {}
    public func stop() { lock.withLock { stopped = true } }
    public var isStopped: Bool { lock.withLock { stopped } }
}

/// The sync of the panels of one local database.
public struct PanelSync: Sendable {
    public let store: PanelStore
    public let credentials: CredentialStore
    public let lang: Lang
    /// Changes per push (the server takes at most 5000).
    public let batch: Int
    /// Attempts per request when the server cannot be reached.
    public let retries: Int
    /// Checks a rubric text received from the server (origin names it in messages) and returns its id.
    public let checkRubric: @Sendable (_ text: String, _ origin: String) throws -> String
    public let report: @Sendable (SyncEvent) -> Void

    public init(store: PanelStore, credentials: CredentialStore = CredentialStore(), lang: Lang, batch: Int = 500,
                retries: Int = 5, checkRubric: @escaping @Sendable (String, String) throws -> String,
                report: @escaping @Sendable (SyncEvent) -> Void) {
        self.store = store
        self.credentials = credentials
        self.lang = lang
        self.batch = min(max(batch, 1), 5000)
        self.retries = max(retries, 1)
        self.checkRubric = checkRubric
        self.report = report
    }

    // MARK: Clients and errors

    /// A client for a panel of a server, with that panel's token (else the server's admin token).
    public func client(server: String, panel: String?) throws -> PingshenSyncClient {
        try Self.client(server: server, panel: panel, credentials: credentials, lang: lang)
    }

    public static func client(server: String, panel: String?, credentials: CredentialStore, lang: Lang) throws -> PingshenSyncClient {
        let url = try serverURL(server)
        let credential: StoredCredential?
        do {
            credential = try credentials.credential(for: server, panel: panel)
        } catch {
            throw PingshenError("server.cli.credentials_failed", [credentials.file, "\(error)"])
        }
        guard let credential else {
            if let panel { throw PingshenError("server.cli.no_credentials_panel", [server, panel]) }
            if try credentials.credentials(for: server).count > 1 {
                throw PingshenError("server.cli.which_panel", [server])
            }
            throw PingshenError("server.cli.no_credentials", [server])
        }
        return PingshenSyncClient(baseURL: url, token: credential.token, language: lang.rawValue)
    }

    public static func serverURL(_ text: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme, scheme == "http" || scheme == "https", url.host != nil else {
            throw PingshenError("server.cli.bad_url", [text])
        }
        return url
    }

    /// A client error as a user-facing error, in the server's words when it sent some.
    public static func userError(_ error: any Error, server: String, lang: Lang) -> any Error {
        switch error {
        case let e as SyncClientError:
            switch e {
            case .http(let status, let body):
                let message = body.map { Catalog.has($0.error) ? Catalog.text($0.error, $0.args, lang) : $0.message } ?? ""
                return PingshenError("server.cli.http_error", [String(status), message])
            case .transport(let t):
                return PingshenError("server.cli.transport_error", [server, shortTransportText(t)])
            case .decoding(let d):
                return PingshenError("server.cli.transport_error", [server, d])
            }
        default:
            return error
        }
    }

    /// The readable part of a URLSession error (its NSLocalizedDescription), else the text as it is.
    public static func shortTransportText(_ t: String) -> String {
        let key = "NSLocalizedDescription="
        guard let r = t.range(of: key, options: .backwards) else { return t }
        let rest = t[r.upperBound...]
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        let text = rest[..<end].trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? t : text
    }

    // MARK: A reviewer's first sync

    /// Creates the local panel from the server and links it (a reviewer's first sync of the panel).
    public func firstPull(panel: String, server: String) async throws {
        let client = try self.client(server: server, panel: panel)
        let credential = try credentials.credential(for: server, panel: panel)
        guard let identity = credential?.identity, identity.role == .reviewer, let me = identity.reviewer else {
            throw PingshenError("server.sync.not_reviewer", [credential?.identity.role.rawValue ?? "-"])
        }
        let (summary, rubricText, list) = try await withRetry(server: server) {
            async let s = client.panel(panel)
            async let r = client.rubric(panel)
            async let a = client.applicantList(panel)
            return try await (s, r, a)
        }
        let rubricId = try checkRubric(rubricText.rubricYaml, "\(server) \(rubricText.rubricId)")
        let info = PanelInfo(id: panel, rubricId: rubricId, title: summary.title, round: summary.round, variant: summary.variant,
                             method: summary.method, quorum: summary.quorum, view: summary.view)
        try store.createLinkedPanel(info, server: server, role: .reviewer, identity: me, rubricYaml: rubricText.rubricYaml,
                                    panelVersion: summary.version, roster: Self.roster(list, me: me), actor: "sync")
        report(.linked(server: server, panel: panel, rubric: rubricId, applicants: list.applicants.count,
                       device: try store.deviceId()))
    }

    /// The members the server lists. An older server sends no reviewers or recusals: the reviewer's own
    /// entry and own recusals stand in for them.
    static func roster(_ list: ApplicantList, me: String) -> LinkedRoster {
        let applicants = list.applicants.map {
            LinkedApplicant(info: ApplicantInfo(id: $0.id, name: $0.name, industry: $0.industry), data: $0.data)
        }
        var reviewers = list.reviewers ?? []
        if !reviewers.contains(where: { $0.id == me }) { reviewers.append(ReviewerInfo(id: me, name: me)) }
        let recusals = list.recusals
            ?? list.applicants.filter { $0.recused == true }.map { Recusal(reviewer: me, applicant: $0.id, reason: "server") }
        return LinkedRoster(applicants: applicants, reviewers: reviewers, recusals: recusals)
    }

    // MARK: One sync of one panel

    /// One sync of one panel: push the outbox (reviewers), then pull. Returns why it did not finish, if it did
    /// not (nothing is lost then: unacknowledged changes stay in the outbox).
    public func syncOnce(_ panel: String, stop: StopFlag? = nil) async -> PingshenError? {
        let server = (try? store.syncLink(panel: panel))?.server ?? ""
        do {
            guard let link = try store.syncLink(panel: panel) else { return PingshenError("server.sync.not_linked", [panel]) }
            let client = try self.client(server: link.server, panel: panel)
            var refused = 0
            if link.role == .reviewer {
                refused = try await pushOutbox(client, link, stop: stop)
            }
            if stop?.isStopped == true { return nil }
            try await pull(client, link, fromStart: refused > 0)
            return nil
        } catch SyncClientError.http(let status, let body) where status == 401 || status == 403 {
            // The server refuses this token for the panel: nothing was applied there, and the next sync will be
            // refused the same way until the user logs in again for this panel (the outbox is kept as it is).
            let message = body.map { Catalog.has($0.error) ? Catalog.text($0.error, $0.args, lang) : $0.message } ?? ""
            return PingshenError("server.sync.denied", [panel, String(status), message, server])
        } catch {
            let e = Self.userError(error, server: server, lang: lang)
            let text = (e as? PingshenError)?.text(lang) ?? (e as? PingshenErrors)?.text(lang) ?? "\(e)"
            return PingshenError("server.sync.failed", [panel, text])
        }
    }

    /// Pulls the feed (from the start after a refusal, so that refused cells return to the server's value)
    /// and applies it; refreshes a reviewer's copy first when the chair changed the panel.
    func pull(_ client: PingshenSyncClient, _ link: SyncLink, fromStart: Bool) async throws {
        let panel = link.panel
        let report = self.report
        let cursor = fromStart ? 0 : try store.syncLink(panel: panel)?.cursor ?? link.cursor
        let pulled = try await withRetry(server: link.server) {
            try await client.pullAll(panel: panel, since: cursor, pageSize: 1000) { n in
                if n % 5000 < 1000 && n >= 5000 { report(.progress(panel: panel, received: true, count: n)) }
            }
        }
        if link.role == .reviewer, let summary = pulled.panel,
           summary.version != (try store.syncLink(panel: panel)?.panelVersion ?? link.panelVersion) {
            let (rubricText, list) = try await withRetry(server: link.server) {
                async let r = client.rubric(panel)
                async let a = client.applicantList(panel)
                return try await (r, a)
            }
            _ = try checkRubric(rubricText.rubricYaml, "\(link.server) \(rubricText.rubricId)")
            let n = try store.refreshLinkedPanel(panel: panel, title: summary.title, round: summary.round,
                                                 rubricYaml: rubricText.rubricYaml, roster: Self.roster(list, me: link.identity),
                                                 panelVersion: summary.version, actor: "sync")
            report(.refreshed(panel: panel, version: summary.version, written: n))
        }
        let s = try store.applyPulled(panel: panel, changes: pulled.changes, cursor: pulled.cursor,
                                      panelVersion: pulled.panel?.version, sealDigest: pulled.panel?.sealDigest,
                                      released: pulled.panel?.released ?? false, actor: "sync")
        report(.pulled(panel: panel, received: pulled.changes.count, summary: s, cursor: pulled.cursor))
        for c in s.conflicts { report(.conflict(c)) }
        if s.sealed { report(.sealed(panel: panel)) }
    }

    /// Sends the pending outbox in batches, recording each change's outcome; returns how many were refused.
    @discardableResult
    func pushOutbox(_ client: PingshenSyncClient, _ link: SyncLink, stop: StopFlag?) async throws -> Int {
        let panel = link.panel
        var sent = 0, applied = 0, replayed = 0, refusedCount = 0
        refusedCount += try store.settleUnsendable(panel: panel)
        while stop?.isStopped != true {
            let rows = try store.outbox(panel: panel, state: .pending, limit: batch)
            if rows.isEmpty { break }
            var outcomes: [OutboxOutcome] = []
            do {
                let response = try await withRetry(server: link.server) {
                    try await client.push(panel: panel, changes: rows.map(\.change))
                }
                for r in response.results {
                    switch r.status {
                    case .applied:
                        if r.replayed { replayed += 1 } else { applied += 1 }
                        outcomes.append(OutboxOutcome(changeId: r.changeId, state: .sent, outcome: r.replayed ? "replayed" : "applied",
                                                      serverSeq: r.seq))
                    case .refused:
                        outcomes.append(OutboxOutcome(changeId: r.changeId, state: .refused, outcome: message(r, fallback: nil),
                                                      serverSeq: r.seq))
                    }
                }
            } catch SyncClientError.http(403, let body?) where !(body.refused ?? []).isEmpty {
                // Refused as a whole: the listed changes can never be applied (another reviewer's sheet, a recusal);
                // they are settled as refused and the rest of the batch is sent again.
                for r in body.refused ?? [] {
                    outcomes.append(OutboxOutcome(changeId: r.changeId, state: .refused, outcome: message(r, fallback: body.message),
                                                  serverSeq: nil))
                }
                if !outcomes.contains(where: { o in rows.contains { $0.change.changeId == o.changeId } }) {
                    throw SyncClientError.http(status: 403, body: body)
                }
            }
            try store.settleOutbox(outcomes)
            for o in outcomes where o.state == .refused {
                refusedCount += 1
                if let row = rows.first(where: { $0.change.changeId == o.changeId }) {
                    report(.refused(row, message: o.outcome))
                }
            }
            sent += outcomes.count
            if sent / 5000 > (sent - outcomes.count) / 5000 { report(.progress(panel: panel, received: false, count: sent)) }
        }
        if sent > 0 || refusedCount > 0 {
            report(.pushed(panel: panel, sent: sent, applied: applied, replayed: replayed, refused: refusedCount))
        }
        let left = try store.outbox(panel: panel, state: .pending).count
        if left > 0 { report(.pending(panel: panel, count: left)) }
        return refusedCount
    }

    func message(_ r: ChangeResult, fallback: String?) -> String {
        r.reason.flatMap { Catalog.has($0) ? Catalog.text($0, r.args ?? [], lang) : nil } ?? r.message ?? fallback ?? r.reason ?? "?"
    }

    /// Retries a request after transport errors (no answer) with exponential backoff: 0.5 s, 1 s, 2 s… at most 8 s.
    public func withRetry<T: Sendable>(server: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        var delay = 0.5
        while true {
            do {
                return try await body()
            } catch SyncClientError.transport(let t) {
                if attempt >= retries { throw SyncClientError.transport(t) }
                report(.retry(server: server, reason: Self.shortTransportText(t), delay: delay, attempt: attempt + 1, of: retries))
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                attempt += 1
                delay = min(delay * 2, 8)
            }
        }
    }
}
