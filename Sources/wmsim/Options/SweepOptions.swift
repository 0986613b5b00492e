import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension SweepMode: ExpressibleByArgument {}

/// The sweep definition shared by `sweep` and `slurm`: a sweep file, axes, mode, replicates, and
/// the base network and measurement.
struct SweepOptions: ParsableArguments {
    @OptionGroup var net: NetworkOptions
    @OptionGroup var measure: CapacityOptions

    @Option(help: "Sweep file (.toml or .json: mode, replicates, [base], [[axes]], points); flags override it.", completion: .file(extensions: ["json", "toml"])) var config: String?
    @Option(name: .customLong("vary"), help: "An axis: NAME=v1,v2,… or NAME=from:to:steps[:log] (repeat for more axes).") var vary: [String] = []
    @Option(help: "How axes combine: grid, one-at-a-time or list (default grid; list needs a sweep file with points).") var mode: SweepMode?
    @Option(help: "Network seeds per point (default 5).") var replicates: Int?
    func spec() throws -> SweepSpec {
        var s = try config.map { try SweepSpec.load(URL(fileURLWithPath: $0)) } ?? SweepSpec()
        net.apply(to: &s.base.network)
        try measure.apply(to: &s.base)
        if let m = mode { s.mode = m }
        if let r = replicates { s.replicates = r }
        if !vary.isEmpty {
            let given = try SweepAxis.parsing(options: vary)
            // Flags replace file axes of the same parameter and add the others.
            for a in given {
                if let i = s.axes.firstIndex(where: { $0.parameter == a.parameter }) { s.axes[i] = a } else { s.axes.append(a) }
            }
        }
        try s.validate()
        return s
    }

}
