import Foundation

/// A written opinion on one applicant (评审意见): the panel's (`reviewer` nil, recorded by the chair) or one
/// expert's reservation (保留意见, `reviewer` set). `at` is stored UTC ISO 8601; people read it in Beijing time.
public struct PanelOpinion: Sendable, Equatable, Codable {
    public var applicant: String
    /// Nil for the panel's opinion; the reviewer id for a reservation.
    public var reviewer: String?
    public var text: String
    public var at: String
    public var by: String

    public init(applicant: String, reviewer: String? = nil, text: String, at: String, by: String) {
        self.applicant = applicant
        self.reviewer = reviewer
        self.text = text
        self.at = at
        self.by = by
    }

    public var isReservation: Bool { reviewer != nil }
}

/// The longest opinion accepted, in characters.
public let opinionMaxLength = 4000
