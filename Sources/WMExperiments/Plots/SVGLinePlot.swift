import Foundation

/// A small dependency-free SVG line plot: several named series over a shared x axis, optional
/// shaded bands (e.g. 95 % confidence intervals), axis ticks and a legend. Enough for memory
/// curves and effect curves; the SVG opens in any browser.
public struct SVGLinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        /// Optional band (lower, upper) drawn behind the line.
        public var band: (lower: [Double], upper: [Double])?
        public var color: String
        public var dashed: Bool
        /// Draw the points only (a scatter), filled or hollow.
        public var markersOnly = false
        public var hollow = false
        /// A dotted reference line (e.g. a chance level), thinner than the data.
        public var dotted = false
        /// What the band shows, appended to the legend entry (e.g. "95 % CI").
        public var bandLabel = "95 % CI"
        /// Scatter markers: radius (px), opacity, and a deterministic horizontal spread (±px)
        /// so that repeated x values (replicates at one parameter value) do not hide each other.
        public var markerRadius = 3.5
        public var markerOpacity = 1.0
        public var jitter = 0.0
        /// A secondary line (e.g. one level of another factor), thinner than the main data.
        public var thin = false

        public init(name: String, x: [Double], y: [Double], band: (lower: [Double], upper: [Double])? = nil, color: String, dashed: Bool = false,
                    markersOnly: Bool = false, hollow: Bool = false) {
            self.markersOnly = markersOnly
            self.hollow = hollow
            self.name = name
            self.x = x
            self.y = y
            self.band = band
            self.color = color
            self.dashed = dashed
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series] = []
    public var yRange: ClosedRange<Double>? = nil
    /// A logarithmic x axis (positive x only; ticks at 1, 2, 5 × powers of ten).
    public var logX = false
    /// Ticks at these x values instead of automatic ones (e.g. the swept values).
    public var xTickValues: [Double]? = nil
    public var width = 720.0
    public var height = 440.0

    public init(title: String, xLabel: String, yLabel: String, yRange: ClosedRange<Double>? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.yRange = yRange
    }

    /// A palette that stays readable in print.
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]

    /// "Nice" tick values covering [lo, hi].
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 6) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 { out.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return out
    }

    /// Ticks at 1, 2 and 5 × powers of ten within [lo, hi] (lo > 0); decades only when that
    /// gives more than 8.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi >= lo else { return [] }
        var out: [Double] = []
        var decade = Foundation.pow(10, Foundation.floor(Foundation.log10(lo)))
        while decade <= hi * 1.000001 {
            for m in [1.0, 2, 5] where decade * m >= lo * 0.999999 && decade * m <= hi * 1.000001 { out.append(decade * m) }
            decade *= 10
        }
        if out.count > 8 { out = out.filter { Foundation.log10($0).rounded() == Foundation.log10($0) } }
        return out
    }

    static func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func fmt(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%.4g", v)
    }

    /// The SVG document.
    public func render() -> String {
        let ml = 70.0, mt = 40.0, mb = 55.0
        let pw = width - ml - 170, ph = height - mt - mb
        // The legend sits right of the plot; the figure widens to hold its longest entry
        // (about 6.7 px per character at 12 px).
        let longest = series.filter { !$0.name.isEmpty }.map { $0.name.count + ($0.band != nil && !$0.bandLabel.isEmpty ? $0.bandLabel.count + 3 : 0) }.max() ?? 0
        let mr = Swift.max(170, 54 + 6.7 * Double(longest))
        let width = ml + pw + mr
        let tx: (Double) -> Double = logX ? { $0 > 0 ? Foundation.log10($0) : -.infinity } : { $0 }
        let xs = series.flatMap(\.x).map(tx).filter(\.isFinite)
        var ys = series.flatMap(\.y).filter(\.isFinite)
        for s in series { if let b = s.band { ys += (b.lower + b.upper).filter(\.isFinite) } }
        var x0 = xs.min() ?? 0, x1 = Swift.max(xs.max() ?? 1, x0 + 1e-12)
        var y0 = yRange?.lowerBound ?? (ys.min() ?? 0), y1 = yRange?.upperBound ?? (ys.max() ?? 1)
        // Scatter points get headroom so that none sits on the frame.
        if series.contains(where: \.markersOnly) {
            let dx = 0.04 * (x1 - x0)
            x0 -= dx; x1 += dx
            if yRange == nil { let dy = 0.04 * Swift.max(y1 - y0, 1e-12); y0 -= dy; y1 += dy }
        }
        if y1 <= y0 { y1 = y0 + 1; y0 -= 0 }
        // Headroom: no line or band touches the frame when the range comes from the data.
        if yRange == nil { let dy = 0.06 * (y1 - y0); y0 -= dy; y1 += dy }
        func px(_ x: Double) -> Double { ml + (tx(x) - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { mt + (1 - (Swift.min(Swift.max(y, y0), y1) - y0) / (y1 - y0)) * ph }
        var o = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        o += "<text x=\"\(ml + pw / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(SVGLinePlot.esc(title))</text>\n"
        for t in SVGLinePlot.ticks(y0, y1) {
            o += "<line x1=\"\(ml)\" x2=\"\(ml + pw)\" y1=\"\(py(t))\" y2=\"\(py(t))\" stroke=\"#e5e5e5\"/>"
            o += "<text x=\"\(ml - 6)\" y=\"\(py(t) + 4)\" text-anchor=\"end\">\(SVGLinePlot.fmt(t))</text>\n"
        }
        let xTicks = xTickValues ?? (logX ? Self.logTicks(Foundation.pow(10, x0), Foundation.pow(10, x1)) : SVGLinePlot.ticks(x0, x1))
        for t in xTicks {
            o += "<line x1=\"\(px(t))\" x2=\"\(px(t))\" y1=\"\(mt + ph)\" y2=\"\(mt + ph + 5)\" stroke=\"black\"/>"
            o += "<text x=\"\(px(t))\" y=\"\(mt + ph + 18)\" text-anchor=\"middle\">\(SVGLinePlot.fmt(t))</text>\n"
        }
        o += "<rect x=\"\(ml)\" y=\"\(mt)\" width=\"\(pw)\" height=\"\(ph)\" fill=\"none\" stroke=\"black\"/>\n"
        o += "<text x=\"\(ml + pw / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(SVGLinePlot.esc(xLabel))</text>\n"
        o += "<text transform=\"translate(18,\(mt + ph / 2)) rotate(-90)\" text-anchor=\"middle\">\(SVGLinePlot.esc(yLabel))</text>\n"
        for s in series {
            let pts = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            if let b = s.band, s.markersOnly {
                // Scatter points carry their intervals as error bars.
                for (k, x) in s.x.enumerated() where k < b.lower.count && k < b.upper.count && tx(x).isFinite && b.lower[k].isFinite && b.upper[k].isFinite {
                    let cx = px(x)
                    o += "<line x1=\"\(cx)\" x2=\"\(cx)\" y1=\"\(py(b.lower[k]))\" y2=\"\(py(b.upper[k]))\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>"
                    for y in [b.lower[k], b.upper[k]] { o += "<line x1=\"\(cx - 4)\" x2=\"\(cx + 4)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>" }
                }
                o += "\n"
            } else if let b = s.band {
                let upper = zip(s.x, b.upper).filter { $0.0.isFinite && $0.1.isFinite }.map { "\(px($0.0)),\(py($0.1))" }
                let lower = zip(s.x, b.lower).filter { $0.0.isFinite && $0.1.isFinite }.reversed().map { "\(px($0.0)),\(py($0.1))" }
                if !upper.isEmpty {
                    o += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(s.color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
                }
            }
            guard !pts.isEmpty else { continue }
            if s.markersOnly {
                let opacity = s.markerOpacity < 1 ? " opacity=\"\(s.markerOpacity)\"" : ""
                for (k, p) in pts.enumerated() where tx(p.0).isFinite {
                    // Golden-ratio sequence: an even, reproducible spread.
                    let dx = s.jitter * 2 * ((Double(k) * 0.6180339887).truncatingRemainder(dividingBy: 1) - 0.5)
                    o += "<circle cx=\"\(px(p.0) + dx)\" cy=\"\(py(p.1))\" r=\"\(s.markerRadius)\" fill=\"\(s.hollow ? "white" : s.color)\" stroke=\"\(s.color)\" stroke-width=\"1.2\"\(opacity)/>"
                }
                o += "\n"
                continue
            }
            // A non-finite y breaks the line: where a series is undefined nothing is drawn.
            var segments: [[(Double, Double)]] = [[]]
            for (x, y) in zip(s.x, s.y) {
                if tx(x).isFinite && y.isFinite { segments[segments.count - 1].append((x, y)) } else if !segments[segments.count - 1].isEmpty { segments.append([]) }
            }
            for seg in segments where !seg.isEmpty {
                let path = seg.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
                o += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"\(s.dotted ? 1.2 : s.thin ? 1.4 : 2)\"\(Self.dash(s))/>\n"
            }
            if pts.count <= 40 && !s.dotted {
                for p in pts { o += "<circle cx=\"\(px(p.0))\" cy=\"\(py(p.1))\" r=\"\(s.thin ? 2 : 2.5)\" fill=\"\(s.color)\"/>" }
                o += "\n"
            }
        }
        for (i, s) in series.filter({ !$0.name.isEmpty }).enumerated() {
            let y = mt + 10 + Double(i) * 20
            if s.markersOnly {
                o += "<circle cx=\"\(ml + pw + 24)\" cy=\"\(y)\" r=\"3.5\" fill=\"\(s.hollow ? "white" : s.color)\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>"
            } else {
                if s.band != nil {
                    o += "<rect x=\"\(ml + pw + 12)\" y=\"\(y - 6)\" width=\"24\" height=\"12\" fill=\"\(s.color)\" fill-opacity=\"0.18\"/>"
                }
                o += "<line x1=\"\(ml + pw + 12)\" x2=\"\(ml + pw + 36)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"\(s.color)\" stroke-width=\"\(s.dotted ? 1.2 : s.thin ? 1.4 : 2)\"\(Self.dash(s))/>"
            }
            let name = s.name + (s.band != nil && !s.bandLabel.isEmpty ? " ± \(s.bandLabel)" : "")
            o += "<text x=\"\(ml + pw + 42)\" y=\"\(y + 4)\">\(SVGLinePlot.esc(name))</text>\n"
        }
        o += "</svg>\n"
        return o
    }

    static func dash(_ s: Series) -> String {
        s.dotted ? " stroke-dasharray=\"2,3\"" : s.dashed ? " stroke-dasharray=\"6,4\"" : ""
    }

    /// Writes the SVG atomically.
    public func write(to url: URL) throws {
        try ResultWriter.text(render(), to: url)
    }
}
