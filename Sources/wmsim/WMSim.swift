import ArgumentParser
import Foundation
import WMCore

@main
struct WMSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wmsim",
        abstract: "Working memory of recurrent rate networks: simulate, cross-check and benchmark on OpenCL devices and the CPU.",
        version: WMSimVersion.string,
        subcommands: [Capacity.self, Sweep.self, Stats.self, Optimize.self, Merge.self, Slurm.self, Simulate.self, Devices.self, Crosscheck.self, Bench.self],
        defaultSubcommand: nil)
}
