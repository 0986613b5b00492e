/// Where the ridge moments (SᵀS, SᵀY) of a run are reduced (decided by `ComputePolicy`).
public enum MomentsPlacement: String, Sendable, CaseIterable {
    /// On the device where the states are not in host memory anyway (GPUs, accelerators) and the
    /// accumulators fit; on the host otherwise.
    case auto
    /// On the device; refused on backends that cannot (tests, cross-checks).
    case device
    /// Always on the host: the states are downloaded chunk by chunk.
    case host
}
