import ArgumentParser
import Foundation
import PingshenAudit
import PingshenCore
import PingshenRubricFormat
import PingshenStore

// The expert pool, the verifiable draw and the assignment (issue 11; docs/statistics.md §8–9).

// MARK: - pool

struct PoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "The expert pool (专家库): import it from CSV or YAML, list it.",
        subcommands: [PoolImport.self, PoolList.self])
}

struct PoolImport: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import experts from a CSV (UTF-8, with or without BOM; English or Chinese headers) or YAML file; all or nothing.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Pool file: .csv, or .yaml/.yml.") var file: String
    @Option(help: "Allowed kinds, separated by , or ； (default: any).") var kinds: String?

    func execute(_ env: Env) throws {
        guard let raw = FileManager.default.contents(atPath: file) else { throw PingshenError("cli.file_missing", [file]) }
        // A pool saved by Excel or WPS as "ANSI" on a Chinese Windows is GB18030: read it so, with a notice.
        let (bytes, from) = InputDecoder.utf8Bytes([UInt8](raw), encoding: env.inputEncoding)
        if let from { Console.err(env.t("cli.read_as_encoding", file, from)) }
        let data = Data(bytes)
        let allowed = kinds.map { splitPoolList($0.replacingOccurrences(of: ",", with: ";").replacingOccurrences(of: "，", with: ";")) }
        let lower = file.lowercased()
        let parsed: Result<[Expert], PingshenErrors>
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            guard let text = String(data: data, encoding: .utf8) else {
                throw PingshenError("line.invalid_utf8", [], at: SourceLocation(file: file))
            }
            parsed = PoolLoader.parse(text, file: file, kinds: allowed)
        } else {
            parsed = PoolCSV.parse([UInt8](data), file: file, kinds: allowed)
        }
        let experts: [Expert]
        switch parsed {
        case .success(let e): experts = e
        case .failure(let e):
            throw PingshenErrors(e.errors + [PingshenError("pool.nothing_imported", [file, String(e.errors.count)])])
        }
        // The database may not exist yet: the pool can come before any panel.
        let store = try env.openStore(create: true)
        let s = try store.importPool(experts, file: file, digest: sha256Hex(raw), actor: actor.resolve())
        Console.out(env.t("pool.imported", file, String(s.experts), String(s.added), String(s.changed), String(s.unchanged)))
    }
}

struct PoolExpertJSON: Encodable {
    var id: String
    var name: String
    var organization: String
    var kind: String
    var fields: [String]
    var title: String?
    var region: String?
    var available: Bool
    var ties: [ExpertTie]
    init(_ e: Expert) {
        id = e.id; name = e.name; organization = e.organization; kind = e.kind; fields = e.fields; title = e.title
        region = e.region; available = e.available; ties = e.ties
    }
}

struct PoolList: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the pool.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this kind.") var kind: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let experts = try store.pool().filter { kind == nil || $0.kind == kind }
        if json {
            Console.out(try jsonText(experts.map(PoolExpertJSON.init)))
            return
        }
        if experts.isEmpty {
            Console.out(env.t("pool.none"))
            return
        }
        var t = TextTable(headers: [env.t("pool.h.id"), env.t("h.name"), env.t("pool.h.organization"), env.t("pool.h.kind"),
                                    env.t("pool.h.fields"), env.t("pool.h.title"), env.t("pool.h.region"),
                                    env.t("pool.h.available"), env.t("pool.h.ties")])
        for e in experts {
            t.rows.append([e.id, e.name, truncate(e.organization, 24), e.kind, e.fields.joined(separator: "；"), e.title ?? "",
                           e.region ?? "", e.available ? env.t("pool.yes") : env.t("pool.no"),
                           truncate(e.ties.map(\.target).joined(separator: "；"), 30)])
        }
        var kinds: [String: Int] = [:]
        for e in experts { kinds[e.kind, default: 0] += 1 }
        Console.out(t.render())
        Console.out(env.t("pool.summary", String(experts.count), String(experts.filter(\.available).count),
                          kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "，")))
    }
}

// MARK: - draw

struct DrawCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draw", abstract: "Draw experts from the pool into a panel at random, verifiably (随机抽取); verify; replace (补抽).",
        subcommands: [DrawRun.self, DrawVerify.self, DrawReplace.self], defaultSubcommand: DrawRun.self)
}

struct DrawMemberJSON: Encodable {
    var id: String
    var name: String
    var organization: String
    var kind: String
    init(_ e: Expert) {
        id = e.id; name = e.name; organization = e.organization; kind = e.kind
    }
}

struct DrawJSON: Encodable {
    var panel: String
    var seed: String
    var candidatesDigest: String
    var candidates: Int
    var draw: Int
    var drawn: [DrawMemberJSON]
    var reserve: [DrawMemberJSON]
    enum CodingKeys: String, CodingKey {
        case panel, seed, candidates, draw, drawn, reserve
        case candidatesDigest = "candidates_digest"
    }
}

struct DrawRun: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Draw N experts into the panel as reviewers (`pingshen draw PANEL --count N …`).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Option(help: "How many experts to draw.") var count: Int
    @Option(help: "Quotas per kind, adding up to --count, e.g. 技术=5,管理=1,财务=1.") var kinds: String?
    @Option(help: "Only experts with this field (专业领域).") var field: String?
    @Option(help: "Reserve experts to list after the drawn ones (default 0).") var reserve: Int = 0
    @Flag(name: .customLong("one-per-organization"), help: "At most one expert per organization.") var onePerOrganization = false
    @Option(help: "Ties: exclude (default: tied experts are not drawn) or pairs (they may be drawn; their ties become recusals).")
    var ties: String = "exclude"
    @Option(help: "The seed (e.g. announced beforehand); default: from the system's secure random source.") var seed: String?
    @Option(help: "Why the panel is drawn again (required for a repeated draw).") var reason: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        if count < 1 { throw PingshenError("draw.bad_count", [String(count)]) }
        if reserve < 0 { throw PingshenError("draw.bad_count", [String(reserve)]) }
        if !["exclude", "pairs"].contains(ties) { throw PingshenError("draw.bad_ties", [ties]) }
        var quotas: [DrawRules.KindQuota] = []
        if let kinds {
            guard let q = DrawRules.parseKinds(kinds) else { throw PingshenError("draw.bad_kinds", [kinds]) }
            quotas = q
        }
        let fieldText = try field.map { try checkText(foldFullWidth($0), kind: "--field", max: 40) }
        let seedText: String
        if let seed {
            seedText = try checkText(seed, kind: "--seed", max: 200)
            if seedText.unicodeScalars.contains(where: { $0.value < 0x20 }) { throw PingshenError("draw.bad_seed", []) }
        } else {
            seedText = secureDrawSeed()
        }
        let why = try reason.map { try checkText($0, kind: env.t("store.h.reason"), max: 500) }
        let rules = DrawRules(count: count, kinds: quotas, reserve: reserve, onePerOrganization: onePerOrganization,
                              field: fieldText, ties: ties)
        let store = try env.openStore()
        let out = try store.draw(panel: panel, rules: rules, seed: seedText, reason: why, actor: actor.resolve())
        if json {
            Console.out(try jsonText(DrawJSON(panel: panel, seed: out.seed, candidatesDigest: out.digest, candidates: out.candidates,
                                              draw: out.seq, drawn: out.drawn.map(DrawMemberJSON.init),
                                              reserve: out.reserve.map(DrawMemberJSON.init))))
            return
        }
        var lines = [env.t("draw.done", panel, String(out.seq), String(out.drawn.count), String(out.candidates)),
                     env.t("draw.seed_line", out.seed, out.digest)]
        var t = TextTable(headers: ["#", env.t("pool.h.id"), env.t("h.name"), env.t("pool.h.organization"), env.t("pool.h.kind")])
        for (i, e) in out.drawn.enumerated() { t.rows.append([String(i + 1), e.id, e.name, e.organization, e.kind]) }
        lines.append(t.render())
        if !out.reserve.isEmpty {
            lines.append(env.t("draw.reserve_line", out.reserve.map { "\($0.id) \($0.name)（\($0.kind)）" }.joined(separator: "，")))
        }
        if out.tiedPairs > 0 { lines.append(env.t("draw.tied_pairs", String(out.tiedPairs))) }
        Console.out(lines.joined(separator: "\n"))
    }
}

struct DrawVerify: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute every draw of the panel from its snapshot and the audit log; exit 1 on any difference.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print the draws (seed, snapshot, drawn, reserve, replacements) and the result as JSON.") var json = false

    struct Out: Encodable {
        var panel: String
        var ok: Bool
        var auditChainOk: Bool
        var problems: [String]
        var draws: [StoredDraw]
        enum CodingKeys: String, CodingKey {
            case panel, ok, problems, draws
            case auditChainOk = "audit_chain_ok"
        }
    }

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let checks = try store.verifyDraws(panel: panel)
        let chain = try store.verifyAuditChain(panel: panel)
        var problems = checks.flatMap { $0.problems.map { $0.text(env.lang) } }
        if !chain.ok, let p = chain.problem { problems.append(p.text(env.lang)) }
        if json {
            Console.out(try jsonText(Out(panel: panel, ok: problems.isEmpty, auditChainOk: chain.ok, problems: problems,
                                         draws: try store.draws(panel: panel))))
        } else {
            var lines: [String] = []
            let draws = try store.draws(panel: panel)
            for d in draws {
                let c = checks.first { $0.seq == d.seq }
                lines.append(env.t(c?.ok ?? false ? "draw.v.ok" : "draw.v.bad", String(d.seq), TimeDisplay.beijing(d.at), d.actor,
                                   d.seed, d.candidatesDigest, String(d.candidates.count)))
                if let r = d.reason { lines.append("  " + env.t("draw.v.reason", r)) }
                for r in d.replacements {
                    lines.append("  " + env.t("draw.v.replaced", r.replaced, r.replacement ?? "-", r.reason ?? ""))
                }
                for p in c?.problems ?? [] { lines.append("  ✗ " + p.text(env.lang)) }
            }
            if !chain.ok, let p = chain.problem { lines.append("✗ " + p.text(env.lang)) }
            lines.append(problems.isEmpty ? env.t("draw.v.all_ok", panel) : env.t("draw.v.failed", panel, String(problems.count)))
            Console.out(lines.joined(separator: "\n"))
        }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}

enum TimeDisplay {
    static func beijing(_ t: String) -> String { UTCTime.display(t) }
}

struct DrawReplace: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "replace", abstract: "Replace a drawn reviewer who declines by the next candidate of the same seeded order (补抽).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "The reviewer to replace.") var reviewer: String
    @Option(help: "Why (kept in the audit log).") var reason: String

    func execute(_ env: Env) throws {
        let why = try checkText(reason, kind: env.t("store.h.reason"), max: 500)
        let store = try env.openStore()
        if let e = try store.replaceDrawn(panel: panel, reviewer: reviewer, reason: why, actor: actor.resolve()) {
            Console.out(env.t("draw.replaced", reviewer, e.id, e.name, e.organization, e.kind))
        } else {
            Console.out(env.t("draw.replaced_none", reviewer))
            throw ExitCode(1)
        }
    }
}

// MARK: - assign

struct AssignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign", abstract: "Assign reviewers to applicants (K per applicant, balanced, connected); show; add or remove a pair.",
        subcommands: [AssignRun.self, AssignShow.self, AssignAdd.self, AssignRemove.self], defaultSubcommand: AssignRun.self)
}

struct AssignJSON: Encodable {
    var panel: String
    var perApplicant: Int
    var assignments: [AssignedPair]
    var loads: [String: Int]
    var connected: Bool
    var components: Int
    var meanLoad: Double
    var offBalance: [String]
    var groups: [Group]?
    struct Group: Encodable {
        var field: String
        var leader: String?
        var reviewers: [String]
        var applicants: [String]
    }
    enum CodingKeys: String, CodingKey {
        case panel, assignments, loads, connected, components, groups
        case perApplicant = "per_applicant", meanLoad = "mean_load", offBalance = "off_balance"
    }
}

struct AssignRun: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Assign K reviewers to every applicant (`pingshen assign PANEL --per-applicant K`).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Option(name: .customLong("per-applicant"), help: "Reviewers per applicant (K).") var perApplicant: Int
    @Option(name: .customLong("max-load"), help: "Most applicants per reviewer.") var maxLoad: Int?
    @Option(help: "Seed of the pair costs' random part (default: from the system's secure random source).") var seed: String?
    @Option(help: "Group review (分组评审): field — split applicants and reviewers by field, assign within groups, link the groups.")
    var groups: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        if let groups, groups != "field" { throw PingshenError("assign.bad_groups", [groups]) }
        if perApplicant < 1 { throw PingshenError("assign.bad_k", [String(perApplicant)]) }
        if let maxLoad, maxLoad < 1 { throw PingshenError("assign.bad_max_load", [String(maxLoad)]) }
        let store = try env.openStore()
        let p = try store.panel(panel)
        if let at = p.sealedAt { throw PingshenError("store.sealed", [panel, at, p.sealedBy ?? "?"]) }
        let reviewers = try store.reviewers(panel: panel)
        let profiles = try store.applicantProfiles(panel: panel)
        if perApplicant > reviewers.count { throw PingshenError("assign.k_too_big", [String(perApplicant), String(reviewers.count)]) }
        // The quorum counts the submitted sheets of an applicant: with fewer assigned reviewers no applicant could be graded.
        let quorum = p.quorum ?? env.config.aggregation.quorum
        if perApplicant < quorum { throw PingshenError("assign.below_quorum", [String(perApplicant), String(quorum), panel]) }
        let pool = Dictionary(try store.pool().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let seedText = try seed.map { try checkText($0, kind: "--seed", max: 200) } ?? secureDrawSeed()
        let seedValue = UInt64(seedText) ?? UInt64(sha256Hex(seedText).prefix(16), radix: 16) ?? 1
        var forbidden = Set(try store.recusals(panel: panel).map { AssignmentProblem.key($0.reviewer, $0.applicant) })
        // Ties the pool knows of but no recusal records (an applicant added after the draw, a reviewer added by
        // hand) are never assigned either.
        let ties = TieIndex(profiles)
        var tiedPairs = 0
        for r in reviewers {
            guard let e = pool[r.id] else { continue }
            for t in ties.ties(of: e) where forbidden.insert(AssignmentProblem.key(r.id, t.applicant)).inserted { tiedPairs += 1 }
        }
        let scored = try store.scoredPairs(panel: panel)
        let problem = AssignmentProblem(
            reviewers: reviewers.map(\.id), applicants: profiles.map(\.id), perApplicant: perApplicant, maxLoad: maxLoad,
            forbidden: forbidden, fixed: scored.map { ($0.reviewer, $0.applicant) },
            reviewerFields: reviewers.map { pool[$0.id]?.fields ?? [] }, applicantFields: profiles.map(\.field), seed: seedValue)
        let result: AssignmentResult
        var groupList: [AssignmentGroup]?
        let outcome = groups == nil ? assignReviewers(problem).map { ($0, [AssignmentGroup]()) } : assignInGroups(problem)
        switch outcome {
        case .success(let (r, g)):
            result = r
            if groups != nil { groupList = g }
        case .failure(let f):
            switch f {
            case .badK(let k): throw PingshenError("assign.bad_k", [String(k)])
            case .applicant(let a, let allowed, let needed): throw PingshenError("assign.applicant_short", [a, String(allowed), String(needed)])
            case .capacity(let pairs, let cap): throw PingshenError("assign.capacity", [String(pairs), String(cap), String(maxLoad ?? 0)])
            case .short(let placed, let needed): throw PingshenError("assign.short", [String(placed), String(needed)])
            }
        }
        try store.saveAssignment(panel: panel, pairs: result.pairs, perApplicant: perApplicant, maxLoad: maxLoad, seed: seedText,
                                 actor: actor.resolve())
        if tiedPairs > 0 && !json { Console.out(env.t("assign.tied_left_out", String(tiedPairs))) }
        printAssignment(env, panel: panel, k: perApplicant, pairs: result.pairs, reviewers: reviewers.map(\.id), json: json,
                        swaps: result.swaps, kept: scored.count, low: result.low, high: result.high, maxLoad: maxLoad, groups: groupList)
    }
}

/// Prints an assignment: loads, balance, connectivity (text or JSON).
func printAssignment(_ env: Env, panel: String, k: Int, pairs: [AssignedPair], reviewers: [String], json: Bool, swaps: Int = 0,
                     kept: Int = 0, low: Int? = nil, high: Int? = nil, maxLoad: Int? = nil, groups: [AssignmentGroup]? = nil) {
    var loads: [String: Int] = [:]
    for r in reviewers { loads[r] = 0 }
    for p in pairs { loads[p.reviewer, default: 0] += 1 }
    let applicants = Set(pairs.map(\.applicant)).count
    let total = pairs.count
    let mean = reviewers.isEmpty ? 0 : Double(total) / Double(reviewers.count)
    let lo = low ?? Int(mean.rounded(.down)), hi = high ?? Int(mean.rounded(.up))
    let off = reviewers.filter { (loads[$0] ?? 0) < lo || (loads[$0] ?? 0) > hi }
    let comps = assignmentComponents(pairs)
    if json {
        var j = AssignJSON(panel: panel, perApplicant: k, assignments: pairs, loads: loads, connected: comps <= 1, components: comps,
                           meanLoad: (mean * 100).rounded() / 100, offBalance: off)
        j.groups = groups?.map { AssignJSON.Group(field: $0.field, leader: $0.leader, reviewers: $0.reviewers, applicants: $0.applicants) }
        Console.out((try? jsonText(j)) ?? "{}")
        return
    }
    var lines = [env.t("assign.summary", panel, String(total), String(applicants), String(k), String(reviewers.count))]
    let minL = loads.values.min() ?? 0, maxL = loads.values.max() ?? 0
    lines.append(env.t("assign.loads", String(format: "%.2f", mean), String(minL), String(maxL), String(lo), String(hi)))
    if !off.isEmpty {
        let far = off.map { abs(Double(loads[$0] ?? 0) - mean) }.max() ?? 0
        lines.append(env.t("assign.off_balance", String(off.count), off.prefix(10).map { "\($0)=\(loads[$0] ?? 0)" }.joined(separator: "，"),
                           String(format: "%.2f", far)))
    }
    lines.append(comps <= 1 ? env.t("assign.connected") : env.t("assign.not_connected", String(comps)))
    if let groups {
        for g in groups {
            lines.append(env.t("assign.group", g.field.isEmpty ? "—" : g.field, String(g.applicants.count), String(g.reviewers.count),
                               g.leader ?? "-"))
        }
        if groups.count > 1 { lines.append(env.t("assign.group_links", String(swaps))) }
    } else if swaps > 0 { lines.append(env.t("assign.swaps", String(swaps))) }
    if kept > 0 { lines.append(env.t("assign.kept", String(kept))) }
    var t = TextTable(headers: [env.t("store.h.reviewers"), env.t("assign.h.load"), env.t("store.h.applicants")], rightAligned: [1])
    var byReviewer: [String: [String]] = [:]
    for p in pairs { byReviewer[p.reviewer, default: []].append(p.applicant) }
    for r in reviewers {
        let list = byReviewer[r] ?? []
        t.rows.append([r, String(list.count), truncate(list.joined(separator: " "), 60)])
    }
    lines.append(t.render())
    Console.out(lines.joined(separator: "\n"))
}

struct AssignShow: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the panel's current assignment.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let pairs = try store.assignments(panel: panel)
        if pairs.isEmpty && !json {
            Console.out(env.t("assign.none", panel))
            return
        }
        let setting = try store.assignmentSetting(panel: panel)
        let order = Dictionary(try store.applicants(panel: panel).enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let sorted = pairs.sorted { (order[$0.applicant] ?? 0, $0.reviewer) < (order[$1.applicant] ?? 0, $1.reviewer) }
        printAssignment(env, panel: panel, k: setting?.perApplicant ?? 0, pairs: sorted,
                        reviewers: try store.reviewers(panel: panel).map(\.id), json: json)
    }
}

struct AssignAdd: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Assign one pair by hand (logged with the reason).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Reviewer id.") var reviewer: String
    @Argument(help: "Applicant id.") var applicant: String
    @Option(help: "Why (kept in the audit log).") var reason: String

    func execute(_ env: Env) throws {
        try setPair(env, panel: panel, reviewer: reviewer, applicant: applicant, assigned: true, reason: reason, actor: actor)
    }
}

struct AssignRemove: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove one pair by hand (logged with the reason).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Reviewer id.") var reviewer: String
    @Argument(help: "Applicant id.") var applicant: String
    @Option(help: "Why (kept in the audit log).") var reason: String

    func execute(_ env: Env) throws {
        try setPair(env, panel: panel, reviewer: reviewer, applicant: applicant, assigned: false, reason: reason, actor: actor)
    }
}

/// `assign add` / `assign remove`: one pair set by hand, with its reason in the audit log.
private func setPair(_ env: Env, panel: String, reviewer: String, applicant: String, assigned: Bool, reason: String,
                     actor: ActorOption) throws {
    let why = try checkText(reason, kind: env.t("store.h.reason"), max: 500)
    try env.openStore().setAssigned(panel: panel, reviewer: reviewer, applicant: applicant, assigned: assigned, reason: why,
                                    actor: actor.resolve())
    Console.out(env.t(assigned ? "assign.added" : "assign.removed", reviewer, applicant))
}
