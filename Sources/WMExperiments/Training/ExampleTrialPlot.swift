/// The example trials of a trained network as one SVG: the four trial types side by side, with
/// the main output z against its target, the dummy outputs zd against theirs (each target drawn
/// only where its readout learns), and the two input channels.
public enum ExampleTrialPlot {
    public static func plot(_ examples: [ExampleTrial], title: String) -> SVGLinePlot {
        var p = SVGLinePlot(title: title, xLabel: "step (trial types " + examples.map { $0.trial.type.description }.joined(separator: " ") + ", each from its own start)",
                            yLabel: "value")
        guard !examples.isEmpty else { return p }
        var x: [Double] = [], u0: [Double] = [], u1: [Double] = [], target: [Double] = [], z: [Double] = []
        var d0: [Double] = [], d1: [Double] = [], zd0: [Double] = [], zd1: [Double] = []
        var t = 0.0
        for e in examples {
            for s in 0..<e.trial.steps {
                x.append(t)
                t += 1
                u0.append(Double(e.trial.input[2 * s])); u1.append(Double(e.trial.input[2 * s + 1]))
                target.append(e.trial.outputMask[s] ? Double(e.trial.target[s]) : .nan); z.append(e.output[s])
                d0.append(e.trial.dummyMask[s] ? Double(e.trial.dummyTarget[2 * s]) : .nan)
                d1.append(e.trial.dummyMask[s] ? Double(e.trial.dummyTarget[2 * s + 1]) : .nan)
                zd0.append(e.dummyOutput[2 * s]); zd1.append(e.dummyOutput[2 * s + 1])
            }
        }
        let c = SVGLinePlot.palette
        p.series = [
            .init(name: "input u₁", x: x, y: u0, color: "#bbbbbb"),
            .init(name: "input u₂", x: x, y: u1, color: "#dddddd"),
            .init(name: "target of z", x: x, y: target, color: c[0], dashed: true),
            .init(name: "z", x: x, y: z, color: c[0]),
            .init(name: "target of zd₁", x: x, y: d0, color: c[1], dashed: true),
            .init(name: "zd₁", x: x, y: zd0, color: c[1]),
            .init(name: "target of zd₂", x: x, y: d1, color: c[2], dashed: true),
            .init(name: "zd₂", x: x, y: zd1, color: c[2]),
        ]
        return p
    }
}
