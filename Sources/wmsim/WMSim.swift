import ArgumentParser
import Foundation
import WMCore

@main
struct WMSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wmsim",
        abstract: "Working memory of recurrent rate networks: simulate, cross-check and benchmark on OpenCL devices and the CPU.",
        version: WMSimVersion.string,
        subcommands: [CapacityCommand.self, TrainCommand.self, AnalyzeCommand.self, SweepCommand.self, StatsCommand.self, ExportCommand.self, ReportCommand.self, OptimizeCommand.self, MergeCommand.self, SlurmCommand.self,
                      SimulateCommand.self, DevicesCommand.self, CrossCheckCommand.self, BenchCommand.self],
        defaultSubcommand: nil)
}
