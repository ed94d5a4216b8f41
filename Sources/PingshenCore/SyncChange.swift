import Foundation

// The change that travels between a reviewer's laptop and the panel server, in one type for every place it
// goes: the local outbox, the push request, the server's rules and feed, and the local application of a
// pull. JSON keys are snake_case through CodingKeys (docs/openapi.yaml).

/// Who a server token speaks for, and in what role a local copy of a panel is linked to its server.
/// `admin`: the server's first chair (from `pingshen server init`): creates panels and is chair of every
/// panel. `chair`: chair of one panel. `reviewer`: one reviewer of one panel.
public enum PanelRole: String, Codable, Sendable, CaseIterable {
    case admin
    case chair
    case reviewer

    /// The chair of a panel, or the admin (who chairs every panel).
    public var chairs: Bool { self != .reviewer }
}

/// What a change does. The first five come from clients; the last three are written by the server into
/// the change feed when the chair acts, so that every client learns of them on its next pull.
public enum ChangeKind: String, Codable, Sendable, CaseIterable {
    case setPoints = "set_points"
    case clearPoints = "clear_points"
    case setNote = "set_note"
    case submit
    case reopen
    case panelUpdated = "panel_updated"
    case released
    case sealed

    public static let clientKinds: [ChangeKind] = [.setPoints, .clearPoints, .setNote, .submit, .reopen]

    public var isClientKind: Bool { Self.clientKinds.contains(self) }

    /// The kinds that write one cell of a sheet (points or note of a leaf).
    public var isCell: Bool { self == .setPoints || self == .clearPoints || self == .setNote }
}

/// The longest note and reason a change may carry: the server refuses longer ones, so a local copy refuses them
/// at entry (a queued change must never be refused later).
public enum ChangeLimits {
    public static let note = 4000
    public static let reason = 1000
}

/// One change a reviewer made on a device. `changeId` (a UUID the device generates once, when the change
/// is made) makes a retried push apply it exactly once.
public struct Change: Codable, Sendable, Equatable {
    public var changeId: String
    public var device: String
    public var kind: ChangeKind
    public var reviewer: String
    public var applicant: String
    public var round: String
    /// The indicator (leaf) of set_points, clear_points and set_note.
    public var leaf: String?
    /// The points of set_points.
    public var value: Double?
    /// The text of set_note (nil or empty clears the note).
    public var note: String?
    /// Why: required for reopen, optional otherwise; kept in the audit log.
    public var reason: String?
    /// When the reviewer made the change on the device (UTC, ISO 8601). Informational: order is the server's.
    public var clientTime: String

    public init(changeId: String = UUID().uuidString.lowercased(), device: String, kind: ChangeKind,
                reviewer: String, applicant: String, round: String, leaf: String? = nil, value: Double? = nil,
                note: String? = nil, reason: String? = nil, clientTime: String = UTCTime.now()) {
        self.changeId = changeId
        self.device = device
        self.kind = kind
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.leaf = leaf
        self.value = value
        self.note = note
        self.reason = reason
        self.clientTime = clientTime
    }

    enum CodingKeys: String, CodingKey {
        case changeId = "change_id"
        case device
        case kind
        case reviewer
        case applicant
        case round
        case leaf
        case value
        case note
        case reason
        case clientTime = "client_time"
    }

    /// The value a person reads for the change (points, note, or the reason of a reopen).
    public var shownValue: String {
        switch kind {
        case .setPoints: return value.map { formatNumber($0) } ?? "—"
        case .setNote: return note ?? ""
        case .clearPoints: return "—"
        default: return reason ?? kind.rawValue
        }
    }
}

/// A change as the server's feed returns it, in `seq` order: a reviewer's change as the server received
/// it, or an event the server wrote (panel_updated, released, sealed; these name no sheet).
public struct FeedChange: Codable, Sendable, Equatable {
    public var seq: Int64
    public var changeId: String
    public var kind: ChangeKind
    public var device: String?
    public var reviewer: String?
    public var applicant: String?
    public var round: String?
    public var leaf: String?
    public var value: Double?
    public var note: String?
    public var reason: String?
    public var clientTime: String?
    /// The server's receive time (what last-writer-wins orders by).
    public var receivedAt: String
    /// Who sent it, as the server's audit log names the caller (e.g. `reviewer:P1/r1@r1-laptop`: the device
    /// is the one named at login).
    public var actor: String?

    public init(seq: Int64, changeId: String, kind: ChangeKind, device: String?, reviewer: String?,
                applicant: String?, round: String?, leaf: String?, value: Double?, note: String?,
                reason: String?, clientTime: String?, receivedAt: String, actor: String? = nil) {
        self.seq = seq
        self.changeId = changeId
        self.kind = kind
        self.device = device
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.leaf = leaf
        self.value = value
        self.note = note
        self.reason = reason
        self.clientTime = clientTime
        self.receivedAt = receivedAt
        self.actor = actor
    }

    enum CodingKeys: String, CodingKey {
        case seq
        case changeId = "change_id"
        case kind
        case device
        case reviewer
        case applicant
        case round
        case leaf
        case value
        case note
        case reason
        case clientTime = "client_time"
        case receivedAt = "received_at"
        case actor
    }
}

/// Where a change of the outbox stands.
public enum OutboxState: String, Codable, Sendable, CaseIterable {
    /// Made locally, not yet acknowledged by the server.
    case pending
    /// Acknowledged: applied (now or earlier, for a replay).
    case sent
    /// Refused by the server: nothing changed there; kept so that the user can see it (sync --refused).
    case refused
}

/// A score this device wrote that another device's later write replaced on the server (last writer wins),
/// kept so that the user is told and can list it (`pingshen sync --conflicts`).
public struct SyncConflict: Codable, Sendable, Equatable {
    public var panel: String
    public var reviewer: String
    public var applicant: String
    public var round: String
    /// The leaf, with `note:` before it for a note.
    public var cell: String
    /// What this device had sent.
    public var mine: String?
    /// What the server kept.
    public var winner: String?
    /// Who wrote the winning value (reviewer and device) and when the server received it.
    public var winnerBy: String
    public var winnerAt: String
    public var serverSeq: Int64

    public init(panel: String, reviewer: String, applicant: String, round: String, cell: String, mine: String?,
                winner: String?, winnerBy: String, winnerAt: String, serverSeq: Int64) {
        self.panel = panel
        self.reviewer = reviewer
        self.applicant = applicant
        self.round = round
        self.cell = cell
        self.mine = mine
        self.winner = winner
        self.winnerBy = winnerBy
        self.winnerAt = winnerAt
        self.serverSeq = serverSeq
    }
}
