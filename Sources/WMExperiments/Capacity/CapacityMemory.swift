import Foundation
import WMCore

extension CapacitySpec {
    /// Everything a capacity run of `networks` networks (default `self.networks`) holds, from the
    /// arithmetic alone (nothing generated): the engine's group of networks, the input stream,
    /// every network's readout moments (three segments of an N×N scatter in double, kept until
    /// the decoders run), the ridge fit of one network (its eigendecomposition), and for the MLP
    /// the stored states of every network and one network's layers and Adam state.
    /// The readout parts (moments, ridge, MLP) count the states the decoders read
    /// (`readoutWidth`: n with `readoutNeurons`, else N); the engine's part counts N, and nothing
    /// for procedural weights.
    /// `CapacityMeasurement` checks it before allocating anything; sweeps and optimisations check
    /// their largest point up front.
    public func memory(networks count: Int? = nil, backend: any Backend) -> RunMemoryEstimate {
        let P = RunMemoryEstimate.Part.self
        let c = backend.capabilities
        let m = Double(count ?? networks)
        let nd = Double(readoutWidth), nNet = Double(network.n), k = Double(maxLag), bt = Double(trials)
        let steps = Double(washout) + Double(train) + Double(validation) + Double(test)
        let group = Swift.min(m, Double(ComputePolicy(backend).networksPerEngine(count ?? networks)))
        let fmt = weightFormat(networks: count, backend: backend).format
        let idx = c.usesHostMemory && !c.denseOpsOnDevice ? 4 : (WeightFormat.uses16BitIndices(n: network.n) ? 2 : 4)
        let valueBytes = c.usesHostMemory && !c.denseOpsOnDevice ? 4 : (weightPrecision ?? .fp32).bytes
        let weights = MemoryEstimate.weightBytes(network, format: fmt, indexBytes: idx, valueBytes: valueBytes) + nNet * Double(network.nIn) * 4
        // The generated CSR stays on the host beside the engine's weights, except where the
        // engine computes on it in host memory (the CPU backend with --format csr) or nothing is
        // stored (procedural).
        let csr = (c.usesHostMemory && fmt == .csr) || fmt == .procedural ? 0 : MemoryEstimate.nnzBound(network) * 8 + (nNet + 1) * 4
        let formatHint = fmt == .dense ? "; dense N×N weights: try --format ell"
            : (fmt.isStored ? ((weightPrecision ?? .fp32) == .fp32 ? "; --format procedural stores no weights" : "; bf16/fp16 weights are already 2 bytes") : "")
        let readoutHint = readoutNeurons == nil ? " or read a subset of the neurons (--readout-neurons)" : " or fewer readout neurons (--readout-neurons)"
        var parts: [RunMemoryEstimate.Part] = [
            P.init("engine (\(Int(group)) network(s) of N = \(network.n), \(fmt.rawValue) weights, states)",
                   host: P.bytes(group * csr), device: P.bytes(group * (weights + 2 * nNet * bt * 4)),
                   largestBuffer: P.bytes(group * weights),
                   remedy: "a smaller N or sparser weights\(formatHint)"),
            P.init("input stream (\(Int(steps)) steps × \(trials) trial(s))", host: P.bytes(steps * bt * (Double(network.nIn) + 1) * 4),
                   remedy: "shorter segments or fewer trials"),
            P.init("readout moments of \(Int(m)) network(s) (3 segments × (n² + n·K) doubles each, n = \(readoutWidth) neurons read)",
                   host: P.bytes(m * 3 * (nd * nd + nd * k + nd + 2 * k) * 8),
                   remedy: "fewer networks measured together (--networks, or --memory-budget for a sweep) or a smaller N\(readoutHint): the scatter grows as n²"),
        ]
        if decoders.contains(.ridge) {
            parts.append(P.init("ridge fit of one network (eigendecomposition, ~3 n² doubles)", host: P.bytes((3 * nd * nd + 6 * nd * k) * 8),
                                largestBuffer: 0, remedy: "a smaller N\(readoutHint)"))
        }
        if decoders.contains(.mlp), let lags = storedLags {
            let l = Double(lags.count), h1 = Double(mlp.hidden1), h2 = Double(mlp.hidden2)
            let samples = (Double(train) + Double(validation) + Double(test)) * bt
            let stored = m * samples * (nd + l) * 4
            // While one network trains: its training rows in three copies (standardised,
            // permuted, the stored ones counted above) and its validation rows in two, the layers
            // with their gradients and Adam moments, and activations of a minibatch and of a
            // whole validation pass.
            let trainRows = Double(train) * bt, validationRows = Double(validation) * bt
            let rows = 2 * trainRows + validationRows
            let batch = Swift.min(Double(mlp.batchSize), trainRows)
            let layers = (nd * h1 + h1 * h2 + h2 * l + h1 + h2 + l) * 4 * 4
            let activations = (batch + validationRows) * (h1 + h2 + l) * 4 * 3
            let one = layers + activations + rows * (nd + l) * 4
            let onDevice = c.denseOpsOnDevice
            // The host trains one network per core at once (ComputePolicy.mlpTrainers).
            let workers = onDevice ? 1 : Swift.min(m, Double(Swift.max(1, c.computeUnits)))
            parts.append(P.init("MLP stored states of \(Int(m)) network(s) (\(Int(samples)) samples × (n + \(lags.count)) floats each)",
                                host: P.bytes(stored), remedy: "fewer networks, shorter segments or fewer MLP lags (--mlp-lags)"))
            parts.append(P.init("MLP training of \(Int(workers)) network(s) at once (layers n×\(mlp.hidden1)×\(mlp.hidden2)×\(lags.count) with Adam state, row copies, activations)",
                                host: onDevice ? 0 : P.bytes(workers * one), device: onDevice ? P.bytes(one) : 0,
                                largestBuffer: P.bytes(Swift.max(nd * h1, trainRows * Swift.max(nd, h1, h2)) * 4),
                                remedy: "smaller hidden layers (--mlp-hidden), a smaller --mlp-batch or shorter segments"))
        }
        return RunMemoryEstimate(parts)
    }

    /// The weight format the engines of a run of `networks` networks (default `self.networks`)
    /// will use on `backend`, and the note when `auto` falls back to procedural weights (the
    /// choice the engines make, `WeightFormatChoice`). A choice the engine will refuse falls back
    /// here to the stored format, so the estimate stays an estimate.
    public func weightFormat(networks count: Int? = nil, backend: any Backend) -> WeightFormatChoice {
        let m = count ?? networks
        let group = Swift.max(1, Swift.min(m, ComputePolicy(backend).networksPerEngine(m)))
        let ens = Ensemble(spec: network, count: group, trials: trials)
        return (try? WeightFormatChoice.resolve(format, ensemble: ens, networksGiven: false, capabilities: backend.capabilities,
                                                precision: weightPrecision ?? .fp32))
            ?? WeightFormatChoice(format: format.resolve(n: network.n, sp: network.sp))
    }

    /// Settings of a decoder that does not run do not identify a run: for fingerprints they are
    /// set to fixed values (the MLP's as they were before its default changed, so that existing
    /// ridge-only results files keep their fingerprints).
    mutating func normaliseUnusedDecoderSettings() {
        guard !decoders.contains(.mlp) else { return }
        mlp = MLPConfig(standardize: true)
        mlpLags = nil
        mlpPerLag = false
    }

    /// The MLP's stored lags, when an MLP decoder runs.
    var storedLags: [Int]? { decoders.lazy.compactMap { $0.storedLags(self) }.first }
}
