import ArgumentParser
import Foundation
import WMCore
import WMExperiments


/// `wmsim sweep`: capacity over a grid or list of parameter points, R network seeds each.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Sweep network parameters and measure capacity at every point (resumable, shardable).",
        discussion: """
            Axes: --vary NAME=v1,v2,… or --vary NAME=from:to:steps[:log], repeated, for any of
            N, g, gIn, sp, spIn, nIn, leak, noise, bias and X (the recalled lag: a readout
            parameter, r is stored for every lag so X costs no extra simulation). --mode grid
            takes every combination; one-at-a-time varies each axis with the others at the
            base values (the seed's design). Or a sweep file (--config, TOML/JSON; see
            docs/parameter-study.md). Replicate r of every point uses network seed
            (--seed + r): points differ only in their parameters.
            Networks sharing N and nIn run together in batched launches. Every batch is
            appended to a JSON Lines file (a header, then one row per network) and synced:
            rerun the same command to resume after an interruption. --shard i/n runs every
            n-th network (point · replicates + replicate mod n); `wmsim merge` joins the shards. Sweeps decode with ridge only unless
            --decoders says otherwise.
            """)

    @OptionGroup var sweep: SweepOptions
    @OptionGroup var backendOptions: BackendOptions

    @Option(help: "Results file (JSON Lines; default wmsim-out/sweep-<fingerprint>[-shard-i-of-n].jsonl). An existing file of the same sweep is resumed.", completion: .file(extensions: ["jsonl"])) var out: String?
    @Option(help: "Run shard i of n (0-based: 0/4 … 3/4): every n-th network.") var shard: String?
    @Option(help: "Readout memory per batch in GiB.") var memoryBudget: Double = 2
    @Flag(help: "Print the plan (points, networks, batches, memory) and exit.") var dryRun = false
    @Flag(help: "Rerun the networks whose row holds an error (e.g. out of memory) instead of skipping them on resume.") var retryErrors = false

    func run() throws {
        do { try execute() } catch let e as WMError { throw CLIError(e.description) }
    }

    func execute() throws {
        let s = try sweep.spec()
        let sh = try shard.map { try SweepShard(parsing: $0) }
        let plan = try s.plan()
        var runner = SweepRunner(spec: s, shard: sh)
        runner.retryErrors = retryErrors
        guard memoryBudget > 0, memoryBudget.isFinite else { throw ValidationError("--memory-budget must be > 0 GiB") }
        runner.memoryBudget = Int(memoryBudget * Double(1 << 30))
        let mine = plan.points(shard: sh)
        let largest = mine.map { SweepRunner.bytesPerNetwork($0.spec) }.max() ?? 0
        let axesText = s.mode == .list ? "\(s.points?.count ?? 0) listed point(s)" : s.axes.map { "\($0.parameter.rawValue) (\($0.values.count))" }.joined(separator: ", ")
        Console.note("sweep \(s.fingerprint): \(s.mode.rawValue) over \(axesText) → \(plan.points.count) point(s) × \(s.replicates) seed(s) = \(plan.unitCount) networks\(sh.map { "; shard \($0) runs \(mine.count) point(s)" } ?? ""); \(s.base.totalSteps) steps each, decoders \(s.base.decoders.map(\.rawValue).joined(separator: "+")); readout memory up to \(Format.si(Double(largest)))B per network")
        if largest > runner.memoryBudget {
            Console.note("note: one network's readout (\(Format.si(Double(largest)))B) exceeds --memory-budget; such networks run one at a time")
        }
        if dryRun {
            let rows = mine.map { p in [String(p.index), p.label, p.onAxes.map(\.rawValue).joined(separator: ","), Format.si(Double(SweepRunner.bytesPerNetwork(p.spec))) + "B"] }
            print(Format.table(["point", "parameters", "on axes", "memory/network"], rows))
            return
        }
        let url = URL(fileURLWithPath: out ?? "wmsim-out/sweep-\(s.fingerprint)\(sh.map { "-shard-\($0.index)-of-\($0.count)" } ?? "").jsonl")
        let backend = try backendOptions.make()
        // Every point is checked up front (one network: batches shrink to fit the readout budget).
        for p in mine {
            do {
                try p.spec.checkSegments()
                try p.spec.memory(networks: 1, backend: backend).check(capabilities: backend.capabilities, what: "sweep point \(p.index) (\(p.label)), one network")
            } catch let e as WMError { throw CLIError(e.description) }
        }
        var sources: [Int: InputSource] = [:]
        var bar: Progress? = nil
        let interruption = Interruption(file: url.path)
        let summary = try runner.run(backend: backend, output: url, input: { nIn in
            if let src = sources[nIn] { return src }
            let src = try InputOptions.source(s.base.input, nIn: nIn)
            sources[nIn] = src
            return src
        }, status: { st in
            if bar == nil {
                bar = Progress("sweep", total: st.total, unit: "networks", start: st.resumed)
                bar?.lineEvery = 30
            }
            interruption.update(kept: st.done, total: st.total)
            bar?.update(st.done)
        }, note: { Console.note($0) })
        bar?.finish()
        for w in summary.warnings { Console.note("warning: \(w)") }
        let results = try SweepResults.read(url)
        print(SweepTable.pointMeans(results, plan: plan, shard: sh))
        print(String(format: "%d network(s) measured in %.1f s (%.2f networks/s, %d batch(es))%@; %d failed", summary.measured, summary.seconds,
                     summary.networksPerSecond, summary.batches, summary.resumed > 0 ? ", \(summary.resumed) resumed" : "", summary.failed))
        print("wrote \(url.path)")
    }
}
