import Foundation
import WMCore

/// Every decision that depends on the device, taken in one place from the backend's answers
/// (`BackendCapabilities`); experiments ask this instead of asking what the device is.
public struct ComputePolicy {
    public let backend: any Backend
    public var capabilities: BackendCapabilities { backend.capabilities }
    /// `WMSIM_MLP_OPS=opencl|cpu`: where the MLP trains, whatever the device (tests, cross-checks).
    public var forcedMLPOps: String?

    public init(_ backend: any Backend, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.backend = backend
        forcedMLPOps = environment["WMSIM_MLP_OPS"].flatMap { $0.isEmpty ? nil : $0.lowercased() }
    }

    /// Networks per engine when `m` are to run: the backend's preference, or all at once.
    public func networksPerEngine(_ m: Int) -> Int {
        Swift.max(1, capabilities.preferredNetworksPerEngine ?? m)
    }

    /// Throws when `placement` cannot be honoured on this backend at all (before anything runs).
    public func check(_ placement: MomentsPlacement) throws {
        guard placement == .device, !capabilities.reducesLagMomentsOnDevice else { return }
        throw WMError.invalidParameter(
            name: "--moments", value: "device",
            expected: "auto or host: the \(backend.info.kind) backend (\(backend.info.device)) cannot reduce lag moments on a device"
                + (capabilities.hasFP64 ? "" : " (no double precision)"))
    }

    /// Whether the ridge moments of `engine` (K lags, a target stream of `streamValues` floats)
    /// are reduced on its device. `auto` does so where the states are not in host memory anyway
    /// (GPUs, accelerators) and the accumulators fit in half the device's memory: on CPU devices
    /// host BLAS is faster (default N = 1000 capacity run on PoCL, 2 cores: 7.5 s with host
    /// moments, 20.9 s with the device kernel). `device` throws where the engine cannot.
    public func momentsOnDevice(_ placement: MomentsPlacement, engine: any SimulationEngine, lags k: Int, streamValues: Int) throws -> Bool {
        switch placement {
        case .host:
            return false
        case .device:
            try check(placement)
            if let why = engine.lagMomentsUnavailableReason {
                throw WMError.unsupported("--moments device: \(why); use --moments auto or host")
            }
            return true
        case .auto:
            let m = engine.ensemble.count, n = engine.ensemble.n
            return !capabilities.usesHostMemory && capabilities.reducesLagMomentsOnDevice
                && engine.lagMomentsUnavailableReason == nil
                && capabilities.fits(bytes: LagMomentsPlan.accumulatorBytes(networks: m, n: n, lags: k))
                && Double(LagMomentsPlan.deviceBytes(networks: m, n: n, lags: k, streamValues: streamValues)) <= Double(capabilities.memoryBytes) * 0.5
        }
    }

    /// Where the MLP decoders of `networks` networks train.
    public enum MLPTrainers {
        /// On the host, `workers` networks at a time, each on one core with single-threaded BLAS
        /// (small GEMMs gain little from BLAS threads, which spin: measured 1.7× faster on 2 cores).
        case host(workers: Int)
        /// One network after the other on these dense ops (the device's GEMM kernels).
        case device(any DenseOps)
    }

    /// The backend's dense ops on GPUs and accelerators; host BLAS where the device's memory is
    /// the host's anyway (PoCL): there OpenBLAS is ~4× faster than the portable kernels, and
    /// parity between the two is tested (`DenseParityTests`). `WMSIM_MLP_OPS=opencl|cpu` forces
    /// the device's kernels or host BLAS (a backend without device dense ops always uses BLAS).
    public func mlpTrainers(networks: Int) throws -> MLPTrainers {
        let onHost = !capabilities.denseOpsOnDevice || forcedMLPOps == "cpu"
            || (forcedMLPOps != "opencl" && capabilities.usesHostMemory)
        guard onHost else { return .device(try backend.makeDenseOps()) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return .host(workers: cores >= 2 && networks >= 2 ? Swift.min(cores, networks) : 1)
    }
}
