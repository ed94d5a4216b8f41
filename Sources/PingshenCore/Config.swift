import Foundation

/// Grade bands kept in the configuration for a rubric whose source gives none.
public struct GradeBandSet: Sendable, Equatable {
    public var bands: [GradeBand]
    public var provisional: Bool
    public var note: String?
    public init(bands: [GradeBand], provisional: Bool, note: String?) {
        self.bands = bands
        self.provisional = provisional
        self.note = note
    }
}

/// How a panel's sheets are combined, unless the panel says otherwise.
public struct AggregationSettings: Sendable, Equatable {
    /// `auto` (trimmed mean from `trimMinReviewers` scoring reviewers up, plain mean below), `trimmed`,
    /// `mean` or `median`.
    public var method: AggregationMethod
    /// From this many scoring reviewers up, `auto` drops one highest and one lowest score.
    public var trimMinReviewers: Int
    /// Fewest submitted sheets for an applicant to be graded.
    public var quorum: Int
    /// `totals` (combine reviewers' totals) or `indicators` (combine per indicator, then sum).
    public var view: AggregationView
    /// Decimals of the official score (rounded half-up, 四舍五入), from which display, grade and rank derive.
    public var decimals: Int
    /// A grade whose chance of changing under another draw of reviewers is above this is flagged (calibrate).
    public var stabilityThreshold: Double

    public init(method: AggregationMethod = .auto, trimMinReviewers: Int = 5, quorum: Int = 3, view: AggregationView = .totals,
                decimals: Int = 2, stabilityThreshold: Double = 0.2) {
        self.method = method
        self.trimMinReviewers = trimMinReviewers
        self.quorum = quorum
        self.view = view
        self.decimals = decimals
        self.stabilityThreshold = stabilityThreshold
    }
}

/// Thresholds of the outlier flags (docs/statistics.md explains each).
public struct OutlierSettings: Sendable, Equatable {
    /// Robust z (leave-one-out, median and scaled MAD) above which a single score is flagged.
    public var scoreZ: Double
    /// A single score is flagged only when it is also this share of the indicator's weight away from
    /// the others' median (so tiny indicators do not flag noise).
    public var scoreFloorShare: Double
    /// The others' spread (1.4826 × MAD) is taken as at least this share of the weight (and at least the
    /// leaf's score step) when computing the robust z.
    public var scoreScaleFloorShare: Double
    /// Panel disagreement on an applicant: range of totals above this share of the rubric total.
    public var disagreementRangeShare: Double
    /// Severity / leniency: mean signed deviation (points of the total) above which a reviewer is flagged…
    public var biasPoints: Double
    /// …and only when it is this many standard errors from zero.
    public var biasT: Double
    /// Inconsistency: Spearman correlation of a reviewer's order with the rest of the panel below this.
    public var minRankCorrelation: Double
    /// Fewest applicants a reviewer must have scored for bias and consistency to be judged.
    public var minApplicantsForReviewerFlags: Int

    public init(scoreZ: Double = 3.5, scoreFloorShare: Double = 0.2, scoreScaleFloorShare: Double = 0.05,
                disagreementRangeShare: Double = 0.2,
                biasPoints: Double = 4, biasT: Double = 2.5, minRankCorrelation: Double = 0.3,
                minApplicantsForReviewerFlags: Int = 4) {
        self.scoreZ = scoreZ
        self.scoreFloorShare = scoreFloorShare
        self.scoreScaleFloorShare = scoreScaleFloorShare
        self.disagreementRangeShare = disagreementRangeShare
        self.biasPoints = biasPoints
        self.biasT = biasT
        self.minRankCorrelation = minRankCorrelation
        self.minApplicantsForReviewerFlags = minApplicantsForReviewerFlags
    }
}

/// The settings in `Config/pingshen.yaml`.
public struct PingshenConfig: Sendable, Equatable {
    /// Default database file, relative to the working directory.
    public var database: String
    public var gradeBands: [String: GradeBandSet]
    public var aggregation: AggregationSettings
    public var outliers: OutlierSettings

    public init(database: String = "pingshen.sqlite", gradeBands: [String: GradeBandSet] = [:],
                aggregation: AggregationSettings = AggregationSettings(),
                outliers: OutlierSettings = OutlierSettings()) {
        self.database = database
        self.gradeBands = gradeBands
        self.aggregation = aggregation
        self.outliers = outliers
    }
}
