/// A compute backend: the one seam between experiments and devices.
///
/// Experiments never name a device type: they build engines and dense ops through this protocol
/// and take decisions from `capabilities` (see `ComputePolicy` in WMExperiments). Every
/// operation has a CPU reference (`CPUBackend`) and an OpenCL implementation, compared by the
/// parity tests.
public protocol Backend: AnyObject {
    /// Backend and device.
    var info: BackendInfo { get }
    /// What the device can do and how much of it there is.
    var capabilities: BackendCapabilities { get }
    /// An engine for `ensemble`, with the given networks (or generated from the specs when nil),
    /// driven by `input`. Checks memory before allocating.
    func makeEngine(ensemble: Ensemble, networks: [Network]?, input: InputSource, options: EngineOptions) throws -> any SimulationEngine
    /// Dense matrix operations (GEMM with MLP epilogues, Adam) on this backend's device.
    func makeDenseOps() throws -> any DenseOps
    /// Recursive least squares for `networks` networks of `n` neurons with `outputs` readouts
    /// sharing each P (FORCE's hot path), P₀ = I/α, on this backend's device.
    func makeRLSBatch(networks: Int, n: Int, outputs: Int, alpha: Double) throws -> any RLSBatch
    /// Networks with output feedback, stepped and trained by FORCE together (P₀ = I/α).
    func makeFeedbackRunner(networks: [FeedbackNetwork], alpha: Double) throws -> any FeedbackBatchRunner
    /// What `makeFeedbackRunner` would hold for `networks` networks of `n` neurons and density `pg`.
    func feedbackMemory(networks: Int, n: Int, pg: Double) -> FeedbackMemoryEstimate
    /// Streaming copy bandwidth of the device in GB/s (bytes read + written per second): the
    /// best of `repeats` copies of a `megabytes` buffer, much larger than the caches.
    func measureCopyBandwidth(megabytes: Int, repeats: Int) throws -> Double
}

extension Backend {
    /// Copy bandwidth of a 256 MB buffer, best of 5.
    public func measureCopyBandwidth() throws -> Double { try measureCopyBandwidth(megabytes: 256, repeats: 5) }
}
