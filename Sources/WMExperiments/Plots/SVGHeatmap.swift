import Foundation

/// A labelled 2-D map (e.g. mean capacity over two swept parameters) as a self-contained SVG:
/// one cell per (x, y) value pair, a sequential colour scale, the value printed in each cell.
public struct SVGHeatmap: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Column and row labels.
    public var xValues: [String]
    public var yValues: [String]
    /// values[row][column]; NaN cells are grey.
    public var values: [[Double]]
    /// What the colours show, above the colour bar (e.g. "mean MC").
    public var valueLabel = ""

    public init(title: String, xLabel: String, yLabel: String, xValues: [String], yValues: [String], values: [[Double]]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xValues = xValues
        self.yValues = yValues
        self.values = values
    }

    /// Viridis-like colour for t in [0, 1].
    static func color(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let x = Swift.min(Swift.max(t, 0), 1) * Double(stops.count - 1)
        let i = Swift.min(Int(x), stops.count - 2), f = x - Double(i)
        let a = stops[i], b = stops[i + 1]
        return String(format: "rgb(%d,%d,%d)", Int(a.0 + f * (b.0 - a.0)), Int(a.1 + f * (b.1 - a.1)), Int(a.2 + f * (b.2 - a.2)))
    }

    /// The SVG document.
    public func render() -> String {
        let ml = 90.0, mt = 44.0, mb = 60.0, mr = 110.0
        let cw = Swift.max(48.0, 560.0 / Double(Swift.max(xValues.count, 1))), ch = Swift.max(28.0, 360.0 / Double(Swift.max(yValues.count, 1)))
        let w = ml + cw * Double(xValues.count) + mr, h = mt + ch * Double(yValues.count) + mb
        let finite = values.flatMap { $0 }.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = Swift.max(finite.max() ?? 1, lo + 1e-12)
        var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
        o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        o += "<text x=\"\(w / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">\(SVGLinePlot.esc(title))</text>\n"
        for (r, row) in values.enumerated() {
            // Row 0 at the bottom, as on a y axis.
            let y = mt + ch * Double(yValues.count - 1 - r)
            for (c, v) in row.enumerated() {
                let x = ml + cw * Double(c)
                let fill = v.isFinite ? SVGHeatmap.color((v - lo) / (hi - lo)) : "#cccccc"
                o += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cw)\" height=\"\(ch)\" fill=\"\(fill)\" stroke=\"white\"/>"
                let dark = v.isFinite && (v - lo) / (hi - lo) < 0.55
                o += "<text x=\"\(x + cw / 2)\" y=\"\(y + ch / 2 + 4)\" text-anchor=\"middle\" fill=\"\(dark ? "white" : "black")\">\(v.isFinite ? String(format: "%.3g", v) : "—")</text>\n"
            }
            o += "<text x=\"\(ml - 6)\" y=\"\(y + ch / 2 + 4)\" text-anchor=\"end\">\(SVGLinePlot.esc(r < yValues.count ? Self.short(yValues[r]) : ""))</text>\n"
        }
        for (c, label) in xValues.enumerated() {
            o += "<text x=\"\(ml + cw * (Double(c) + 0.5))\" y=\"\(mt + ch * Double(yValues.count) + 16)\" text-anchor=\"middle\">\(SVGLinePlot.esc(Self.short(label)))</text>\n"
        }
        // The colour bar: the scale from the smallest to the largest finite value.
        let bx = ml + cw * Double(xValues.count) + 24, bh = ch * Double(yValues.count), bw = 14.0
        o += "<defs><linearGradient id=\"scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
        for k in 0...4 { o += "<stop offset=\"\(Double(k) / 4)\" stop-color=\"\(SVGHeatmap.color(Double(k) / 4))\"/>" }
        o += "</linearGradient></defs>\n"
        o += "<rect x=\"\(bx)\" y=\"\(mt)\" width=\"\(bw)\" height=\"\(bh)\" fill=\"url(#scale)\" stroke=\"black\" stroke-width=\"0.5\"/>\n"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4, y = mt + bh * (1 - Double(k) / 4)
            o += "<line x1=\"\(bx + bw)\" x2=\"\(bx + bw + 4)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"black\"/>"
            o += "<text x=\"\(bx + bw + 7)\" y=\"\(y + 4)\">\(String(format: "%.3g", v))</text>\n"
        }
        if !valueLabel.isEmpty {
            o += "<text x=\"\(bx + bw / 2)\" y=\"\(mt - 8)\" text-anchor=\"middle\">\(SVGLinePlot.esc(valueLabel))</text>\n"
        }
        o += "<text x=\"\(ml + cw * Double(xValues.count) / 2)\" y=\"\(h - 14)\" text-anchor=\"middle\" font-size=\"13\">\(SVGLinePlot.esc(xLabel))</text>\n"
        o += "<text transform=\"translate(20,\(mt + ch * Double(yValues.count) / 2)) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">\(SVGLinePlot.esc(yLabel))</text>\n"
        o += "</svg>\n"
        return o
    }

    /// A numeric label with 4 significant digits ("3.162" for "3.16227766017"); others unchanged.
    static func short(_ label: String) -> String {
        guard let v = Double(label), v.isFinite else { return label }
        return String(format: "%.4g", v)
    }

    /// Writes the SVG atomically.
    public func write(to url: URL) throws {
        try ResultWriter.text(render(), to: url)
    }
}
