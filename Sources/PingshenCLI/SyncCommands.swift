import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PingshenCore
import PingshenReport
import PingshenRubricFormat
import PingshenStore
import PingshenSyncClient
import PingshenWire

// Offline-first sync with the panel server (issue 5): the chair's `push`, everyone's `sync`, the chair's
// `server release` / `server seal`, and `--server` on `results`, `outliers` and `export`.
// The algorithm and the conflict rule: docs/server.md, "The client's sync".

// MARK: - Wire ↔ model (the one place where the server's snapshot becomes the chair's PanelSnapshot)

extension PanelSnapshot {
    /// The chair's view of a panel from the server's snapshot.
    init(wire w: WirePanelSnapshot) {
        let p = w.panel
        let info = PanelInfo(id: p.id, rubricId: p.rubricId, title: p.title, round: p.round, variant: p.variant,
                             method: p.method, quorum: p.quorum, view: p.view, sealedAt: p.sealedAt, sealedBy: p.sealedBy)
        var data: [String: ApplicantData] = [:]
        for a in w.applicants { data[a.id] = ApplicantData(values: a.data, industry: a.industry) }
        self.init(panel: info, reviewers: w.reviewers.map { ReviewerInfo(id: $0.id, name: $0.name) },
                  applicants: w.applicants.map { ApplicantInfo(id: $0.id, name: $0.name, industry: $0.industry) },
                  data: data,
                  sheets: w.sheets.map { SheetRecord(reviewer: $0.reviewer, applicant: $0.applicant, round: $0.round,
                                                     points: $0.points, notes: $0.notes, submitted: $0.submitted) },
                  recusals: w.recusals.map { Recusal(reviewer: $0.reviewer, applicant: $0.applicant, reason: $0.reason) })
    }
}

extension PulledChange {
    init(wire c: ServerChange) {
        self.init(seq: c.seq, changeId: c.changeId, kind: c.kind.rawValue, device: c.device, reviewer: c.reviewer,
                  applicant: c.applicant, round: c.round, leaf: c.leaf, value: c.value, note: c.note, reason: c.reason,
                  receivedAt: c.receivedAt)
    }
}

extension Change {
    init?(outbox e: OutboxEntry) {
        guard let kind = ChangeKind(rawValue: e.kind) else { return nil }
        self.init(changeId: e.changeId, device: e.device, kind: kind, reviewer: e.reviewer, applicant: e.applicant,
                  round: e.round, leaf: e.leaf, value: e.value, note: e.note, reason: e.reason, clientTime: e.clientTime)
    }
}

extension Env {
    /// A rubric received as text from a server.
    func rubric(text: String, origin: String) throws -> Rubric {
        switch RubricLoader.parse(text, file: origin, config: config) {
        case .success(let r): return r.rubric
        case .failure(let e): throw PingshenError("server.sync.rubric_invalid", [origin, e.text(lang)])
        }
    }

    /// A panel's rubric: the text received from the server for a panel a reviewer synced, else the rubric directory's.
    func panelRubric(_ store: PanelStore, _ panel: PanelInfo) throws -> Rubric {
        if let link = try store.syncLink(panel: panel.id), let yaml = link.rubricYaml {
            return try rubric(text: yaml, origin: "\(link.server) \(panel.rubricId)")
        }
        return try rubric(panel.rubricId).rubric
    }
}

/// `--server URL` on the chair's read commands: read the panel from the server instead of the local database.
struct RemoteOption: ParsableArguments {
    @Option(name: .long, help: "Read the panel from this server (chair's token from pingshen login) instead of the local database.")
    var server: String?
}

extension Env {
    /// Results of a panel, from the local database or (with --server) from the server's snapshot; with the seal's time.
    func chairResults(_ remote: RemoteOption, _ panel: String, _ o: AggregateOptions) throws
        -> (results: PanelResults, rubric: Rubric, sealedAt: String?) {
        guard let server = remote.server else {
            let store = try openStore()
            let (results, rubric) = try panelResults(store, panel, o)
            return (results, rubric, try store.sealInfo(panel: panel)?.at)
        }
        let client = try PingshenServerCommands.client(server, env: self)
        let lang = self.lang
        let wire = try runBlocking {
            do {
                return try await client.snapshot(panel: panel)
            } catch {
                throw PingshenServerCommands.userError(error, server: server, lang: lang)
            }
        }
        let rubric = try rubric(text: wire.rubricYaml, origin: "\(server) \(wire.panel.rubricId)")
        if rubric.id != wire.panel.rubricId {
            throw PingshenError("server.remote.rubric_mismatch", [panel, wire.panel.rubricId, rubric.id])
        }
        let method = try o.method.map { try AggregationMethod.parse($0) }
        let results = try aggregatePanel(PanelSnapshot(wire: wire), rubric, config: config, round: o.round, method: method)
        return (results, rubric, wire.panel.sealedAt)
    }
}

/// The readable part of a URLSession error (its NSLocalizedDescription), else the text as it is.
func shortTransportText(_ t: String) -> String {
    let key = "NSLocalizedDescription="
    guard let r = t.range(of: key, options: .backwards) else { return t }
    let rest = t[r.upperBound...]
    let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
    let text = rest[..<end].trimmingCharacters(in: .whitespaces)
    return text.isEmpty ? t : text
}

// MARK: - pingshen push

/// `pingshen push PANEL --server URL`: the chair uploads the local panel and links it.
struct PushCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Upload a local panel (rubric, reviewers, applicants, verified data, recusals) to the server (chair).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .long, help: "Server URL, e.g. http://127.0.0.1:8080.") var server: String

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let info = try store.panel(panel)
        let link = try store.syncLink(panel: panel)
        if let link, CredentialStore.key(link.server) != CredentialStore.key(server) {
            throw PingshenError("server.sync.other_server", [panel, link.server, server])
        }
        let rubricYaml: String
        if let yaml = link?.rubricYaml {
            rubricYaml = yaml
        } else {
            _ = try env.rubric(info.rubricId)   // checks the file first, with its own messages
            rubricYaml = try Env.readText("\(env.rubricsDir)/\(info.rubricId).yaml")
        }
        let data = try store.allData(panel: panel)
        let applicants = try store.applicants(panel: panel).map {
            WireApplicant(id: $0.id, name: $0.name, industry: $0.industry, data: data[$0.id]?.values ?? [:])
        }
        let reviewers = try store.reviewers(panel: panel).map { WireReviewer(id: $0.id, name: $0.name) }
        let recusals = try store.recusals(panel: panel).map { WireRecusal(reviewer: $0.reviewer, applicant: $0.applicant, reason: $0.reason) }
        let upload = PanelUpload(title: info.title, round: info.round, rubricId: info.rubricId, rubricYaml: rubricYaml,
                                 variant: info.variant, method: info.method, quorum: info.quorum, view: info.view,
                                 reviewers: reviewers, applicants: applicants, recusals: recusals)
        let client = try PingshenServerCommands.client(server, env: env)
        let identity = try CredentialStore().credential(for: server)?.identity
        let (panel, server, lang) = (self.panel, self.server, env.lang)
        let summary = try runBlocking {
            do {
                return try await client.putPanel(panel, upload)
            } catch {
                throw PingshenServerCommands.userError(error, server: server, lang: lang)
            }
        }
        try store.link(panel: panel, server: server, role: identity?.role.rawValue ?? "chair",
                       identity: identity?.reviewer ?? "chair", panelVersion: summary.version)
        Console.out(env.t("server.push.done", panel, server, String(reviewers.count), String(applicants.count),
                          String(recusals.count), String(summary.version)))
    }
}

// MARK: - pingshen server release / seal

struct ServerRelease: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Let the panel's reviewers see each other's scores (chair).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .long, help: "Server URL.") var server: String

    func execute(_ env: Env) throws {
        let client = try PingshenServerCommands.client(server, env: env)
        let (panel, server, lang) = (self.panel, self.server, env.lang)
        _ = try runBlocking {
            do { return try await client.release(panel: panel) } catch {
                throw PingshenServerCommands.userError(error, server: server, lang: lang)
            }
        }
        Console.out(env.t("server.release.done", panel))
    }
}

struct ServerSeal: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal", abstract: "Seal the panel on the server: every later change is refused (chair).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .long, help: "Server URL.") var server: String

    func execute(_ env: Env) throws {
        let client = try PingshenServerCommands.client(server, env: env)
        let (panel, server, lang) = (self.panel, self.server, env.lang)
        let s = try runBlocking {
            do { return try await client.seal(panel: panel) } catch {
                throw PingshenServerCommands.userError(error, server: server, lang: lang)
            }
        }
        Console.out(env.t("server.seal.done", panel, s.sealedAt ?? "-", s.sealedBy ?? "-"))
    }
}

// MARK: - pingshen sync

/// A flag set from a signal handler (SIGINT in --watch).
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    func stop() { lock.lock(); stopped = true; lock.unlock() }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
}

/// Prints a progress line each time a count passes another multiple of `every`.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var shown = 0
    let every: Int
    let line: @Sendable (Int) -> String
    init(every: Int, line: @escaping @Sendable (Int) -> String) {
        self.every = every
        self.line = line
    }

    func update(_ n: Int) {
        lock.lock()
        defer { lock.unlock() }
        if n / every > shown / every {
            shown = n
            Console.err(line(n))
        }
    }
}

struct SyncCommand: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send the outbox of local changes to the server, then receive what changed there (offline-first).",
        discussion: """
            The first `sync --server URL PANEL` on a reviewer's device creates the local panel from the server. Later
            runs need no URL. Without PANEL every linked panel of the database is synced.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id (default: every panel linked to a server).") var panel: String?
    @Option(name: .long, help: "Server URL (needed for a reviewer's first sync of a panel).") var server: String?
    @Flag(name: .long, help: "Keep syncing every --interval seconds until interrupted (Ctrl-C).") var watch = false
    @Option(name: .long, help: "Seconds between syncs with --watch (default 30).") var interval: Double = 30
    @Option(name: .long, help: "Changes per push (default 500; the server takes at most 5000).") var batch = 500
    @Option(name: .long, help: "Attempts per request when the server cannot be reached (default 5).") var retries = 5
    @Flag(name: .long, help: "List the changes the server refused, and exit.") var refused = false

    func execute(_ env: Env) throws {
        guard interval.isFinite, interval >= 1, interval <= 86400 else {
            throw PingshenError("server.sync.bad_interval", [String(interval)])
        }
        let batch = min(max(self.batch, 1), 5000)
        if refused { return try listRefused(env) }
        let store: PanelStore
        if let panel, let server {
            store = try env.openStore(create: true)
            if try store.syncLink(panel: panel) == nil {
                if (try? store.panel(panel)) != nil { throw PingshenError("server.sync.local_unlinked", [panel]) }
                try firstPull(env, store, panel: panel, server: server)
            }
        } else {
            store = try env.openStore(create: server != nil)
        }
        var links = try store.syncLinks()
        // A reviewer's first `sync --server URL` without a panel: the panel of the token.
        if panel == nil, let server, links.isEmpty,
           let own = try CredentialStore().credential(for: server)?.identity, own.role == .reviewer, let ownPanel = own.panel {
            if (try? store.panel(ownPanel)) != nil { throw PingshenError("server.sync.local_unlinked", [ownPanel]) }
            try firstPull(env, store, panel: ownPanel, server: server)
            links = try store.syncLinks()
        }
        if let panel {
            guard let link = links.first(where: { $0.panel == panel }) else { throw PingshenError("server.sync.not_linked", [panel]) }
            links = [link]
        }
        if let server {
            for l in links where CredentialStore.key(l.server) != CredentialStore.key(server) {
                throw PingshenError("server.sync.other_server", [l.panel, l.server, server])
            }
        }
        if links.isEmpty { throw PingshenError("server.sync.no_links") }
        let runner = SyncRunner(env: env, store: store, batch: batch, retries: max(retries, 1))

        guard watch else {
            var failures: [PingshenError] = []
            for link in links {
                if let e = runner.syncOnce(link.panel, stop: nil) { failures.append(e) }
            }
            if !failures.isEmpty { throw PingshenErrors(failures) }
            return
        }
        // --watch: SIGINT ends the loop after the step in progress (an interrupted push is safe anyway).
        let stop = StopFlag()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { stop.stop() }
            s.resume()
            return s
        }
        Console.err(env.t("server.sync.watching", formatNumber(interval)))
        while !stop.isStopped {
            for link in links where !stop.isStopped {
                if let e = runner.syncOnce(link.panel, stop: stop) { Console.err(e.text(env.lang)) }
            }
            let until = Date().addingTimeInterval(interval)
            while !stop.isStopped && Date() < until { Thread.sleep(forTimeInterval: 0.1) }
        }
        sources.forEach { $0.cancel() }
        Console.err(env.t("server.sync.stopped"))
    }

    func listRefused(_ env: Env) throws {
        let store = try env.openStore()
        let panels = try panel.map { [$0] } ?? store.syncLinks().map(\.panel)
        for p in panels {
            let rows = try store.outbox(panel: p, state: "refused")
            if rows.isEmpty { Console.out(env.t("server.sync.no_refused", p)) }
            for e in rows { Console.out(SyncRunner.refusedLine(env, e, message: e.outcome ?? "")) }
        }
    }

    /// A reviewer's first sync of a panel: creates the local panel from the server and links it.
    func firstPull(_ env: Env, _ store: PanelStore, panel: String, server: String) throws {
        let client = try PingshenServerCommands.client(server, env: env)
        let credential = try CredentialStore().credential(for: server)
        guard let identity = credential?.identity, identity.role == .reviewer, let me = identity.reviewer else {
            throw PingshenError("server.sync.not_reviewer", [credential?.identity.role.rawValue ?? "-"])
        }
        let lang = env.lang
        let (summary, rubricText, applicants) = try runBlocking {
            do {
                async let s = client.panel(panel)
                async let r = client.rubric(panel)
                async let a = client.applicants(panel)
                return try await (s, r, a)
            } catch {
                throw PingshenServerCommands.userError(error, server: server, lang: lang)
            }
        }
        let rubric = try env.rubric(text: rubricText.rubricYaml, origin: "\(server) \(rubricText.rubricId)")
        let info = PanelInfo(id: panel, rubricId: rubric.id, title: summary.title, round: summary.round, variant: summary.variant,
                             method: summary.method, quorum: summary.quorum, view: summary.view)
        let recusals = applicants.filter { $0.recused == true }.map { Recusal(reviewer: me, applicant: $0.id, reason: "server") }
        try store.createLinkedPanel(info, server: server, role: "reviewer", identity: me, rubricYaml: rubricText.rubricYaml,
                                    panelVersion: summary.version, reviewers: [ReviewerInfo(id: me, name: me)],
                                    applicants: applicants.map {
                                        LinkedApplicant(info: ApplicantInfo(id: $0.id, name: $0.name, industry: $0.industry), data: $0.data)
                                    },
                                    recusals: recusals, actor: "sync")
        Console.err(env.t("server.sync.linked", server, panel, rubric.id, String(applicants.count), try store.deviceId()))
    }

}

/// One sync run's settings; Sendable, so that its steps run on the concurrency pool.
struct SyncRunner: Sendable {
    let env: Env
    let store: PanelStore
    let batch: Int
    let retries: Int

    /// One sync of one panel: push the outbox, then pull. Returns the reason it did not finish (nothing is lost then).
    func syncOnce(_ panel: String, stop: StopFlag?) -> PingshenError? {
        do {
            guard let link = try store.syncLink(panel: panel) else { return PingshenError("server.sync.not_linked", [panel]) }
            let client = try PingshenServerCommands.client(link.server, env: env)
            let lang = env.lang
            let server = link.server
            try runBlocking {
                var refused = 0
                if link.role == "reviewer" {
                    refused = try await pushOutbox(client, link, stop: stop)
                }
                if stop?.isStopped == true { return }
                let progress = ProgressPrinter(every: 5000) { n in
                    Catalog.text("server.sync.progress", [panel, lang == .en ? "received" : "已接收", String(n)], lang)
                }
                // After a refusal the whole visible feed is pulled again, so that refused cells return to the
                // server's value (the refused value stays listed in the outbox: sync --refused).
                let cursor = refused > 0 ? 0 : try store.syncLink(panel: panel)?.cursor ?? link.cursor
                let pulled = try await withRetry(server: server, retries: retries, lang: lang) {
                    try await client.pullAll(panel: panel, since: cursor, pageSize: 1000) { progress.update($0) }
                }
                // The chair changed the panel since the last sync (panel_updated): refresh the reviewer's copy first,
                // so that new applicants and a new round are known when the pulled sheets are applied.
                if link.role == "reviewer", let summary = pulled.panel,
                   summary.version != (try store.syncLink(panel: panel)?.panelVersion ?? link.panelVersion) {
                    let (rubricText, applicants) = try await withRetry(server: server, retries: retries, lang: lang) {
                        async let r = client.rubric(panel)
                        async let a = client.applicants(panel)
                        return try await (r, a)
                    }
                    _ = try env.rubric(text: rubricText.rubricYaml, origin: "\(server) \(rubricText.rubricId)")
                    let n = try store.refreshLinkedPanel(
                        panel: panel, title: summary.title, round: summary.round, rubricYaml: rubricText.rubricYaml,
                        applicants: applicants.map { LinkedApplicant(info: ApplicantInfo(id: $0.id, name: $0.name, industry: $0.industry),
                                                                     data: $0.data) },
                        reviewer: link.identity, recused: Set(applicants.filter { $0.recused == true }.map(\.id)),
                        panelVersion: summary.version, actor: "sync")
                    Console.err(Catalog.text("server.sync.refreshed", [panel, String(summary.version), String(n)], lang))
                }
                let s = try store.applyPulled(panel: panel, changes: pulled.changes.map(PulledChange.init(wire:)),
                                              cursor: pulled.cursor, panelVersion: pulled.panel?.version, actor: "sync")
                Console.err(Catalog.text("server.sync.pulled", [panel, String(pulled.changes.count), String(s.written),
                                                                String(s.unchanged), String(s.keptLocal), String(s.unknown),
                                                                String(pulled.cursor)], lang))
                if s.sealed { Console.err(Catalog.text("server.sync.sealed", [panel], lang)) }
            }
            return nil
        } catch {
            let e = PingshenServerCommands.userError(error, server: (try? store.syncLink(panel: panel))?.server ?? "", lang: env.lang)
            let text = (e as? PingshenError)?.text(env.lang) ?? (e as? PingshenErrors)?.text(env.lang) ?? "\(e)"
            return PingshenError("server.sync.failed", [panel, text])
        }
    }

    /// Sends the pending outbox in batches, recording each change's outcome; refused changes are reported.
    @discardableResult
    func pushOutbox(_ client: PingshenSyncClient, _ link: SyncLink, stop: StopFlag?) async throws -> Int {
        let panel = link.panel
        let lang = env.lang
        var sent = 0, applied = 0, replayed = 0, refusedCount = 0
        let progress = ProgressPrinter(every: 5000) { n in
            Catalog.text("server.sync.progress", [panel, lang == .en ? "sent" : "已发送", String(n)], lang)
        }
        while stop?.isStopped != true {
            let rows = try store.outbox(panel: panel, state: "pending", limit: batch)
            if rows.isEmpty { break }
            let changes = rows.compactMap(Change.init(outbox:))
            // A row this version cannot send (written by a newer one) is settled as refused rather than retried forever.
            var outcomes: [OutboxOutcome] = rows.filter { ChangeKind(rawValue: $0.kind) == nil }.map {
                OutboxOutcome(changeId: $0.changeId, refused: true, outcome: "unknown kind \($0.kind)", serverSeq: nil)
            }
            do {
                let response = changes.isEmpty ? PushResponse(results: []) : try await withRetry(server: link.server, retries: retries, lang: lang) {
                    try await client.push(panel: panel, changes: changes)
                }
                for r in response.results {
                    switch r.status {
                    case .applied:
                        if r.replayed { replayed += 1 } else { applied += 1 }
                        outcomes.append(OutboxOutcome(changeId: r.changeId, refused: false, outcome: r.replayed ? "replayed" : "applied",
                                                      serverSeq: r.seq))
                    case .refused:
                        let message = r.reason.flatMap { Catalog.has($0) ? Catalog.text($0, r.args ?? [], lang) : nil }
                            ?? r.message ?? r.reason ?? "?"
                        outcomes.append(OutboxOutcome(changeId: r.changeId, refused: true, outcome: message, serverSeq: r.seq))
                    }
                }
            } catch SyncClientError.http(403, let body?) where !(body.refused ?? []).isEmpty {
                // Refused as a whole: the listed changes can never be applied (another reviewer's sheet, a recusal);
                // they are settled as refused and the rest of the batch is sent again.
                for r in body.refused ?? [] {
                    let message = r.reason.flatMap { Catalog.has($0) ? Catalog.text($0, r.args ?? [], lang) : nil }
                        ?? r.message ?? body.message
                    outcomes.append(OutboxOutcome(changeId: r.changeId, refused: true, outcome: message, serverSeq: nil))
                }
                if !outcomes.contains(where: { o in rows.contains { $0.changeId == o.changeId } }) {
                    throw SyncClientError.http(status: 403, body: body)
                }
            }
            try store.settleOutbox(outcomes)
            for o in outcomes where o.refused {
                refusedCount += 1
                if let e = rows.first(where: { $0.changeId == o.changeId }) {
                    Console.err(Self.refusedLine(env, e, message: o.outcome))
                }
            }
            sent += outcomes.count
            progress.update(sent)
        }
        if sent > 0 {
            Console.err(env.t("server.sync.pushed", panel, String(sent), String(applied), String(replayed), String(refusedCount)))
        }
        if refusedCount > 0 { Console.err(env.t("server.sync.refused_note", panel)) }
        let left = try store.outbox(panel: panel, state: "pending").count
        if left > 0 { Console.err(env.t("server.sync.pending", panel, String(left))) }
        return refusedCount
    }

    /// Retries a request after transport errors (no answer) with exponential backoff: 0.5 s, 1 s, 2 s… at most 8 s.
    func withRetry<T: Sendable>(server: String, retries: Int, lang: Lang, _ body: () async throws -> T) async throws -> T {
        var attempt = 1
        var delay = 0.5
        while true {
            do {
                return try await body()
            } catch SyncClientError.transport(let t) {
                if attempt >= retries { throw SyncClientError.transport(t) }
                Console.err(Catalog.text("server.sync.retry", [server, shortTransportText(t), formatNumber(delay), String(attempt + 1), String(retries)], lang))
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                attempt += 1
                delay = min(delay * 2, 8)
            }
        }
    }

    static func refusedLine(_ env: Env, _ e: OutboxEntry, message: String) -> String {
        let local: String
        switch e.kind {
        case "set_points": local = e.value.map { formatNumber($0) } ?? "—"
        case "set_note": local = e.note ?? ""
        case "clear_points": local = "—"
        default: local = e.reason ?? e.kind
        }
        return env.t("server.sync.refused", e.panel, e.kind, e.reviewer, e.applicant, e.leaf ?? "", local, message)
    }
}
