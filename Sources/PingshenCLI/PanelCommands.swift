import ArgumentParser
import Foundation
import PingshenCore
import PingshenStore

// MARK: - panel

struct PanelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel", abstract: "Create, list and show review panels (评审组); open a later round.",
        subcommands: [PanelCreate.self, PanelLoad.self, PanelList.self, PanelShow.self, PanelRound.self])
}

struct PanelCreate: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a panel.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id (ASCII letters, digits, - _ .).") var panel: String
    @Option(help: "Rubric id.") var rubric: String
    @Option(help: "Title (default: the rubric's name).") var title: String?
    @Option(help: "First round (default: 初评).") var round: String = "初评"
    @Option(help: "Eligibility variant of the rubric (default: its first).") var variant: String?
    @Option(help: "Aggregation method (default: the config's).") var method: AggregationMethod?
    @Option(help: "Fewest submitted sheets for an applicant to be graded (default: the config's).") var quorum: Int?
    @Option(help: "Aggregation view (default: the config's).") var view: AggregationView?

    func execute(_ env: Env) throws {
        try checkId(panel, kind: env.t("store.h.panel"))
        let r = try env.rubric(rubric).rubric
        if let variant, r.variant(variant) == nil {
            throw PingshenError("store.bad_variant", [r.id, variant, r.eligibility.map(\.id).joined(separator: ", ")])
        }
        if let quorum, quorum < 1 { throw PingshenError("store.bad_quorum", [String(quorum)]) }
        let roundName = try checkText(round, kind: env.t("store.h.round"), max: 40)
        let titleText = try checkText(title ?? r.displayName(env.lang), kind: env.t("store.h.title"))
        let store = try env.openStore(create: true)
        try store.createPanel(PanelInfo(id: panel, rubricId: r.id, title: titleText, round: roundName, variant: variant,
                                        method: method, quorum: quorum, view: view),
                              actor: actor.resolve())
        Console.out(env.t("store.created_panel", panel, r.id, roundName, titleText))
    }
}

struct PanelJSON: Encodable {
    struct Seal: Encodable {
        var at: String
        var by: String
        var digest: String
    }
    struct Round: Encodable {
        var round: String
        var openedAt: String
        var openedBy: String
        enum CodingKeys: String, CodingKey {
            case round
            case openedAt = "opened_at"
            case openedBy = "opened_by"
        }
    }
    struct Applicant: Encodable {
        var id: String
        var name: String
        var industry: String?
        var dataValues: Int
        enum CodingKeys: String, CodingKey {
            case id, name, industry
            case dataValues = "data_values"
        }
    }
    var id: String
    var title: String
    var rubric: String
    var round: String
    var variant: String?
    var method: AggregationMethod?
    var quorum: Int?
    var view: AggregationView?
    var sealed: Seal?
    var rounds: [Round]?
    var reviewers: [ReviewerInfo]?
    var applicants: [Applicant]?
    var recusals: [Recusal]?

    init(_ p: PanelInfo, seal: SealInfo?) {
        id = p.id
        title = p.title
        rubric = p.rubricId
        round = p.round
        variant = p.variant
        method = p.method
        quorum = p.quorum
        view = p.view
        sealed = seal.map { Seal(at: $0.at, by: $0.by, digest: $0.digest) }
    }
}

struct PanelList: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the panels.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let panels = try store.panels()
        if json {
            Console.out(try jsonText(try panels.map { PanelJSON($0, seal: try store.sealInfo(panel: $0.id)) }))
            return
        }
        if panels.isEmpty {
            Console.out(env.t("store.no_panels"))
            return
        }
        var t = TextTable(headers: [env.t("store.h.panel"), env.t("store.h.title"), env.t("store.h.rubric"),
                                    env.t("store.h.round"), env.t("store.h.reviewers"), env.t("store.h.applicants"),
                                    env.t("store.h.state")], rightAligned: [4, 5])
        for p in panels {
            t.rows.append([p.id, truncate(p.title, 40), p.rubricId, p.round,
                           String(try store.reviewers(panel: p.id).count), String(try store.applicants(panel: p.id).count),
                           p.sealedAt == nil ? env.t("store.open_tag") : env.t("store.sealed_tag")])
        }
        Console.out(t.render())
    }
}

struct PanelShow: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "show",
                                                    abstract: "Show a panel: settings, rounds, reviewers, applicants, recusals.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Panel id.") var panel: String
    @Flag(name: .long, help: "Print JSON.") var json = false

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let p = try store.panel(panel)
        let seal = try store.sealInfo(panel: panel)
        let rounds = try store.rounds(panel: panel)
        let reviewers = try store.reviewers(panel: panel)
        let applicants = try store.applicants(panel: panel)
        let data = try store.allData(panel: panel)
        let recusals = try store.recusals(panel: panel)
        if json {
            var j = PanelJSON(p, seal: seal)
            j.rounds = rounds.map { PanelJSON.Round(round: $0.round, openedAt: $0.openedAt, openedBy: $0.openedBy) }
            j.reviewers = reviewers
            j.applicants = applicants.map {
                PanelJSON.Applicant(id: $0.id, name: $0.name, industry: $0.industry, dataValues: data[$0.id]?.values.count ?? 0)
            }
            j.recusals = recusals
            Console.out(try jsonText(j))
            return
        }
        let dflt = env.t("store.h.default")
        var out = ["\(p.title)（\(p.id)）"]
        out.append("\(env.t("store.h.rubric"))：\(p.rubricId)")
        out.append("\(env.t("store.h.round"))：\(p.round)    \(env.t("store.h.rounds"))："
                   + rounds.map { "\($0.round)（\($0.openedAt.prefix(10))）" }.joined(separator: " → "))
        out.append("\(env.t("store.h.variant"))：\(p.variant ?? dflt)    \(env.t("store.h.method"))：\(p.method?.rawValue ?? dflt)    "
                   + "\(env.t("store.h.quorum"))：\(p.quorum.map(String.init) ?? dflt)    \(env.t("store.h.view"))：\(p.view?.rawValue ?? dflt)")
        if let seal {
            out.append("\(env.t("store.h.sealed"))：\(seal.at) · \(seal.by) · \(seal.digest)")
        }
        out.append("")
        var rt = TextTable(headers: [env.t("store.h.reviewers"), env.t("h.name")])
        for r in reviewers { rt.rows.append([r.id, r.name]) }
        out.append(rt.render())
        out.append("")
        var at = TextTable(headers: [env.t("store.h.applicants"), env.t("h.name"), env.t("store.h.industry"),
                                     env.t("store.h.data")], rightAligned: [3])
        for a in applicants {
            at.rows.append([a.id, a.name, a.industry ?? "", String(data[a.id]?.values.count ?? 0)])
        }
        out.append(at.render())
        if !recusals.isEmpty {
            out.append("")
            var ct = TextTable(headers: [env.t("store.h.recusals"), env.t("store.h.applicants"), env.t("store.h.reason")])
            for r in recusals { ct.rows.append([r.reviewer, r.applicant, r.reason]) }
            out.append(ct.render())
        }
        Console.out(out.joined(separator: "\n"))
    }
}

struct PanelRound: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "round", abstract: "Open a later round (现场考察, 综合评议…): scoring then goes into it.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Round name.") var round: String

    func execute(_ env: Env) throws {
        let store = try env.openStore()
        let name = try checkText(round, kind: env.t("store.h.round"), max: 40)
        let before = try store.panel(panel).round
        try store.openRound(panel: panel, round: name, actor: actor.resolve())
        Console.out(env.t("store.opened_round", panel, name, before))
    }
}

// MARK: - reviewer, applicant

struct ReviewerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviewer", abstract: "Add reviewers (评审专家) to a panel; record conflicts of interest (回避).",
        subcommands: [ReviewerAdd.self, ReviewerRecuse.self])
}

struct ReviewerAdd: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a reviewer to a panel.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Reviewer id.") var reviewer: String
    @Option(help: "The reviewer's name.") var name: String

    func execute(_ env: Env) throws {
        try checkId(reviewer, kind: env.t("store.h.reviewers"))
        let n = try checkText(name, kind: env.t("h.name"))
        let store = try env.openStore()
        try store.addReviewer(panel: panel, ReviewerInfo(id: reviewer, name: n), actor: actor.resolve())
        Console.out(env.t("store.added_reviewer", reviewer, n, panel))
    }
}

struct ReviewerRecuse: PingshenCommand {
    static let configuration = CommandConfiguration(
        commandName: "recuse", abstract: "Record that a reviewer is recused from an applicant (回避).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Reviewer id.") var reviewer: String
    @Option(help: "Applicant id.") var applicant: String
    @Option(help: "Why (kept in the audit log).") var reason: String

    func execute(_ env: Env) throws {
        let why = try checkText(reason, kind: env.t("store.h.reason"), max: 500)
        let store = try env.openStore()
        try store.recuse(panel: panel, reviewer: reviewer, applicant: applicant, reason: why, actor: actor.resolve())
        Console.out(env.t("store.recused_done", reviewer, applicant, why))
    }
}

struct ApplicantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "applicant", abstract: "Add applicants (申报单位) to a panel.", subcommands: [ApplicantAdd.self])
}

struct ApplicantAdd: PingshenCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an applicant to a panel.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var actor: ActorOption
    @Argument(help: "Panel id.") var panel: String
    @Argument(help: "Applicant id.") var applicant: String
    @Option(help: "The applicant's name.") var name: String
    @Option(help: "Industry, for the rubric's industry coefficients (行业).") var industry: String?
    @Option(help: "Organization, for tie checks in draws (default: the applicant's name).") var organization: String?
    @Option(help: "Related organizations (parent group, subsidiaries), separated by ; or ；.") var related: String?
    @Option(help: "Field (专业领域), matched against the experts' fields by the assignment.") var field: String?

    func execute(_ env: Env) throws {
        try checkId(applicant, kind: env.t("store.h.applicants"))
        let n = try checkText(name, kind: env.t("h.name"))
        let store = try env.openStore()
        let ctx = try env.panelContext(store, panel)
        var ind: String?
        if let industry {
            let i = try checkText(foldFullWidth(industry), kind: env.t("store.h.industry"), max: 40)
            if let table = ctx.rubric.industries, table.industry(i) == nil {
                throw PingshenError("store.bad_industry", [ctx.rubric.id, i, table.rows.map(\.name).joined(separator: "、")])
            }
            ind = i
        }
        let org = try organization.map { try checkText($0, kind: "--organization") }
        let rel = try (related.map(splitPoolList) ?? []).map { try checkText($0, kind: "--related") }
        let fld = try field.map { try checkText(foldFullWidth($0), kind: "--field", max: 40) }
        if org != nil || !rel.isEmpty || fld != nil {
            try store.addApplicant(panel: panel, ApplicantInfo(id: applicant, name: n, industry: ind), organization: org,
                                   related: rel, field: fld, actor: actor.resolve())
        } else {
            try store.addApplicant(panel: panel, ApplicantInfo(id: applicant, name: n, industry: ind), actor: actor.resolve())
        }
        Console.out(env.t("store.added_applicant", applicant, n, panel))
    }
}
