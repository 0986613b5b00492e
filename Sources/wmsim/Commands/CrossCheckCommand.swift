import ArgumentParser
import Foundation
import WMCore
import WMExperiments

/// `wmsim crosscheck`: CPU reference versus an OpenCL device on random configurations.
struct CrossCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crosscheck",
        abstract: "Run random configurations on the CPU reference and an OpenCL device and compare every quantity.",
        discussion: """
            Configurations vary N (also sizes that are not multiples of a work-group), density, gains, \
            rule, activation, noise, bias, input kind, fused or per-step launches and the weight format: \
            dense, ELL, CSR and procedural (regenerated every step, on devices with double precision). \
            Exits with status 1 when any difference exceeds its tolerance (see the table's last columns).
            """)

    @Option(help: "OpenCL device: index from `wmsim devices` or part of its name (default: auto).") var device: String?
    @Option(help: "Number of random configurations.") var configs: Int = 8
    @Option(help: "Seed of the configuration draw.") var seed: UInt64 = 1
    @Option(help: "Largest N drawn.") var maxN: Int = 4099
    @Option(help: "Precisions stored weights take in turn, four configurations each (with --configs 12 each meets every format).") var weightPrecision: String = "fp32,fp16,bf16"
    @Option(help: "Also write the rows as JSON to this file.", completion: .file(extensions: ["json"])) var json: String?

    func validate() throws {
        if configs < 1 { throw ValidationError("--configs must be ≥ 1") }
        if maxN < 1 { throw ValidationError("--max-n must be ≥ 1") }
    }

    func run() throws {
        let cl = try BackendOptions.openCL(device, for: "crosscheck")
        Console.note("reference: cpu — \(CPUBackend().info.device)\ncandidate: opencl — \(cl.info.device) (\(cl.info.platform ?? ""))")
        // Procedural weights need double precision on the device (their skips are computed in it).
        let procedural = cl.capabilities.hasFP64
        if !procedural { Console.note("\(cl.info.device) has no double precision: procedural weights are not drawn") }
        let precisions = try weightPrecision.split(separator: ",").map { f -> WeightPrecision in
            guard let p = WeightPrecision(rawValue: f.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("bad --weight-precision '\(f)'; choose from \(WeightPrecision.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return p
        }
        let cfgs = CrossCheck.configurations(count: configs, seed: seed, maxN: maxN, procedural: procedural, precisions: precisions)
        var last = -1
        let rows: [CrossCheck.Row]
        do {
            rows = try CrossCheck.run(configs: cfgs, reference: CPUBackend(), candidate: cl) { row in
                if row.config != last { Console.note("config \(row.config): \(row.description)"); last = row.config }
            }
        } catch let e as WMError { throw CLIError(e.description) }
        let table = rows.map { r in
            ["\(r.config)", r.quantity, String(format: "%.2e", r.maxAbs), String(format: "%.2e", r.maxRel), String(format: "%.0e", r.tolerance), r.passed ? "ok" : "FAIL"]
        }
        print(Format.table(["cfg", "quantity", "max abs", "max rel", "tol", ""], table))
        if let path = json {
            struct Out: Encodable { var provenance: Provenance; var reference: BackendInfo; var rows: [CrossCheck.Row] }
            try ResultWriter.json(Out(provenance: Provenance(backend: cl.info), reference: CPUBackend().info, rows: rows), to: URL(fileURLWithPath: path))
        }
        let failed = rows.filter { !$0.passed }
        if failed.isEmpty {
            print("\nall \(rows.count) comparisons within tolerance on \(cfgs.count) configurations (device: \(cl.info.device))")
        } else {
            print("\n\(failed.count) of \(rows.count) comparisons exceed tolerance")
            throw ExitCode(1)
        }
    }
}
