import Foundation
import WMCore

/// A family of kernels: one file of `Kernels/`. A program is the common header (`common.cl`:
/// Philox and the stream identifiers) followed by the families it needs, so each caller
/// compiles only its own kernels (as CLBlast builds one program per routine).
public enum KernelFamily: String, CaseIterable, Sendable, Comparable {
    /// Network generation on the device (`gen_*`).
    case generate
    /// Input stream, initial state and the record gather (`gen_input`, `init_state`, `record_gather`).
    case input
    /// One step per launch (`step_*`) and the shared update epilogue.
    case step
    /// Many steps per launch, state in local memory (`fused_*`); uses `step`'s epilogue.
    case fused
    /// Procedural weights (`step_procedural`, `fused_procedural`): rows regenerated every step;
    /// uses `generate`'s skips and values and the step and fused bodies. Needs fp64.
    case procedural
    /// Lag-target moments in double (`moments_*`).
    case moments
    /// Tiled SGEMM, MLP epilogues and Adam (`dense_*`, `mlp_*`).
    case dense
    /// Recursive least squares for many networks (`rls_*`, FORCE's hot path).
    case rls
    /// One step and the readouts of networks with output feedback (`fb_*`); uses `rls`'s RLS_T.
    case feedback
    /// The copy kernel of the bandwidth probe.
    case bench

    /// The file that holds the family.
    public var file: String { rawValue + ".cl" }

    /// Families whose definitions this one uses.
    public var requires: [KernelFamily] {
        switch self {
        case .fused: return [.step]
        case .procedural: return [.generate, .step, .fused]
        case .feedback: return [.rls]
        default: return []
        }
    }

    /// Families in file order: a family comes after those it requires.
    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// What a simulation engine builds: generation, input, the step kernels (stored and
    /// procedural) and the moments.
    public static let engine: [KernelFamily] = [.generate, .input, .step, .fused, .procedural, .moments]
}

/// The OpenCL C sources of wmsim, embedded at build time from `Kernels/` (see the EmbedKernels
/// plugin). Setting `WMSIM_KERNELS_DIR` to a folder of `.cl` files loads those instead, so
/// kernels can be edited without rebuilding.
public enum KernelLibrary {
    /// The header every program starts with.
    public static let header = "common.cl"

    /// File name → source.
    public static func sources() throws -> [String: String] {
        if let dir = ProcessInfo.processInfo.environment["WMSIM_KERNELS_DIR"], !dir.isEmpty {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".cl") }
            } catch {
                throw WMError.file(path: dir, reason: "WMSIM_KERNELS_DIR is set but the folder cannot be read (\(error.localizedDescription))")
            }
            var out: [String: String] = [:]
            for n in names { out[n] = try String(contentsOfFile: dir + "/" + n, encoding: .utf8) }
            guard !out.isEmpty else { throw WMError.file(path: dir, reason: "WMSIM_KERNELS_DIR holds no .cl files") }
            return out
        }
        return EmbeddedKernels.sources
    }

    /// The families `families` need, required ones included, in file order.
    public static func closure(_ families: [KernelFamily]) -> [KernelFamily] {
        var all = Set<KernelFamily>()
        var todo = families
        while let f = todo.popLast() {
            if all.insert(f).inserted { todo += f.requires }
        }
        return all.sorted()
    }

    /// One program text: the header, then each needed family.
    public static func programSource(_ families: [KernelFamily]) throws -> String {
        let src = try sources()
        let files = [header] + closure(families).map(\.file)
        return try files.map { name in
            guard let text = src[name] else {
                throw WMError.file(path: name, reason: "kernel file missing (expected in Kernels/ or WMSIM_KERNELS_DIR)")
            }
            return "// ---- \(name)\n" + text
        }.joined(separator: "\n")
    }

    /// Build options for a variant: index width, double-precision support and dense layout.
    public static func options(index16: Bool, fp64: Bool, denseColumnMajor: Bool = false, precision: WeightPrecision = .fp32) -> String {
        // The slice height the kernels index with is the host layout's (SELLLayout).
        var o = (index16 ? "-DIDX_T=ushort" : "-DIDX_T=uint") + " -DWM_SELL_C=\(SELLLayout.defaultSliceRows)"
        if fp64 { o += " -DWM_HAS_FP64" }
        if denseColumnMajor { o += " -DWM_DENSE_COLMAJOR" }
        switch precision {
        case .fp32: break
        case .fp16: o += " -DWM_VAL_FP16"
        case .bf16: o += " -DWM_VAL_BF16"
        }
        return o
    }
}
