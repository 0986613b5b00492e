import Foundation

/// The plain-Swift backend: the reference every OpenCL result is checked against.
public final class CPUBackend: Backend {
    public let info: BackendInfo
    public let capabilities: BackendCapabilities

    public init() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        info = BackendInfo(kind: "cpu", device: CPUBackend.cpuName(), details: "\(cores) cores, OpenBLAS")
        capabilities = BackendCapabilities(
            usesHostMemory: true, hasFP64: true, computeUnits: cores,
            memoryBytes: MemoryEstimate.hostAvailable, maxAllocationBytes: MemoryEstimate.hostAvailable,
            maxWorkGroupSize: 1, preferredNetworksPerEngine: 1, reducesLagMomentsOnDevice: false, denseOpsOnDevice: false)
    }

    public func makeDenseOps() throws -> any DenseOps { CPUDenseOps() }

    public func makeRLSBatch(networks: Int, n: Int, outputs: Int, alpha: Double) throws -> any RLSBatch {
        let bytes = networks * n * n * 8
        guard bytes <= MemoryEstimate.hostAvailable else {
            throw WMError.insufficientMemory(needed: bytes, available: MemoryEstimate.hostAvailable, what: "\(networks) inverse-correlation matrices P of N = \(n) (double)")
        }
        return try CPURLSBatch(networks: networks, n: n, outputs: outputs, alpha: alpha)
    }

    public func feedbackMemory(networks: Int, n: Int, pg: Double) -> FeedbackMemoryEstimate {
        .hostReference(networks: networks, n: n, pg: pg)
    }

    public func makeFeedbackRunner(networks: [FeedbackNetwork], alpha: Double) throws -> any FeedbackBatchRunner {
        let n = networks.first?.spec.n ?? 0
        try feedbackMemory(networks: networks.count, n: n, pg: networks.map(\.spec.pg).max() ?? 1)
            .check(capabilities: capabilities, what: "FORCE training of \(networks.count) network(s) of N = \(n)")
        return try CPUFeedbackBatchRunner(networks: networks, alpha: alpha)
    }

    /// memcpy split across the cores.
    public func measureCopyBandwidth(megabytes: Int, repeats: Int) throws -> Double {
        try CopyBandwidth.validate(megabytes: megabytes, repeats: repeats)
        let bytes = megabytes << 20
        let cores = capabilities.computeUnits
        let src = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let dst = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { src.deallocate(); dst.deallocate() }
        memset(src, 1, bytes)
        memset(dst, 0, bytes)
        struct Pointers: @unchecked Sendable { let s: UnsafeMutableRawPointer; let d: UnsafeMutableRawPointer }
        let p = Pointers(s: src, d: dst)
        let per = bytes / cores
        return CopyBandwidth.best(bytes: bytes, repeats: repeats) {
            DispatchQueue.concurrentPerform(iterations: cores) { c in _ = memcpy(p.d + c * per, p.s + c * per, per) }
        }
    }

    public func makeEngine(ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws -> any SimulationEngine {
        try EngineOptions.check(ensemble: ensemble, networks: networks, input: input, options: options)
        let chosen = try WeightFormatChoice.resolve(options.format, ensemble: ensemble, networksGiven: networks != nil, capabilities: capabilities,
                                                    precision: options.weightPrecision).format
        // Stored weights follow the CPU engine's own auto rule (ELL up to 30 % density where the
        // vectorised kernels run); procedural ones are what the choice said.
        let fmt = chosen == .procedural ? chosen : CPUEngine.storage(options.format, n: ensemble.n, sp: ensemble.networks.map(\.sp).max() ?? 1, trials: ensemble.trials)
        var estimate = MemoryEstimate(ensemble: ensemble, format: fmt, chunkSteps: options.chunkSteps, recordWidth: ensemble.n,
                                      hostCopyOfCSR: fmt != .csr && fmt != .procedural, indexBytes: 4)
        if fmt == .dense && ensemble.trials == 1 {
            // The bitmap panels dense B = 1 steps read, beside the N×N floats (`BitmapPanels`).
            let n = Double(ensemble.n)
            estimate.weights += Int(ensemble.networks.reduce(0.0) { $0 + MemoryEstimate.nnzBound($1) * 4 + n * n / 8 })
        }
        if fmt == .ell {
            // The column-block bounds of B > 1 sums (`ColumnBlocks`), per network by the same
            // rule the engine applies (its nominal density).
            for spec in ensemble.networks {
                if let width = ColumnBlocks.width(n: ensemble.n, sp: spec.sp, trials: ensemble.trials) {
                    estimate.weights += ColumnBlocks.bytes(n: ensemble.n, width: width)
                }
            }
        }
        try estimate.check(available: MemoryEstimate.hostAvailable, what: "\(ensemble.count) network(s) of N = \(ensemble.n) (\(MemoryEstimate.formatLabel(fmt, precision: options.weightPrecision))) in host memory")
        var nets: [Network]
        if let given = networks {
            nets = given
        } else if fmt == .procedural {
            nets = try ensemble.networks.map { try NetworkGenerator.procedural($0) }
        } else {
            nets = try ensemble.networks.map { try NetworkGenerator.generate($0) }
        }
        // 16-bit weights: the rounded values, held as floats (the device stores their 16 bits).
        if options.weightPrecision != .fp32 && fmt.isStored {
            for m in nets.indices { nets[m].recurrent = try options.weightPrecision.rounded(nets[m].recurrent) }
        }
        return try CPUEngine(ensemble: ensemble, networks: nets, format: fmt, input: input, options: options, info: info)
    }

    /// The CPU model from /proc/cpuinfo, or a generic name.
    static func cpuName() -> String {
        if let s = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = s.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let name = line.split(separator: ":", maxSplits: 1).last {
            return name.trimmingCharacters(in: .whitespaces)
        }
        return "CPU"
    }
}
