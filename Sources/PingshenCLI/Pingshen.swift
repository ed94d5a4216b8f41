import ArgumentParser
import PingshenCore

/// The version `pingshen --version` prints.
public let pingshenVersion = "0.3.0"

/// The `pingshen` command.
public struct Pingshen: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pingshen",
        abstract: "评审 Pingshen — expert-review scoring workbench.",
        version: pingshenVersion,
        subcommands: [RubricCommand.self, PanelCommand.self, ReviewerCommand.self, ApplicantCommand.self, DataCommand.self,
                      ScoreCommand.self, ImportCommand.self, SheetCommand.self, StatusCommand.self, AuditCommand.self,
                      ResultsCommand.self, OutliersCommand.self, CalibrateCommand.self, FinalizeCommand.self, VerifyCommand.self, ExportCommand.self,
                      SampleCommand.self, ServeCommand.self, ServerCommand.self, LoginCommand.self,
                      PushCommand.self, SyncCommand.self, PoolCommand.self, DrawCommand.self, AssignCommand.self,
                      OpinionCommand.self, ArchiveCommand.self])
    @OptionGroup var global: GlobalOptions
    public init() {}
}
