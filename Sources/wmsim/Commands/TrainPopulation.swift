import ArgumentParser
import Foundation
import WMCore
import WMExperiments

extension TrainCommand {
    /// `wmsim train` over a population: plan, folder, batched training with progress, success table.
    func executePopulation() throws {
        guard networks == 1 else {
            throw ValidationError("--networks trains seeds of one point; in a population use --replicates (seeds per point)")
        }
        let p = try populationSpec()
        let sh = try shard.map { try SweepShard(parsing: $0) }
        let plan = try p.plan()
        let mine = plan.units(shard: sh)
        let backend = try backendOptions.make()
        var runner = TrainingPopulationRunner(spec: p, shard: sh)
        runner.retryErrors = retryErrors
        let axes = p.mode == .list ? "\(p.points?.count ?? 0) listed point(s)" : p.axes.map { "\($0.parameter.rawValue) (\($0.values.count))" }.joined(separator: ", ")
        let trials = p.base.trainTrials + p.base.testTrials + 16 * p.base.evaluationSeeds
        Console.note("population \(p.fingerprint): \(plan.points.count) point(s)\(axes.isEmpty ? "" : " over \(axes)") × \(p.replicates) seed(s) = \(plan.units.count) network(s)\(sh.map { "; shard \($0) trains \(mine.count)" } ?? ""); \(trials) trials of \(p.base.task.trialSteps) steps each")
        if dryRun {
            var rows: [[String]] = []
            for pt in plan.points {
                let n = pt.spec.network.n
                let b = runner.batchSize(n: n, pg: pt.spec.network.pg, backend: backend)
                let est = backend.feedbackMemory(networks: Swift.max(1, b), n: n, pg: pt.spec.network.pg)
                rows.append([String(pt.index), pt.label.isEmpty ? "(base)" : pt.label, String(mine.filter { $0.point == pt.index }.count),
                             b == 0 ? "does not fit" : String(b), Format.si(Double(est.device)) + "B", Format.si(Double(est.host)) + "B"])
            }
            print(Format.table(["point", "parameters", "networks (this shard)", "batch", "device memory/batch", "host memory/batch"], rows))
            print("\(Format.si(Double(mine.count * trials * p.base.task.trialSteps))) network-steps in this shard")
            return
        }
        let dir = try populationFolder(p)
        var bar: Progress? = nil
        let interruption = Interruption(file: dir.path)
        let summary = try runner.run(backend: backend, folder: dir, status: { st in
            interruption.update(kept: st.networksDone, total: st.networks)
            if bar == nil {
                bar = Progress("train", total: st.trials, unit: "trials", start: st.trialsDone)
                bar?.lineEvery = 30
            }
            bar?.update(st.trialsDone)
        }, note: { Console.note($0) })
        bar?.finish()
        for w in summary.warnings { Console.note("warning: \(w)") }
        let results = try TrainingResults.read(summary.output)
        let table = try TrainingSuccessTable(results)
        print(table.text())
        let csv = dir.appendingPathComponent(sh.map { "success-shard-\($0.index)-of-\($0.count).csv" } ?? "success.csv")
        try ResultWriter.text(table.csv(parameters: p.variedParameters.map(\.rawValue)), to: csv)
        print(String(format: "%d network(s) trained in %.1f s (%d batch(es))%@: %d learned, %d failed", summary.trained, summary.seconds, summary.batches,
                     summary.resumed > 0 ? ", \(summary.resumed) resumed" : "", summary.learned, summary.failed))
        print("wrote \(summary.output.path), \(csv.lastPathComponent) and \(dir.path)/networks/")
    }

    /// The population's folder: created, or reused when it holds this population (population.json
    /// with the same fingerprint), so that reruns resume and shards share it.
    func populationFolder(_ p: TrainingPopulationSpec) throws -> URL {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: out ?? "wmsim-out/train-\(p.fingerprint)")
        let marker = url.appendingPathComponent("population.json")
        if fm.fileExists(atPath: marker.path) {
            let held: TrainingPopulationSpec
            do { held = try JSONDecoder().decode(TrainingPopulationSpec.self, from: Data(contentsOf: marker)) } catch {
                throw WMError.file(path: marker.path, reason: "cannot be read as a population (\(error)); choose another --out")
            }
            if let why = TrainingResults.mismatch(p, held) {
                throw WMError.file(path: url.path, reason: "holds another population (fingerprint \(held.fingerprint), this one \(p.fingerprint)): \(why); choose another --out")
            }
            return url
        }
        if let items = try? fm.contentsOfDirectory(atPath: url.path), !items.isEmpty, !force {
            throw WMError.file(path: url.path, reason: "is not empty and holds no population; choose another --out (or --force to write into it)")
        }
        do { try fm.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw WMError.file(path: url.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        try ResultWriter.json(p, to: marker)
        return url
    }
}
