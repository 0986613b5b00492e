import Foundation

/// Everything one run will hold, part by part (engine, readout moments, decoders, training
/// state, batches), estimated before anything is allocated and checked against the host's and
/// the device's memory. Each part says which knob shrinks it, so a refusal names the one that
/// matters.
public struct RunMemoryEstimate: Sendable, Hashable {
    /// One thing the run holds.
    public struct Part: Sendable, Hashable {
        /// What it is, e.g. "ridge moments (N+1)² doubles per lag group".
        public var name: String
        /// Bytes in host memory.
        public var host: Int
        /// Bytes in device buffers (for a backend that computes in host memory these are host
        /// bytes too).
        public var device: Int
        /// The largest single device buffer of this part.
        public var largestBuffer: Int
        /// What to change to shrink it, e.g. "fewer networks at once (--networks)".
        public var remedy: String

        public init(_ name: String, host: Int = 0, device: Int = 0, largestBuffer: Int? = nil, remedy: String) {
            self.name = name
            self.host = host
            self.device = device
            self.largestBuffer = largestBuffer ?? device
            self.remedy = remedy
        }

        /// A byte count from a double (estimates are computed in double so that huge sizes do
        /// not overflow), clamped to Int.max / 4.
        public static func bytes(_ v: Double) -> Int { v.isFinite && v < Double(Int.max / 4) ? Swift.max(0, Int(v)) : Int.max / 4 }
    }

    public var parts: [Part]

    public init(_ parts: [Part] = []) { self.parts = parts }

    public static func + (a: RunMemoryEstimate, b: RunMemoryEstimate) -> RunMemoryEstimate { RunMemoryEstimate(a.parts + b.parts) }

    private static func sum(_ v: [Int]) -> Int { v.reduce(0) { $0 > Int.max / 4 - $1 ? Int.max / 4 : $0 + $1 } }
    public var host: Int { Self.sum(parts.map(\.host)) }
    public var device: Int { Self.sum(parts.map(\.device)) }
    public var largestBuffer: Int { parts.map(\.largestBuffer).max() ?? 0 }

    /// Bytes in host memory when the device buffers live there too.
    public func hostTotal(_ c: BackendCapabilities) -> Int { c.usesHostMemory ? Self.sum([host, device]) : host }

    /// "engine 1.2 GiB, ridge moments 320.0 GiB" (largest first, parts under 1 % of the total left out).
    public func breakdown(_ c: BackendCapabilities) -> String {
        let sized = parts.map { ($0, c.usesHostMemory ? Self.sum([$0.host, $0.device]) : Swift.max($0.host, $0.device)) }
        let total = Self.sum(sized.map(\.1))
        return sized.sorted { $0.1 > $1.1 }.filter { Double($0.1) * 100 >= Double(total) }.map { "\($0.0.name) \(formatBytes($0.1))" }.joined(separator: ", ")
    }

    /// Throws `runTooLarge` (the estimate by part, and the remedy of the largest part) when the
    /// run does not fit in the host's memory, the device's memory or the largest allocation.
    public func check(capabilities c: BackendCapabilities, hostAvailable: Int = MemoryEstimate.hostAvailable, what: String) throws {
        func fail(_ needed: Int, _ available: Int, _ key: (Part) -> Int, _ where_: String) -> WMError {
            let worst = parts.max { key($0) < key($1) }
            return .runTooLarge(needed: needed, available: available, what: "\(what) (\(where_))", breakdown: breakdown(c),
                                remedy: worst.map { "the largest part is \($0.name): \($0.remedy)" } ?? "")
        }
        let h = hostTotal(c)
        if h > hostAvailable { throw fail(h, hostAvailable, { c.usesHostMemory ? Self.sum([$0.host, $0.device]) : $0.host }, "host memory") }
        if !c.usesHostMemory, device > c.memoryBytes { throw fail(device, c.memoryBytes, \.device, "device memory") }
        if largestBuffer > c.maxAllocationBytes {
            throw fail(largestBuffer, c.maxAllocationBytes, \.largestBuffer, "the device's largest single allocation")
        }
    }
}
