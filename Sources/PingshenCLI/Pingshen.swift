import ArgumentParser
import PingshenCore

/// The `pingshen` command.
public struct Pingshen: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "pingshen",
        abstract: "评审 Pingshen — expert-review scoring workbench.",
        subcommands: [RubricCommand.self, ServeCommand.self, ServerCommand.self, LoginCommand.self])
    @OptionGroup var global: GlobalOptions
    public init() {}
}
