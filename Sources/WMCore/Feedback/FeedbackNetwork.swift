/// The fixed and trained weights of one feedback network (see `FeedbackNetworkSpec`).
public struct FeedbackNetwork: Sendable {
    public var spec: FeedbackNetworkSpec
    /// Recurrent weights J (without g).
    public var recurrent: CSRMatrix
    /// Input weights wi, [N][2] row-major.
    public var input: [Float]
    /// Feedback weights of the main output wf, [N].
    public var feedback: [Float]
    /// Feedback weights of the dummy outputs wfd, [N][2] row-major.
    public var dummyFeedback: [Float]
    /// Initial state x0, [N].
    public var initialState: [Float]
    /// Main readout wo, [N] (zero until trained).
    public var output: [Double]
    /// Dummy readouts wd, [N][2] row-major (zero until trained).
    public var dummyOutput: [Double]

    public init(spec: FeedbackNetworkSpec, recurrent: CSRMatrix, input: [Float], feedback: [Float], dummyFeedback: [Float],
                initialState: [Float], output: [Double], dummyOutput: [Double]) {
        self.spec = spec
        self.recurrent = recurrent
        self.input = input
        self.feedback = feedback
        self.dummyFeedback = dummyFeedback
        self.initialState = initialState
        self.output = output
        self.dummyOutput = dummyOutput
    }
}
