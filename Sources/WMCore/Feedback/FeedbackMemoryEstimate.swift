import Foundation

/// Bytes a batch of feedback networks holds while it trains, estimated before anything is
/// allocated (`Backend.feedbackMemory`; every runner keeps g·J, Pw and Pd dense).
public struct FeedbackMemoryEstimate: Sendable {
    /// Bytes on the device (the host's for the CPU backend, where `host` holds everything).
    public var device: Int
    /// Bytes on the host.
    public var host: Int
    /// The largest single buffer, bytes (checked against the device's largest allocation).
    public var largestBuffer: Int

    public init(device: Int, host: Int, largestBuffer: Int) {
        self.device = device
        self.host = host
        self.largestBuffer = largestBuffer
    }

    private static func clamp(_ v: Double) -> Int { v >= Double(Int.max / 2) ? Int.max / 2 : Int(v) }
    private static func csr(_ m: Int, _ n: Int, _ pg: Double) -> Double { Double(m) * (Double(n) * Double(n) * pg * 8 + Double(n + 1) * 4) }
    private static func vectors(_ m: Int, _ n: Int) -> Double { Double(m) * Double(n) * 8 * 16 }

    /// The CPU reference (`CPUFeedbackBatchRunner`): everything in host memory.
    public static func hostReference(networks m: Int, n: Int, pg: Double) -> FeedbackMemoryEstimate {
        let n2 = Double(n) * Double(n)
        let host = clamp(Double(m) * 3 * n2 * 8 + csr(m, n, pg) + vectors(m, n))
        return FeedbackMemoryEstimate(device: host, host: host, largestBuffer: clamp(n2 * 8))
    }

    /// A device runner that holds g·Jᵀ of the batch in one float buffer and Pw, Pd in one buffer
    /// each with `pBytes` per entry.
    public static func deviceBatch(networks m: Int, n: Int, pg: Double, pBytes: Int) -> FeedbackMemoryEstimate {
        let n2 = Double(n) * Double(n), md = Double(m)
        let jt = md * n2 * 4
        return FeedbackMemoryEstimate(device: clamp(jt + 2 * md * n2 * Double(pBytes) + vectors(m, n)),
                                      host: clamp(csr(m, n, pg) + jt + vectors(m, n)),
                                      largestBuffer: clamp(Swift.max(jt, md * n2 * Double(pBytes))))
    }

    /// Throws `insufficientMemory` with the estimate and what to change when the batch does not
    /// fit in the host's or the device's memory or one of its buffers exceeds the largest allocation.
    public func check(capabilities c: BackendCapabilities, hostAvailable: Int = MemoryEstimate.hostAvailable, what: String) throws {
        if host > hostAvailable {
            throw WMError.insufficientMemory(needed: host, available: hostAvailable, what: "\(what) (host: dense N×N matrices per network); train fewer networks at once or a smaller N")
        }
        if device > c.memoryBytes {
            throw WMError.insufficientMemory(needed: device, available: c.memoryBytes, what: "\(what) (device: g·J, Pw and Pd dense); train fewer networks at once or a smaller N")
        }
        if largestBuffer > c.maxAllocationBytes {
            throw WMError.insufficientMemory(needed: largestBuffer, available: c.maxAllocationBytes, what: "\(what) (the device's largest single allocation); train fewer networks at once")
        }
    }

    /// The most networks of `n` neurons and density `pg` that `backend` trains at once (0 when not
    /// even one fits).
    public static func largestBatch(n: Int, pg: Double, backend: any Backend, hostAvailable: Int = MemoryEstimate.hostAvailable) -> Int {
        let c = backend.capabilities
        func fits(_ m: Int) -> Bool {
            (try? backend.feedbackMemory(networks: m, n: n, pg: pg).check(capabilities: c, hostAvailable: hostAvailable, what: "")) != nil
        }
        guard fits(1) else { return 0 }
        var lo = 1, hi = 2
        while hi <= 1 << 16 && fits(hi) { lo = hi; hi *= 2 }
        if hi > 1 << 16 { return lo }
        while hi - lo > 1 { let mid = (lo + hi) / 2; if fits(mid) { lo = mid } else { hi = mid } }
        return lo
    }
}
