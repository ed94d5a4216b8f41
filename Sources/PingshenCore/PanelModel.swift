import Foundation

/// A review panel (评审组): one rubric, one round at a time, its own aggregation settings.
public struct PanelInfo: Sendable, Equatable, Codable {
    public var id: String
    public var rubricId: String
    public var title: String
    /// The current round, e.g. 初评, then 现场考察 or 综合评议.
    public var round: String
    /// Eligibility variant of the rubric (nil: the rubric's first).
    public var variant: String?
    /// Aggregation overrides for this panel (nil: the config's defaults).
    public var method: AggregationMethod?
    public var quorum: Int?
    public var view: AggregationView?
    /// Set once the panel is sealed (finalized).
    public var sealedAt: String?
    public var sealedBy: String?

    public init(id: String, rubricId: String, title: String, round: String, variant: String? = nil,
                method: AggregationMethod? = nil, quorum: Int? = nil, view: AggregationView? = nil, sealedAt: String? = nil,
                sealedBy: String? = nil) {
        self.id = id
        self.rubricId = rubricId
        self.title = title
        self.round = round
        self.variant = variant
        self.method = method
        self.quorum = quorum
        self.view = view
        self.sealedAt = sealedAt
        self.sealedBy = sealedBy
    }
}

/// A reviewer (评审专家) of a panel.
public struct ReviewerInfo: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// An applicant (申报单位) of a panel.
public struct ApplicantInfo: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var industry: String?
    public init(id: String, name: String, industry: String? = nil) {
        self.id = id
        self.name = name
        self.industry = industry
    }
}

/// One reviewer's score sheet for one applicant in one round: points per `points` leaf.
public struct SheetRecord: Sendable, Equatable, Codable {
    public var reviewer: String
    public var applicant: String
    public var round: String
    public var points: [String: Double]
    public var notes: [String: String]
    public var submitted: Bool

    public init(reviewer: String, applicant: String, round: String, points: [String: Double] = [:],
                notes: [String: String] = [:], submitted: Bool = false) {
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.points = points
        self.notes = notes
        self.submitted = submitted
    }
}

/// A conflict of interest (回避): the reviewer neither scores nor counts for the applicant.
public struct Recusal: Sendable, Equatable, Codable {
    public var reviewer: String
    public var applicant: String
    public var reason: String
    public init(reviewer: String, applicant: String, reason: String) {
        self.reviewer = reviewer
        self.applicant = applicant
        self.reason = reason
    }
}

/// Everything the chair's computations read about a panel: the store produces it, the pure core
/// aggregates it. Sheets of every round are included; each carries its round.
public struct PanelSnapshot: Sendable, Equatable {
    public var panel: PanelInfo
    public var reviewers: [ReviewerInfo]
    public var applicants: [ApplicantInfo]
    /// Verified data (核定数据) by applicant id; the industry is copied from the applicant when the
    /// data block gives none.
    public var data: [String: ApplicantData]
    public var sheets: [SheetRecord]
    public var recusals: [Recusal]

    public init(panel: PanelInfo, reviewers: [ReviewerInfo], applicants: [ApplicantInfo],
                data: [String: ApplicantData], sheets: [SheetRecord], recusals: [Recusal]) {
        self.panel = panel
        self.reviewers = reviewers
        self.applicants = applicants
        self.data = data
        self.sheets = sheets
        self.recusals = recusals
    }

    public func isRecused(_ reviewer: String, _ applicant: String) -> Bool {
        recusals.contains { $0.reviewer == reviewer && $0.applicant == applicant }
    }
}
