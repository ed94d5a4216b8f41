import Foundation

/// Panel aggregation (issue 4): combines a panel's submitted sheets of one round into one score, grade and
/// rank per applicant, in both views, and runs the outlier checks (Outliers.swift). Pure: the store
/// produces the `PanelSnapshot`, the CLI renders or exports the `PanelResults`.
///
/// Entry point: `aggregatePanel(_:_:settings:outliers:round:method:)`.

// MARK: - Settings

/// How reviewers' scores are combined.
public enum AggregationMethod: String, Codable, Sendable, CaseIterable {
    /// Trimmed mean from `trimMinReviewers` scoring reviewers up, plain mean below.
    case auto
    /// 去掉一个最高分和一个最低分 (needs at least three scores; below that, the plain mean).
    case trimmed
    case mean
    case median
    /// The calibrated score (docs/statistics.md §6): each applicant's level with its reviewers' severities
    /// removed (crossed model, REML). A panel may choose it when applicants have different reviewers; the
    /// per-indicator breakdown and the two views stay raw (plain means) and the report says so.
    case calibrated

    /// Parses a method name (e.g. `--method trimmed`); unknown names are refused naming the setting.
    public static func parse(_ s: String, field: String = "--method") throws -> AggregationMethod {
        guard let m = AggregationMethod(rawValue: s.lowercased()) else {
            throw PingshenError("report.bad_method", [s, field, allCases.map(\.rawValue).joined(separator: ", ")])
        }
        return m
    }
}

/// What is combined: reviewers' totals, or each indicator then summed through the tree.
public enum AggregationView: String, Codable, Sendable, CaseIterable {
    case totals
    case indicators

    /// Parses a view name; unknown names are refused naming the setting.
    public static func parse(_ s: String, field: String = "--view") throws -> AggregationView {
        guard let v = AggregationView(rawValue: s.lowercased()) else {
            throw PingshenError("report.bad_view", [s, field, allCases.map(\.rawValue).joined(separator: ", ")])
        }
        return v
    }
}

/// Where an effective setting came from.
public enum SettingSource: String, Codable, Sendable {
    case config
    case panel
    case command
}

/// The outlier thresholds used, as recorded in the results.
public struct OutlierThresholds: Codable, Sendable, Equatable {
    public var scoreZ: Double
    public var scoreFloorShare: Double
    public var disagreementRangeShare: Double
    public var biasPoints: Double
    public var biasT: Double
    public var minRankCorrelation: Double
    public var minApplicantsForReviewerFlags: Int

    public init(_ s: OutlierSettings) {
        scoreZ = s.scoreZ
        scoreFloorShare = s.scoreFloorShare
        disagreementRangeShare = s.disagreementRangeShare
        biasPoints = s.biasPoints
        biasT = s.biasT
        minRankCorrelation = s.minRankCorrelation
        minApplicantsForReviewerFlags = s.minApplicantsForReviewerFlags
    }
}

/// The settings an aggregation actually used (panel overrides applied).
public struct AppliedSettings: Codable, Sendable, Equatable {
    public var method: AggregationMethod
    public var methodSource: SettingSource
    public var view: AggregationView
    public var viewSource: SettingSource
    public var quorum: Int
    public var quorumSource: SettingSource
    public var trimMinReviewers: Int
    /// Decimals of the official score (rounded half-up in decimal).
    public var decimals: Int
    public var variant: String?
    public var outliers: OutlierThresholds
}

/// Resolves the effective method, view and quorum: a command-line method beats the panel's override,
/// which beats the configuration. Unknown names are refused with a message naming the setting.
public func resolveSettings(panel: PanelInfo, config: AggregationSettings, outliers: OutlierSettings,
                            method override: AggregationMethod? = nil) throws -> AppliedSettings {
    let method: AggregationMethod
    let methodSource: SettingSource
    if let override {
        (method, methodSource) = (override, .command)
    } else if let m = panel.method {
        (method, methodSource) = (m, .panel)
    } else {
        (method, methodSource) = (config.method, .config)
    }
    let view: AggregationView
    let viewSource: SettingSource
    if let v = panel.view {
        (view, viewSource) = (v, .panel)
    } else {
        (view, viewSource) = (config.view, .config)
    }
    let quorum = max(1, panel.quorum ?? config.quorum)
    return AppliedSettings(method: method, methodSource: methodSource, view: view, viewSource: viewSource,
                           quorum: quorum, quorumSource: panel.quorum == nil ? .config : .panel,
                           trimMinReviewers: config.trimMinReviewers,
                           decimals: Swift.max(0, Swift.min(config.decimals, 6)), variant: panel.variant,
                           outliers: OutlierThresholds(outliers))
}

/// The method applied to an applicant scored by `count` reviewers: `auto` becomes trimmed from
/// `trimMinReviewers` (and at least 3) up, the mean below; `trimmed` with fewer than 3 scores is the mean.
public func effectiveMethod(_ method: AggregationMethod, count: Int, trimMinReviewers: Int) -> AggregationMethod {
    switch method {
    case .auto: return count >= max(3, trimMinReviewers) ? .trimmed : .mean
    case .trimmed: return count >= 3 ? .trimmed : .mean
    case .mean, .median, .calibrated: return method
    }
}

/// Combines scores with a method (`auto` must already be resolved by `effectiveMethod`). Nil when empty.
public func combineScores(_ xs: [Double], method: AggregationMethod) -> Double? {
    guard !xs.isEmpty else { return nil }
    var copy = xs
    return copy.withUnsafeMutableBufferPointer { combineInPlace($0, count: xs.count, method: method) }
}

/// Sorts the first `n` values of the buffer and combines them. Sums run over the sorted values, so the
/// result does not depend on the order of the sheets.
@inline(__always)
func combineInPlace(_ buf: UnsafeMutableBufferPointer<Double>, count n: Int, method: AggregationMethod) -> Double {
    insertionSort(buf, count: n)
    switch method {
    case .median:
        return sortedMedian(buf, count: n)
    case .trimmed where n >= 3:
        var s = 0.0
        for i in 1..<(n - 1) { s += buf[i] }
        return s / Double(n - 2)
    default:
        var s = 0.0
        for i in 0..<n { s += buf[i] }
        return s / Double(n)
    }
}

// MARK: - Results

public enum ApplicantStatus: String, Codable, Sendable {
    /// Scored by at least the quorum, eligible, all verified data present: has a total, a grade and a rank.
    case graded
    /// Fewer submitted sheets than the quorum, or verified data missing: no grade.
    case incomplete
    /// Fails an eligibility gate (基本条件): no grade.
    case ineligible
}

/// A failed eligibility gate, named for the report.
public struct GateFailure: Codable, Sendable, Equatable {
    public var gate: String
    public var field: String
    public var name: String
    public var nameEn: String?
    /// The applicant's value; nil when the verified data lacks it.
    public var value: Double?
    public var unit: String?
    /// The requirement as text, e.g. ">= 1500 万元" or "= 是".
    public var requirement: String
    public var provisional: Bool
}

/// One reviewer's total for an applicant in the totals view.
public struct ReviewerScore: Codable, Sendable, Equatable {
    public var reviewer: String
    public var total: Double
    /// True when the trimmed mean dropped this score (one highest, one lowest).
    public var trimmed: Bool
}

/// A node's combined points in the indicators view (per indicator, then summed with caps).
public struct NodeScore: Codable, Sendable, Equatable {
    public var id: String
    /// 1 = 一级, 2 = 二级, 3 = 三级.
    public var level: Int
    /// Nil when no reviewer scored the leaf (or its verified data is missing).
    public var points: Double?
}

/// The spread of the reviewers' totals on one applicant.
public struct Spread: Codable, Sendable, Equatable {
    public var min: Double
    public var max: Double
    public var range: Double
    /// Sample standard deviation; nil with one reviewer.
    public var sd: Double?
}

public struct ApplicantResult: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var industry: String?
    public var status: ApplicantStatus
    /// Gates of the panel's eligibility variant that failed (empty when eligible).
    public var failedGates: [GateFailure]
    /// Submitted sheets of the round from reviewers not recused (the scores counted).
    public var counted: [String]
    /// Reviewers recused from this applicant (回避), left out.
    public var recused: [String]
    /// Reviewers with a sheet of this round not yet submitted, left out.
    public var unsubmitted: [String]
    /// Counted reviewers whose submitted sheet lacks points on some leaf (counted as 0 in their total,
    /// left out of that indicator in the indicators view).
    public var sheetsWithGaps: [String]
    public var quorum: Int
    public var quorumMet: Bool
    /// Value leaves whose verified data is missing.
    public var missingData: [String]
    /// The method applied (auto resolved); nil without sheets.
    public var method: AggregationMethod?
    public var reviewerTotals: [ReviewerScore]
    /// View (a): the reviewers' totals combined.
    public var totalsView: Double?
    /// View (b): each indicator combined, then summed through the tree with caps.
    public var indicatorsView: Double?
    /// The official total: the configured view rounded half-up to `settings.decimals` (default 2); nil
    /// unless graded.
    public var total: Double?
    public var grade: String?
    public var gradeEn: String?
    /// Competition rank among graded applicants by the official total (1, 2, 2, 4).
    public var rank: Int?
    /// True when another graded applicant has the same total at 2 decimals (并列).
    public var tied: Bool
    public var spread: Spread?
    /// Every node's combined points in the indicators view, in rubric order (一级/二级 breakdown and
    /// per-indicator detail).
    public var nodes: [NodeScore]
    /// Provisional rubric nodes that contributed points (leaf or ancestor ids, rubric order), and leaves
    /// whose points used a provisional industry coefficient table.
    public var provisionalNodes: [String]
    /// Provisional gates checked for this applicant.
    public var provisionalGates: [String]
    /// True when the grade comes from provisional bands.
    public var gradeProvisional: Bool
    /// True when any provisional number contributed to this applicant's result (nodes, gates or grade).
    public var provisional: Bool
    /// Number of outlier flags that name this applicant.
    public var flagCount: Int

    public func node(_ id: String) -> NodeScore? { nodes.first { $0.id == id } }
}

/// Per reviewer: sheets counted and the severity / leniency / consistency statistics.
public struct ReviewerResult: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var sheetsCounted: Int
    public var recusedFrom: [String]
    public var unsubmitted: Int
    /// Applicants used for the statistics below (the reviewer counted and at least two others).
    public var compared: Int
    /// Mean of d = own total − mean of the other reviewers' totals on the same applicant.
    public var meanDeviation: Double?
    /// SD(d) / √n.
    public var standardError: Double?
    /// meanDeviation / standardError; nil when the standard error is 0 or undefined.
    public var t: Double?
    /// Spearman correlation of own totals with the others' mean, across the compared applicants.
    public var rankCorrelation: Double?
    public var flags: [FlagKind]
}

/// A plain-words reading of an agreement coefficient.
public enum AgreementLevel: String, Codable, Sendable {
    case poor, moderate, good, excellent

    /// Koo & Li (2016): ICC below 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, above 0.9 excellent.
    public static func forICC(_ v: Double) -> AgreementLevel {
        v < 0.5 ? .poor : v < 0.75 ? .moderate : v <= 0.9 ? .good : .excellent
    }

    /// Kendall's W after Schmidt (1997): below 0.5 weak, 0.5–0.7 moderate, 0.7–0.9 strong, above 0.9
    /// unusually strong (read here as poor / moderate / good / excellent).
    public static func forKendallW(_ v: Double) -> AgreementLevel {
        v < 0.5 ? .poor : v < 0.7 ? .moderate : v <= 0.9 ? .good : .excellent
    }
}

/// Why an agreement coefficient is missing (the report says it in words).
public enum AgreementGap: String, Codable, Sendable {
    /// The rubric's reviewers enter no points (every indicator comes from verified data): their totals
    /// agree by construction, so agreement figures would say nothing.
    case noPoints = "no_points"
    /// Fewer than two reviewers scored anything this round.
    case fewReviewers = "few_reviewers"
    /// Fewer applicants than the minimum were scored by every reviewer (complete rows).
    case fewComplete = "few_complete"
    /// Every reviewer gave every applicant the same total: nothing varies, the coefficient is 0/0.
    case identical
    /// Every reviewer gave all the applicants the same total (no order to compare), W only.
    case noOrder = "no_order"
}

/// Panel agreement over the applicants every scoring reviewer scored (complete rows).
public struct AgreementSummary: Codable, Sendable, Equatable {
    /// Reviewers (columns) and applicants (complete rows) the coefficients use.
    public var reviewers: Int
    public var applicants: Int
    /// ICC(2,1): two-way random effects, absolute agreement, single rater.
    public var icc: Double?
    public var iccLevel: AgreementLevel?
    /// Kendall's W with the tie correction.
    public var kendallW: Double?
    public var kendallWLevel: AgreementLevel?
    /// 95 % intervals (bootstrap over the complete applicants); nil when not computed.
    public var iccLow: Double?
    public var iccHigh: Double?
    public var kendallWLow: Double?
    public var kendallWHigh: Double?
    /// Why `icc` (and then W) is missing, or why W alone is.
    public var iccGap: AgreementGap?
    public var kendallWGap: AgreementGap?
    /// Fewer complete applicants than `agreementCaveatApplicants`: read the figures as rough.
    public var fewApplicants: Bool
    /// The most counted reviewers any applicant had this round (what the outlier checks can do).
    public var maxReviewersPerApplicant: Int
    /// Applicants are scored by different sets of reviewers (recusals, split panels): raw scores are not
    /// comparable when reviewers differ in severity; `calibrate` adjusts for it.
    public var reviewerSetsDiffer: Bool
    /// Connected parts of the reviewer–applicant graph (1 when every reviewer is linked to every other
    /// through shared applicants).
    public var components: Int
}

/// Fewest complete applicants for the complete-design ICC and W to be computed at all.
public let agreementMinApplicants = 5
/// Below this many complete applicants the figures carry a caveat (Koo & Li 2016 ask for at least 30).
public let agreementCaveatApplicants = 30

/// What provisional numbers the results rest on; exports print a notice when `any` is true.
public struct ProvisionalSummary: Codable, Sendable, Equatable {
    public var rubricHasProvisional: Bool
    public var gradesProvisional: Bool
    /// Union of the applicants' provisional contributors, rubric order.
    public var nodes: [String]
    public var gates: [String]
    /// Applicants whose result used a provisional number.
    public var applicants: Int
    public var any: Bool
}

/// A rubric node as the exports list it.
public struct IndicatorInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var nameEn: String?
    public var level: Int
    public var parent: String?
    public var weight: Double
    public var leaf: Bool
    public var input: InputKind?
    /// The node or one of its ancestors is provisional.
    public var provisional: Bool

    public func displayName(_ lang: Lang) -> String { lang == .en ? (nameEn ?? name) : name }
}

public struct RubricSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var nameEn: String?
    public var version: String
    public var total: Double
    public var grades: [GradeBand]
    public var gradesProvisional: Bool
    public var gradesNote: String?
}

public struct StatusCounts: Codable, Sendable, Equatable {
    public var graded: Int
    public var incomplete: Int
    public var ineligible: Int
}

/// Everything the chair sees about a panel's round: the input of every export.
public struct PanelResults: Codable, Sendable, Equatable {
    public var panel: PanelInfo
    /// The round these results come from.
    public var round: String
    /// Every round the panel has (its current round and any round a sheet names).
    public var rounds: [String]
    public var rubric: RubricSummary
    public var settings: AppliedSettings
    /// Every rubric node, rubric order.
    public var indicators: [IndicatorInfo]
    /// Applicants in the panel's order (see `ranked` for report order).
    public var applicants: [ApplicantResult]
    public var reviewers: [ReviewerResult]
    public var flags: [OutlierFlag]
    public var agreement: AgreementSummary
    public var provisional: ProvisionalSummary
    public var counts: StatusCounts

    /// Graded applicants by rank, then incomplete, then ineligible (each in panel order).
    public var ranked: [ApplicantResult] {
        let graded = applicants.filter { $0.status == .graded }.sorted { ($0.rank ?? .max) < ($1.rank ?? .max) }
        return graded + applicants.filter { $0.status == .incomplete } + applicants.filter { $0.status == .ineligible }
    }

    public func applicant(_ id: String) -> ApplicantResult? { applicants.first { $0.id == id } }
    public func reviewer(_ id: String) -> ReviewerResult? { reviewers.first { $0.id == id } }
    public func indicator(_ id: String) -> IndicatorInfo? { indicators.first { $0.id == id } }
    public func flags(for applicant: String) -> [OutlierFlag] { flags.filter { $0.applicant == applicant } }
    public func flags(forReviewer reviewer: String) -> [OutlierFlag] { flags.filter { $0.reviewer == reviewer } }
}

// MARK: - The compiled rubric (flat arrays for the hot loops)

/// The rubric tree flattened once per aggregation: nodes in pre-order with parent and children indices,
/// leaves indexed 0..<L. `score` gives exactly what `scoreSheet` gives (same caps, same summation order)
/// without dictionaries.
struct CompiledRubric {
    let nodes: [RubricNode]
    let ids: [String]
    let weight: [Double]
    let parent: [Int]
    let level: [Int]
    let leafOfNode: [Int]
    let postOrder: [Int]
    let childStart: [Int]
    let childList: [Int]
    let roots: [Int]
    let leafNode: [Int]
    let leafIds: [String]
    let leafWeight: [Double]
    /// Per leaf: the smallest difference a reviewer can make (a discretionary step, the gap between tiers).
    let leafStep: [Double?]
    let isValueLeaf: [Bool]
    let pointsLeaves: [Int]
    let valueLeaves: [Int]
    /// Per leaf: provisional nodes on its path (ancestors first, then the leaf).
    let provisionalChain: [[Int]]
    /// Per leaf: its points come through a coefficient of a provisional industry table.
    let provisionalCoefficient: [Bool]
    let inheritedProvisional: [Bool]
    let total: Double

    init(_ rubric: Rubric) {
        var nodes: [RubricNode] = []
        var parent: [Int] = []
        var level: [Int] = []
        var children: [[Int]] = []
        var roots: [Int] = []
        var postOrder: [Int] = []
        func add(_ n: RubricNode, _ p: Int, _ depth: Int) {
            let i = nodes.count
            nodes.append(n)
            parent.append(p)
            level.append(depth)
            children.append([])
            if p >= 0 { children[p].append(i) } else { roots.append(i) }
            for c in n.children { add(c, i, depth + 1) }
            postOrder.append(i)
        }
        for n in rubric.root { add(n, -1, 1) }
        var childStart = [0]
        var childList: [Int] = []
        for c in children {
            childList += c
            childStart.append(childList.count)
        }
        var leafOfNode = [Int](repeating: -1, count: nodes.count)
        var leafNode: [Int] = []
        for (i, n) in nodes.enumerated() where n.isLeaf {
            leafOfNode[i] = leafNode.count
            leafNode.append(i)
        }
        var inherited = [Bool](repeating: false, count: nodes.count)
        for i in nodes.indices {
            inherited[i] = nodes[i].provisional || (parent[i] >= 0 && inherited[parent[i]])
        }
        var chains: [[Int]] = []
        var coefficient: [Bool] = []
        let tableProvisional = rubric.industries?.provisional ?? false
        for ni in leafNode {
            var chain: [Int] = []
            var v = ni
            while v >= 0 {
                if nodes[v].provisional { chain.append(v) }
                v = parent[v]
            }
            chains.append(chain.reversed())
            if case .requirement(_, _, _, let column?)? = nodes[ni].rule, tableProvisional, column.isEmpty == false {
                coefficient.append(true)
            } else {
                coefficient.append(false)
            }
        }
        self.nodes = nodes
        self.ids = nodes.map(\.id)
        self.weight = nodes.map(\.weight)
        self.parent = parent
        self.level = level
        self.leafOfNode = leafOfNode
        self.postOrder = postOrder
        self.childStart = childStart
        self.childList = childList
        self.roots = roots
        self.leafNode = leafNode
        self.leafIds = leafNode.map { nodes[$0].id }
        self.leafWeight = leafNode.map { nodes[$0].weight }
        self.leafStep = leafNode.map { scoreStep(nodes[$0]) }
        self.isValueLeaf = leafNode.map { nodes[$0].input == .value }
        self.pointsLeaves = leafNode.indices.filter { nodes[leafNode[$0]].input != .value }
        self.valueLeaves = leafNode.indices.filter { nodes[leafNode[$0]].input == .value }
        self.provisionalChain = chains
        self.provisionalCoefficient = coefficient
        self.inheritedProvisional = inherited
        self.total = rubric.total
    }

    var leafCount: Int { leafNode.count }
    var nodeCount: Int { nodes.count }

    /// The capped total from leaf points (NaN = no points), the same as `scoreSheet(...).total`.
    /// `earned` (nodeCount long) receives every node's capped subtotal.
    func score(_ leafPoints: UnsafeBufferPointer<Double>, earned: UnsafeMutableBufferPointer<Double>) -> Double {
        postOrder.withUnsafeBufferPointer { post in
            childList.withUnsafeBufferPointer { kids in
                for v in post {
                    let li = leafOfNode[v]
                    if li >= 0 {
                        let p = leafPoints[li]
                        earned[v] = Swift.min(p.isNaN ? 0 : p, weight[v])
                    } else {
                        var s = 0.0
                        for c in childStart[v]..<childStart[v + 1] { s += earned[kids[c]] }
                        earned[v] = Swift.min(s, weight[v])
                    }
                }
            }
        }
        var t = 0.0
        for r in roots { t += earned[r] }
        return Swift.min(t, total)
    }
}

// MARK: - Aggregation

/// The counted sheets of one round as flat arrays, grouped by applicant (CSR layout): what the
/// aggregation and the outlier checks share.
struct ScoreMatrix {
    let leafCount: Int
    /// Sheets of applicant a are rows start[a]..<start[a + 1].
    var start: [Int]
    var reviewer: [Int]
    /// rows × leafCount leaf points (NaN where missing); value leaves hold the applicant's computed points.
    var leaf: [Double]
    /// Each row's capped total.
    var total: [Double]
}

/// Aggregates one round of a panel. `round` defaults to the panel's current round; `method` (from the
/// command line) beats the panel's override, which beats `settings`. Throws when the rubric is not the
/// panel's, the round is unknown, or a method or view name is not known.
public func aggregatePanel(_ snapshot: PanelSnapshot, _ rubric: Rubric, settings: AggregationSettings,
                           outliers: OutlierSettings, round: String? = nil,
                           method: AggregationMethod? = nil) throws -> PanelResults {
    guard snapshot.panel.rubricId == rubric.id else {
        throw PingshenError("report.rubric_mismatch", [snapshot.panel.id, snapshot.panel.rubricId, rubric.id])
    }
    var rounds = [snapshot.panel.round]
    var seenRounds: Set<String> = [snapshot.panel.round]
    for s in snapshot.sheets where !seenRounds.contains(s.round) {
        seenRounds.insert(s.round)
        rounds.append(s.round)
    }
    let round = round ?? snapshot.panel.round
    guard seenRounds.contains(round) else {
        throw PingshenError("report.unknown_round", [round, snapshot.panel.id, rounds.joined(separator: "、")])
    }
    if let v = snapshot.panel.variant, !rubric.eligibility.isEmpty, rubric.variant(v) == nil {
        throw PingshenError("report.unknown_variant", [v, rubric.id, rubric.eligibility.map(\.id).joined(separator: ", ")])
    }
    let applied = try resolveSettings(panel: snapshot.panel, config: settings, outliers: outliers, method: method)
    let cr = CompiledRubric(rubric)
    let variant = rubric.variant(snapshot.panel.variant)

    // Index reviewers and applicants; group the round's sheets by applicant.
    let R = snapshot.reviewers.count
    let A = snapshot.applicants.count
    var rIndex: [String: Int] = [:]
    for (i, r) in snapshot.reviewers.enumerated() where rIndex[r.id] == nil { rIndex[r.id] = i }
    var aIndex: [String: Int] = [:]
    for (i, a) in snapshot.applicants.enumerated() where aIndex[a.id] == nil { aIndex[a.id] = i }
    var recused = Set<Int>()
    var recusedOf = [[Int]](repeating: [], count: A)
    var recusedFrom = [[Int]](repeating: [], count: R)
    for rc in snapshot.recusals {
        guard let a = aIndex[rc.applicant], let r = rIndex[rc.reviewer], !recused.contains(a * R + r) else { continue }
        recused.insert(a * R + r)
        recusedOf[a].append(r)
        recusedFrom[r].append(a)
    }
    // The latest sheet per (applicant, reviewer) wins should the snapshot hold two.
    var sheetOf = [Int](repeating: -1, count: A * R)
    var unsubmittedOf = [[Int]](repeating: [], count: A)
    var unsubmittedCount = [Int](repeating: 0, count: R)
    for (si, s) in snapshot.sheets.enumerated() where s.round == round {
        guard let a = aIndex[s.applicant], let r = rIndex[s.reviewer], !recused.contains(a * R + r) else { continue }
        if s.submitted {
            sheetOf[a * R + r] = si
        } else {
            unsubmittedOf[a].append(r)
            unsubmittedCount[r] += 1
        }
    }
    var start = [Int](repeating: 0, count: A + 1)
    var rowReviewer: [Int] = []
    rowReviewer.reserveCapacity(snapshot.sheets.count)
    for a in 0..<A {
        for r in 0..<R where sheetOf[a * R + r] >= 0 { rowReviewer.append(r) }
        start[a + 1] = rowReviewer.count
    }
    let rows = rowReviewer.count
    let L = cr.leafCount
    var leaf = [Double](repeating: .nan, count: rows * L)
    var rowTotal = [Double](repeating: 0, count: rows)
    var earned = [Double](repeating: 0, count: cr.nodeCount)
    var scratch = [Double](repeating: 0, count: Swift.max(R, 1))
    let tableProvisional = rubric.industries?.provisional ?? false

    var results: [ApplicantResult] = []
    results.reserveCapacity(A)
    var sheetsCounted = [Int](repeating: 0, count: R)

    for (a, app) in snapshot.applicants.enumerated() {
        var data = snapshot.data[app.id] ?? ApplicantData()
        if data.industry == nil { data.industry = app.industry }
        let industry = data.industry.flatMap { rubric.industries?.industry($0) }

        // Value leaves: scored once from the verified data, shared by every reviewer.
        var valuePoints = [Double](repeating: .nan, count: L)
        var missingData: [String] = []
        for li in cr.valueLeaves {
            let n = cr.nodes[cr.leafNode[li]]
            if let p = pointsFromValue(n, value: data.values[n.id], industry: industry) {
                valuePoints[li] = p
            } else {
                missingData.append(n.id)
            }
        }

        // Fill this applicant's rows and score each reviewer's total.
        let r0 = start[a], r1 = start[a + 1]
        let m = r1 - r0
        var gaps: [String] = []
        leaf.withUnsafeMutableBufferPointer { lp in
            earned.withUnsafeMutableBufferPointer { eb in
                for row in r0..<r1 {
                    let r = rowReviewer[row]
                    let sheet = snapshot.sheets[sheetOf[a * R + r]]
                    let base = row * L
                    var gap = false
                    for li in cr.pointsLeaves {
                        if let p = sheet.points[cr.leafIds[li]] { lp[base + li] = p } else { gap = true }
                    }
                    for li in cr.valueLeaves { lp[base + li] = valuePoints[li] }
                    if gap { gaps.append(snapshot.reviewers[r].id) }
                    rowTotal[row] = cr.score(UnsafeBufferPointer(rebasing: lp[base..<(base + L)]), earned: eb)
                    sheetsCounted[r] += 1
                }
            }
        }

        let applied1 = m > 0 ? effectiveMethod(applied.method, count: m, trimMinReviewers: applied.trimMinReviewers) : nil
        var totalsView: Double?
        var indicatorsView: Double?
        var reviewerTotals: [ReviewerScore] = []
        var spread: Spread?
        var nodes: [NodeScore] = []
        var provisionalNodes: [String] = []

        if let em = applied1 {
            // View (a): combine the reviewers' totals.
            let combined = scratch.withUnsafeMutableBufferPointer { sb -> Double in
                for k in 0..<m { sb[k] = rowTotal[r0 + k] }
                return combineInPlace(sb, count: m, method: em)
            }
            totalsView = combined
            // Which scores the trimmed mean dropped: the lowest and the highest (first reviewer in panel
            // order on ties).
            var lowRow = -1, highRow = -1
            if em == .trimmed {
                for row in r0..<r1 {
                    if lowRow < 0 || rowTotal[row] < rowTotal[lowRow] { lowRow = row }
                    if highRow < 0 || rowTotal[row] > rowTotal[highRow] { highRow = row }
                }
                if lowRow == highRow { highRow = lowRow == r0 ? r0 + 1 : r0 }
            }
            var lo = Double.infinity, hi = -Double.infinity
            for row in r0..<r1 {
                let t = rowTotal[row]
                lo = Swift.min(lo, t)
                hi = Swift.max(hi, t)
                reviewerTotals.append(ReviewerScore(reviewer: snapshot.reviewers[rowReviewer[row]].id, total: t,
                                                    trimmed: row == lowRow || row == highRow))
            }
            spread = Spread(min: lo, max: hi, range: hi - lo,
                            sd: Statistics.standardDeviation(Array(rowTotal[r0..<r1])))

            // View (b): combine each points leaf over the reviewers who scored it, then sum through the
            // tree with caps by scoring the combined points as one sheet.
            var combinedPoints: [String: Double] = [:]
            combinedPoints.reserveCapacity(cr.pointsLeaves.count)
            scratch.withUnsafeMutableBufferPointer { sb in
                for li in cr.pointsLeaves {
                    var c = 0
                    for row in r0..<r1 {
                        let p = leaf[row * L + li]
                        if !p.isNaN { sb[c] = p; c += 1 }
                    }
                    if c > 0 {
                        combinedPoints[cr.leafIds[li]] = combineInPlace(sb, count: c, method: em == .trimmed && c < 3 ? .mean : em)
                    }
                }
            }
            let sheet = scoreSheet(rubric: rubric, points: combinedPoints, data: data)
            indicatorsView = sheet.total
            nodes.reserveCapacity(cr.nodeCount)
            for (i, id) in cr.ids.enumerated() {
                let li = cr.leafOfNode[i]
                let pts: Double?
                if li >= 0 { pts = sheet.leafPoints[id] ?? nil } else { pts = sheet.nodeTotals[id] }
                nodes.append(NodeScore(id: id, level: cr.level[i], points: pts))
            }
            // Provisional numbers that contributed: provisional nodes on the path of every scored leaf,
            // and leaves scored through a provisional coefficient table.
            var marked = [Bool](repeating: false, count: cr.nodeCount)
            for li in 0..<L {
                let id = cr.leafIds[li]
                guard let p = sheet.leafPoints[id], p != nil else { continue }
                for v in cr.provisionalChain[li] { marked[v] = true }
                if tableProvisional && cr.provisionalCoefficient[li] && industry != nil { marked[cr.leafNode[li]] = true }
            }
            provisionalNodes = cr.ids.indices.filter { marked[$0] }.map { cr.ids[$0] }
        } else {
            nodes = cr.ids.indices.map { NodeScore(id: cr.ids[$0], level: cr.level[$0], points: nil) }
        }

        // Eligibility first, then quorum and data, then the grade.
        let outcomes = checkEligibility(variant, data: data)
        let failed = outcomes.filter { !$0.passed }.map {
            GateFailure(gate: $0.gate.id, field: $0.gate.field, name: $0.gate.name, nameEn: $0.gate.nameEn,
                        value: $0.value, unit: $0.gate.unit, requirement: $0.gate.conditionText,
                        provisional: $0.gate.provisional)
        }
        let provisionalGates = outcomes.filter { $0.gate.provisional }.map(\.gate.id)
        let quorumMet = m >= applied.quorum
        let status: ApplicantStatus = !failed.isEmpty ? .ineligible
            : (!quorumMet || !missingData.isEmpty) ? .incomplete : .graded
        // The one official score: the exact combination rounded half-up in decimal (四舍五入); display,
        // grade, rank and the seal's digest all come from it.
        var official: Double?
        var band: GradeBand?
        if status == .graded {
            official = (applied.view == .totals ? totalsView : indicatorsView).map { officialRound($0, decimals: applied.decimals).value }
            band = official.flatMap { rubric.grade(for: $0) }
        }
        results.append(ApplicantResult(
            id: app.id, name: app.name, industry: data.industry, status: status, failedGates: failed,
            counted: (r0..<r1).map { snapshot.reviewers[rowReviewer[$0]].id },
            recused: recusedOf[a].map { snapshot.reviewers[$0].id },
            unsubmitted: unsubmittedOf[a].map { snapshot.reviewers[$0].id },
            sheetsWithGaps: gaps, quorum: applied.quorum, quorumMet: quorumMet, missingData: missingData,
            method: applied1, reviewerTotals: reviewerTotals, totalsView: totalsView, indicatorsView: indicatorsView,
            total: official, grade: band?.name, gradeEn: band?.nameEn, rank: nil, tied: false, spread: spread,
            nodes: nodes, provisionalNodes: provisionalNodes, provisionalGates: provisionalGates,
            gradeProvisional: band != nil && rubric.gradesProvisional,
            provisional: !provisionalNodes.isEmpty || !provisionalGates.isEmpty || (band != nil && rubric.gradesProvisional),
            flagCount: 0))
    }

    // Calibrated method: the official score of every graded applicant is its adjusted score, fitted on
    // every counted sheet of the round (graded or not: each sheet tells about its reviewer).
    if applied.method == .calibrated {
        var calSheets: [CalibrationSheet] = []
        calSheets.reserveCapacity(rows)
        for a in 0..<A {
            for row in start[a]..<start[a + 1] {
                calSheets.append(CalibrationSheet(applicant: a, reviewer: rowReviewer[row], score: rowTotal[row]))
            }
        }
        let cal = calibrate(CalibrationInput(applicants: snapshot.applicants.map(\.id), reviewers: snapshot.reviewers.map(\.id),
                                             sheets: calSheets, grades: rubric.grades),
                            settings: CalibrationSettings(decimals: applied.decimals, replicates: 0))
        for a in 0..<A where results[a].status == .graded {
            guard let exact = cal.applicants[a].adjustedExact else { continue }
            let official = officialRound(exact, decimals: applied.decimals).value
            let band = rubric.grade(for: official)
            results[a].total = official
            results[a].grade = band?.name
            results[a].gradeEn = band?.nameEn
            results[a].gradeProvisional = band != nil && rubric.gradesProvisional
            results[a].provisional = !results[a].provisionalNodes.isEmpty || !results[a].provisionalGates.isEmpty
                || results[a].gradeProvisional
        }
    }

    // Rank graded applicants by the official (rounded) score as an exact integer key; equal scores share a
    // rank (并列).
    let graded = results.indices.compactMap { i -> (Int, Int64)? in
        guard let t = results[i].total else { return nil }
        return (i, officialRound(t, decimals: applied.decimals).key)
    }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    var pos = 0
    while pos < graded.count {
        var end = pos
        while end + 1 < graded.count && graded[end + 1].1 == graded[pos].1 { end += 1 }
        for k in pos...end {
            results[graded[k].0].rank = pos + 1
            results[graded[k].0].tied = end > pos
        }
        pos = end + 1
    }

    let matrix = ScoreMatrix(leafCount: L, start: start, reviewer: rowReviewer, leaf: leaf, total: rowTotal)
    let detection = detectOutliers(matrix: matrix, rubric: cr, snapshot: snapshot, settings: outliers)
    var flagCount = [Int](repeating: 0, count: A)
    for f in detection.flags {
        if let id = f.applicant, let a = aIndex[id] { flagCount[a] += 1 }
    }
    for a in 0..<A { results[a].flagCount = flagCount[a] }

    let reviewers = snapshot.reviewers.enumerated().map { (r, info) -> ReviewerResult in
        let st = detection.reviewerStats[r]
        return ReviewerResult(id: info.id, name: info.name, sheetsCounted: sheetsCounted[r],
                              recusedFrom: recusedFrom[r].map { snapshot.applicants[$0].id },
                              unsubmitted: unsubmittedCount[r], compared: st.compared,
                              meanDeviation: st.meanDeviation, standardError: st.standardError, t: st.t,
                              rankCorrelation: st.rankCorrelation,
                              flags: detection.flags.filter { $0.reviewer == info.id && $0.applicant == nil }.map(\.kind))
    }

    var provNodeSet = Set<String>()
    var provGateSet = Set<String>()
    for r in results {
        provNodeSet.formUnion(r.provisionalNodes)
        provGateSet.formUnion(r.provisionalGates)
    }
    let affected = results.filter { $0.provisional }.count
    let provisional = ProvisionalSummary(
        rubricHasProvisional: rubric.hasProvisional, gradesProvisional: rubric.gradesProvisional,
        nodes: cr.ids.filter { provNodeSet.contains($0) },
        gates: (variant?.gates ?? []).map(\.id).filter { provGateSet.contains($0) },
        applicants: affected, any: affected > 0)

    let indicators = cr.nodes.indices.map { i in
        IndicatorInfo(id: cr.ids[i], name: cr.nodes[i].name, nameEn: cr.nodes[i].nameEn, level: cr.level[i],
                      parent: cr.parent[i] >= 0 ? cr.ids[cr.parent[i]] : nil, weight: cr.weight[i],
                      leaf: cr.leafOfNode[i] >= 0, input: cr.nodes[i].isLeaf ? (cr.nodes[i].input ?? .points) : nil,
                      provisional: cr.inheritedProvisional[i])
    }
    return PanelResults(
        panel: snapshot.panel, round: round, rounds: rounds,
        rubric: RubricSummary(id: rubric.id, name: rubric.name, nameEn: rubric.nameEn, version: rubric.version,
                              total: rubric.total, grades: rubric.grades, gradesProvisional: rubric.gradesProvisional,
                              gradesNote: rubric.gradesNote),
        settings: applied, indicators: indicators, applicants: results, reviewers: reviewers,
        flags: detection.flags, agreement: detection.agreement, provisional: provisional,
        counts: StatusCounts(graded: results.filter { $0.status == .graded }.count,
                             incomplete: results.filter { $0.status == .incomplete }.count,
                             ineligible: results.filter { $0.status == .ineligible }.count))
}

/// The same aggregation with the settings of a loaded configuration.
public func aggregatePanel(_ snapshot: PanelSnapshot, _ rubric: Rubric, config: PingshenConfig,
                           round: String? = nil, method: AggregationMethod? = nil) throws -> PanelResults {
    try aggregatePanel(snapshot, rubric, settings: config.aggregation, outliers: config.outliers,
                       round: round, method: method)
}

/// The smallest difference between two allowed scores of a leaf: the discretionary step, the smallest gap
/// between tiers, the whole weight for an award; nil for an unrestricted discretionary leaf or a value leaf.
func scoreStep(_ leaf: RubricNode) -> Double? {
    switch leaf.rule {
    case .discretionary(let step)?: return step
    case .award?: return leaf.weight
    case .tiers(let tiers)?:
        let pts = tiers.map(\.points).sorted()
        return zip(pts, pts.dropFirst()).map { $1 - $0 }.filter { $0 > 1e-9 }.min()
    default: return nil
    }
}
