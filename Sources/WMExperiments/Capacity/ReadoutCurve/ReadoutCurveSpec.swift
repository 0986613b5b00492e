import Foundation
import WMCore

/// A memory curve over the number of readout neurons: one capacity measurement whose networks
/// run once, with the decoders fitted for every size n in `readoutNeurons` on the nested subsets
/// of `ReadoutSubset` (docs/model.md §2).
///
/// The point at n is, by construction, the measurement `capacity` with `readoutNeurons = n`
/// (`point(_:)`): the same networks, trajectories, subset, λ grid and MLP seeds.
public struct ReadoutCurveSpec: Codable, Sendable, Hashable {
    /// Everything but the readout size (its `readoutNeurons` is nil).
    public var capacity: CapacitySpec
    /// The readout sizes, increasing and distinct, at least two.
    public var readoutNeurons: [Int]

    public init(capacity: CapacitySpec, readoutNeurons: [Int]) {
        var c = capacity
        c.readoutNeurons = nil
        self.capacity = c
        self.readoutNeurons = readoutNeurons
    }

    /// The largest size: the run records (and sums the moments of) this many neurons.
    public var largest: Int { readoutNeurons.last ?? 0 }

    /// The capacity measurement of the point at `n` (what `--readout-neurons n` runs).
    public func point(_ n: Int) -> CapacitySpec {
        var s = capacity
        s.readoutNeurons = n
        return s
    }

    /// Throws for sizes that do not make a curve (fewer than two, not increasing and distinct,
    /// outside 1…N) and for a capacity spec that cannot run.
    public func validate() throws {
        guard readoutNeurons.count >= 2 else {
            throw WMError.invalidParameter(name: ReadoutSizes.option, value: readoutNeurons.map(String.init).joined(separator: ","),
                                           expected: "at least two readout sizes for a curve (one size is a plain capacity run)")
        }
        guard zip(readoutNeurons, readoutNeurons.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw WMError.invalidParameter(name: ReadoutSizes.option, value: readoutNeurons.map(String.init).joined(separator: ","),
                                           expected: "distinct sizes in increasing order")
        }
        try point(readoutNeurons[0]).validate()
        try point(largest).validate()
    }

    /// The run's memory, before anything is allocated: the capacity run at the largest size
    /// (engine, input, the moments and stored states of `largest` neurons, one ridge fit, the
    /// MLP), plus the copies a smaller size is decoded from, made for one size at a time: its
    /// moments (and stored states, for the MLP) for every network.
    public func memory(networks count: Int? = nil, backend: any Backend) -> RunMemoryEstimate {
        let m = Double(count ?? capacity.networks)
        var estimate = point(largest).memory(networks: count, backend: backend)
        guard readoutNeurons.count >= 2 else { return estimate }
        let n = Double(readoutNeurons[readoutNeurons.count - 2]), k = Double(capacity.maxLag)
        var bytes = m * 3 * (n * n + n * k + n + 2 * k) * 8
        if let lags = capacity.storedLags {
            bytes += m * Double(capacity.train + capacity.validation + capacity.test) * Double(capacity.trials) * (n + Double(lags.count)) * 4
        }
        estimate.parts.append(.init("readout subsets of \(Int(m)) network(s) for one smaller size at a time (n = \(Int(n)): its moments\(capacity.storedLags == nil ? "" : " and stored states"))",
                                    host: RunMemoryEstimate.Part.bytes(bytes),
                                    remedy: "fewer networks or smaller readout sizes (--readout-neurons)"))
        return estimate
    }
}
