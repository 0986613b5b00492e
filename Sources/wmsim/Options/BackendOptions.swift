import ArgumentParser
import Foundation
import WMCore
import WMOpenCL

/// Which backend computes.
enum BackendChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, opencl, cpu
}

/// `--backend` and `--device`, shared by every command that computes.
struct BackendOptions: ParsableArguments {
    @Option(help: "Compute backend: auto (an OpenCL GPU or accelerator, else the CPU backend), opencl, cpu.")
    var backend: BackendChoice = .auto

    @Option(help: "OpenCL device: an index from `wmsim devices` or part of its name (default: the auto choice).")
    var device: String?

    /// Opens the backend and says on stderr which one runs.
    func make(quiet: Bool = false) throws -> any Backend {
        let b: any Backend
        switch backend {
        case .cpu:
            b = CPUBackend()
        case .opencl:
            b = try OpenCLBackend(selector: device)
        case .auto:
            do {
                let cl = try OpenCLBackend(selector: device)
                // Without a GPU or accelerator, OpenBLAS + the vectorised CPU engine beat a CPU
                // OpenCL runtime (PoCL) here: A 4×, B 5×, C about even (wmsim bench, 2-core box).
                if device == nil && cl.capabilities.usesHostMemory {
                    if !quiet { Console.note("note: the only OpenCL device is a CPU (\(cl.info.platform ?? cl.info.device)); the CPU backend is faster there (--backend opencl to use it)") }
                    b = CPUBackend()
                } else {
                    b = cl
                }
            } catch let e as CLError where e.isNoRuntime || e.code == -1 {
                if !quiet { Console.note("note: no OpenCL device (\(e.name)); using the CPU backend") }
                b = CPUBackend()
            }
        }
        if !quiet { Console.note("backend: \(b.info.kind) — \(b.info.device)\(b.info.platform.map { " (\($0))" } ?? "")") }
        return b
    }

    /// The OpenCL device `selector` picks, for commands that need one (`crosscheck`).
    static func openCL(_ selector: String?, for command: String) throws -> any Backend {
        do { return try OpenCLBackend(selector: selector) } catch let e as CLError {
            throw CLIError("\(command) needs an OpenCL device: \(e.description)")
        }
    }
}
