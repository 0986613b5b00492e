import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim bench`: throughput on the standard workloads, optionally beside the Python peers.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Throughput on the standard workloads (synaptic updates/s, steps/s, GB/s vs the measured bandwidth).",
        discussion: """
            Workloads (Benchmarks/README.md): A N=1000 sp=0.25 10000 steps; B N=10^4
            sp=0.01 2000 steps; C N=10^5 sp=0.001 200 steps; D N=10^6 sp=10^-4 (100
            synapses per neuron) 20 steps; E 500 networks of N 100–2000; G N=10^7 sp=10^-4
            (10^10 synapses, procedural, GPUs only, no peer) 10 steps. --format
            ell,procedural runs each workload stored and procedural, beside the same peers.
            Leaky rule a=1, tanh, gIn=10, spIn=0.05, uniform input, nothing recorded.
            Synaptic updates/s = nnz·steps·batch/s (nnz, not N², also for dense storage).
            GB/s counts the bytes the format must read per step; the share is against a
            copy kernel on the same device. --peers runs Benchmarks/peers/peers.py after
            each workload (side by side) and prints wmsim/best-peer ratios.
            F is FORCE training (docs/training.md): N=1000, pg=0.7, g=1.2, fb=10, the
            reference 350-step trials, 20 trials per repeat (2 with --quick), the batch
            being the number of networks trained together. Its figure is network-steps/s;
            GB/s counts g·J every step and P for every rank-1 update; its peers are
            Benchmarks/peers/force_peer.py in NumPy and, where JAX imports, in JAX.
            P is the fixed-point search (docs/analysis.md §3): its Adam phase on the closed
            loop of an untrained N=1000 network from 1000 starts (the batch, if not 1 or 64,
            sets the starts), 200 iterations per repeat (20 with --quick), float32 on the
            backend's dense ops. Its figure is start-iterations/s and GFLOP/s against the
            same backend's GEMM; its peers are Benchmarks/peers/fixedpoint_peer.py.
            """)

    @OptionGroup var backendOptions: BackendOptions
    @Option(help: "Workloads, e.g. A,B,C,D,E,F,P.") var workloads: String = "A,B,C"
    @Option(help: "Batches (independent trials), e.g. 1,64 (E runs batch 1 only).") var batches: String = "1,64"
    @Option(help: "Weight storage: auto, dense, ell, csr, procedural; several separated by commas run each workload in each (e.g. ell,procedural).") var format: String = "auto"
    @Option(help: "Precision of the stored weights: fp32, fp16, bf16; several separated by commas run each workload in each (e.g. fp32,bf16).") var weightPrecision: String = "fp32"
    @Option(help: "OpenCL ell: sort rows by length within windows of this many rows (SELL-C-σ; 1 = no sorting).") var sellSigma: Int = SELLLayout.defaultSigma
    @Option(help: "OpenCL: many steps per launch (work-group per trajectory): auto, yes or no.") var fused: String = "auto"
    @Option(help: "Timed repeats per workload (median reported).") var repeats: Int = 3
    @Flag(help: "10× fewer steps (smoke test).") var quick = false
    @Flag(help: "Run the Python peers side by side and print ratios.") var peers = false
    @Option(help: "Python for the peers.") var python: String = "python3"
    @Option(help: "Write results as JSON to this file (an existing file is refused unless --force).", completion: .file(extensions: ["json"])) var json: String?
    @Flag(help: "Overwrite an existing --json file.") var force = false

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be ≥ 1") }
        if !["auto", "yes", "no"].contains(fused) { throw ValidationError("--fused must be auto, yes or no") }
        if sellSigma < 1 { throw ValidationError("--sell-sigma must be ≥ 1 (1: no sorting)") }
        // Checked here, before the backend opens: a benchmark can run for many minutes, and its
        // results must neither replace an unrelated file nor be lost to a refusal at the end.
        if let path = json, FileManager.default.fileExists(atPath: path), !force {
            throw ValidationError("--json \(path) exists; choose another file or pass --force to overwrite it")
        }
    }

    struct Row: Codable {
        var wmsim: ThroughputResult
        var bandwidthShare: Double
        var bestPeer: String?
        var bestPeerUpdatesPerSecond: Double?
        var ratio: Double?
        var peerFigures: [[String: Double]]?
        /// Each peer that ran and the library versions it ran with.
        var peerVersions: [String: String]?
    }

    struct Report: Codable {
        var provenance: Provenance
        var deviceBandwidthGBs: Double
        var rows: [Row]
        var force: [ForceRow]
        var fixedPoints: [FixedPointRow]
    }

    func run() throws {
        let backend = try backendOptions.make()
        let ids = workloads.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        let bs = try batches.split(separator: ",").map { s -> Int in
            guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 1 else { throw ValidationError("bad batch '\(s)'") }
            return v
        }
        var list: [Workload] = []
        for id in ids where id != "F" && id != "P" {
            for b in (id == "E" ? [1] : bs) {
                guard let w = StandardWorkloads.workload(id, batch: b, quick: quick) else {
                    throw ValidationError("unknown workload '\(id)'; choose from A, B, C, D, E, F, G, P")
                }
                list.append(w)
            }
        }
        let forceBatches = ids.contains("F") ? bs : []
        // P's batch is its number of starts: the standard 1000 unless other batches are asked for.
        let fixedPointStarts = ids.contains("P") ? Array(Set(bs.map { $0 == 1 || $0 == 64 ? 1000 : $0 })).sorted() : []
        let peerScript = peers ? try PeerScript.locate() : nil
        let bw = try backend.measureCopyBandwidth()
        Console.note(String(format: "device copy bandwidth: %.1f GB/s", bw))
        let formats = try format.split(separator: ",").map { f -> WeightFormat in
            guard let v = WeightFormat(rawValue: f.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("bad --format '\(f)'; choose from \(WeightFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
        let precisions = try weightPrecision.split(separator: ",").map { f -> WeightPrecision in
            guard let v = WeightPrecision(rawValue: f.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("bad --weight-precision '\(f)'; choose from \(WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
        let variants = formats.flatMap { f in precisions.map { (f, $0) } }.filter { $0.0 != .procedural || $0.1 == .fp32 }
        if variants.isEmpty && !list.isEmpty {
            throw ValidationError("--format procedural stores no weights, so --weight-precision \(weightPrecision) leaves nothing to run; add fp32 or a stored format")
        }
        if formats.contains(.procedural) && precisions.contains(where: { $0 != .fp32 }) {
            Console.note("procedural weights store nothing: they run in fp32 only")
        }
        var rows: [Row] = []
        for w in list {
            // The peers run once per workload; each format's row is compared with the same figures.
            var peerFigures: [PeerScript.Figure]? = nil
            for (fmt, precision) in variants {
                Console.note("running \(w.name) (\(w.description))\(formats.count > 1 ? ", --format \(fmt.rawValue)" : "")"
                             + "\(precisions.count > 1 ? ", --weight-precision \(precision.rawValue)" : "")…")
                if let note = try? WeightFormatChoice.resolve(fmt, ensemble: StandardWorkloads.ensemble(for: w), networksGiven: false,
                                                              capabilities: backend.capabilities, precision: precision).note {
                    Console.note(note)
                }
                let r: ThroughputResult
                do {
                    r = try Throughput.run(w, backend: backend, format: fmt, precision: precision, sellSigma: sellSigma,
                                           fusedSteps: fused == "auto" ? nil : fused == "yes", repeats: repeats, warmupSteps: Throughput.defaultWarmupSteps(for: w))
                } catch let e as WMError {
                    throw CLIError(e.description)
                }
                var row = Row(wmsim: r, bandwidthShare: r.effectiveGBPerSecond / bw)
                if let script = peerScript, !w.needsOwnDeviceMemory {
                    if peerFigures == nil {
                        Console.note("  peers on \(w.name)…")
                        peerFigures = try PeerScript.run(script, python: python, workload: w.id, batch: w.batch, quick: quick, repeats: repeats)
                    }
                    let figs = peerFigures ?? []
                    if let best = figs.max(by: { $0.updates < $1.updates }) {
                        row.bestPeer = best.peer
                        row.bestPeerUpdatesPerSecond = best.updates
                        row.ratio = r.synapticUpdatesPerSecond / best.updates
                    }
                    row.peerFigures = figs.map { ["updates_per_s": $0.updates] }
                    row.peerVersions = Dictionary(figs.compactMap { f in f.version.map { (f.peer, $0) } }, uniquingKeysWith: { a, _ in a })
                }
                rows.append(row)
                print(line(row))
                fflush(nil)  // keep finished rows even if a later workload is interrupted
            }
        }
        let forceRows = try runForce(batches: forceBatches, backend: backend, bandwidth: bw, peerScript: peerScript)
        let fixedPointRows = try runFixedPoints(starts: fixedPointStarts, backend: backend, peerScript: peerScript)
        if !rows.isEmpty {
        print("")
        print(Format.table(["workload", "format", "steps/s", "G syn/s", "GB/s", "% of copy BW", "best peer", "peer G syn/s", "ratio"], rows.map { r in
            let w = r.wmsim
            return ["\(w.workload)-b\(w.batch)", w.format + (w.weightPrecision.map { " " + $0 } ?? "") + (w.fused == true ? " fused" : ""), Format.si(w.stepsPerSecond),
                    String(format: "%.3f", w.synapticUpdatesPerSecond / 1e9), String(format: "%.2f", w.effectiveGBPerSecond),
                    String(format: "%.0f%%", r.bandwidthShare * 100), r.bestPeer ?? "", r.bestPeerUpdatesPerSecond.map { String(format: "%.3f", $0 / 1e9) } ?? "",
                    r.ratio.map { String(format: "%.2f×", $0) } ?? ""]
        }))
        }
        if !forceRows.isEmpty { print(""); print(forceTable(forceRows)) }
        if !fixedPointRows.isEmpty { print(""); print(fixedPointTable(fixedPointRows)) }
        print(String(format: "\nbackend %@ — %@; copy bandwidth %.1f GB/s", backend.info.kind, backend.info.device, bw))
        if let path = json {
            try ResultWriter.json(Report(provenance: Provenance(backend: backend.info), deviceBandwidthGBs: bw, rows: rows, force: forceRows, fixedPoints: fixedPointRows), to: URL(fileURLWithPath: path))
        }
    }

    func line(_ r: Row) -> String {
        var s = r.wmsim.summary
        if let p = r.bestPeer, let v = r.bestPeerUpdatesPerSecond, let q = r.ratio {
            s += String(format: " | best peer %@ %.3f G syn/s → %.2f×", p, v / 1e9, q)
        }
        return s
    }
}

/// The Python peer script of Benchmarks/peers.
enum PeerScript {
    struct Figure { var peer: String; var updates: Double; var version: String? }

    /// `WMSIM_PEERS` or Benchmarks/peers/peers.py found from the working folder or the binary upwards.
    static func locate() throws -> String {
        if let p = ProcessInfo.processInfo.environment["WMSIM_PEERS"], FileManager.default.fileExists(atPath: p) { return p }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent())
        for s in starts {
            var dir = s
            for _ in 0..<6 {
                let c = dir.appendingPathComponent("Benchmarks/peers/peers.py")
                if FileManager.default.fileExists(atPath: c.path) { return c.path }
                dir = dir.deletingLastPathComponent()
            }
        }
        throw CLIError("cannot find Benchmarks/peers/peers.py; run from the wmsim source tree or set WMSIM_PEERS=/path/to/peers.py")
    }

    static func run(_ script: String, python: String, workload: String, batch: Int, quick: Bool, repeats: Int) throws -> [Figure] {
        let (status, data, errText) = try ChildProcess.run([python, script, "--workloads", workload, "--batches", "\(batch)", "--repeats", "\(repeats)"]
                                                           + (quick ? ["--quick"] : []))
        guard status == 0 else {
            throw CLIError("peer script failed (exit \(status)); needs numpy and scipy (`\(python) -m pip install numpy scipy`):\n\(errText)")
        }
        for l in errText.split(separator: "\n") { Console.note("  " + l) }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let peer = obj["peer"] as? String, let u = obj["synaptic_updates_per_s"] as? Double else { return nil }
            return Figure(peer: peer, updates: u, version: obj["version"] as? String)
        }
    }
}
