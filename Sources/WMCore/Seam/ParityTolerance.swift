/// How closely the OpenCL backend must reproduce the CPU reference (float32 kernels built
/// without fast-math, `FP_CONTRACT OFF`, fma in the same order as the Swift reference). The one
/// table the parity tests and `wmsim crosscheck` both use.
///
/// | quantity | tolerance | why |
/// |---|---|---|
/// | structure (row lengths, columns) | exact | integer decisions from the same Philox bits |
/// | weights J, Jin | 1e-5 relative | device log/cos within a few ulp of glibc |
/// | initial state | 1e-7 absolute | the same float operations on the same Philox bits |
/// | one step from a common state | 1e-5 absolute | tanh within a few ulp (CPU VectorMath ≤ 1.3 ulp, device builtin); sparse sums in the same order, dense BLAS in another (~N·ε·Σ\|w x\|) |
/// | trajectory of ≤ 20 steps, tanh, g ≤ 0.9 (contracting) | 1e-4 absolute | round-off carried along a contracting trajectory |
/// | trajectory of ≤ 30 steps, g ≤ 1, tanh or linear | 1e-3 absolute | round-off may grow where the dynamics do not contract (measured ≤ 2.4e-6 on PoCL for the 8 default crosscheck configurations; other devices and draws are not measured) |
/// | lag moments, device vs host on the same states | 1e-10 relative | exact double products of floats summed in another order (measured ≤ 6e-14) |
/// | lag moments, OpenCL vs CPU trajectories | 1e-3 relative | the trajectories differ by ≤ 1e-4 |
/// | RLS, 25 updates, P and W in double | 1e-10 relative | the same products summed in another order |
/// | RLS, 25 updates, P and W in float (no fp64) | 1e-3 relative | float rounding of N-term sums |
/// | FORCE training, 3 short trials: state, readouts, outputs | 1e-5 (absolute for x and z, relative for W) | float state on the device against the double reference (measured ≤ 1.8e-7 on PoCL) |
public enum ParityTolerance {
    public static let weightsRelative = 1e-5
    public static let initialState = 1e-7
    public static let oneStep = 1e-5
    public static let contractingTrajectory = 1e-4
    public static let trajectory = 1e-3
    public static let lagMomentsRelative = 1e-10
    public static let lagMomentsAcrossBackendsRelative = 1e-3
    public static let rlsDoubleRelative = 1e-10
    public static let rlsFloatRelative = 1e-3
    public static let feedbackTraining = 1e-5
}
