import Foundation
import WMCore

/// The OpenCL C sources of wmsim, embedded at build time from `Kernels/` (see the EmbedKernels
/// plugin). Setting `WMSIM_KERNELS_DIR` to a folder of `.cl` files loads those instead, so
/// kernels can be edited without rebuilding.
public enum KernelLibrary {
    /// Files that must come first, in this order (definitions used by the others).
    static let leading = ["streams.cl", "philox.cl", "generate.cl", "input.cl", "step.cl", "fused.cl"]

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

    /// One program text: the leading files in order, then any others by name.
    public static func programSource() throws -> String {
        let src = try sources()
        for name in leading where src[name] == nil {
            throw WMError.file(path: name, reason: "kernel file missing (expected in Kernels/ or WMSIM_KERNELS_DIR)")
        }
        let rest = src.keys.filter { !leading.contains($0) }.sorted()
        return (leading + rest).map { "// ---- \($0)\n" + src[$0]! }.joined(separator: "\n")
    }

    /// Build options for a variant: index width and double-precision support.
    public static func options(index16: Bool, fp64: Bool, denseColumnMajor: Bool = false) -> String {
        var o = index16 ? "-DIDX_T=ushort" : "-DIDX_T=uint"
        if fp64 { o += " -DWM_HAS_FP64" }
        if denseColumnMajor { o += " -DWM_DENSE_COLMAJOR" }
        return o
    }
}
