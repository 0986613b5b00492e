import Foundation
import WMCore

/// What `--readout-neurons` asks for: one readout size (a capacity run that reads n neurons), or
/// several (a memory curve over n, `ReadoutCurveMeasurement`).
///
/// Text forms: `200` (one size); `50,100,200,500,1000` (a list, in any order, sorted); `ladder`
/// (10, 20, 50, 100, … below N, then N itself); `ladder:MAX` (the same ladder up to MAX ≤ N). A
/// list must hold distinct sizes, each at least 1; sizes above N are refused when N is known
/// (`resolve(n:)`).
public enum ReadoutSizes: Sendable, Equatable {
    /// One readout size.
    case one(Int)
    /// Two or more sizes, increasing.
    case list([Int])
    /// The 1-2-5 ladder up to `top` (nil: N).
    case ladder(top: Int?)

    /// The option's name in messages.
    static let option = "--readout-neurons"

    /// Parses the option's text (see the type's forms).
    public static func parse(_ text: String) throws -> ReadoutSizes {
        let t = text.trimmingCharacters(in: .whitespaces)
        func bad(_ why: String) -> WMError {
            .invalidParameter(name: option, value: "'\(text)'", expected: why)
        }
        if t.lowercased().hasPrefix("ladder") {
            let rest = t.dropFirst("ladder".count)
            if rest.isEmpty { return .ladder(top: nil) }
            guard rest.hasPrefix(":"), let top = Int(rest.dropFirst().trimmingCharacters(in: .whitespaces)), top >= 1 else {
                throw bad("ladder or ladder:MAX with a largest size MAX ≥ 1, e.g. ladder:5000")
            }
            return .ladder(top: top)
        }
        let items = t.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !t.isEmpty, !items.contains(where: \.isEmpty) else {
            throw bad("a readout size n, or a list of sizes such as 50,100,200 (no empty entries), or ladder[:MAX]")
        }
        var sizes: [Int] = []
        for item in items {
            guard let v = Int(item) else { throw bad("whole numbers of neurons (\(item) is not one), or ladder[:MAX]") }
            guard v >= 1 else { throw bad("sizes of at least 1 neuron (\(v) reads nothing)") }
            sizes.append(v)
        }
        let dup = Dictionary(grouping: sizes, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        guard dup.isEmpty else {
            throw bad("distinct sizes (\(dup.map(String.init).joined(separator: ", ")) given more than once: each size is one point of the curve)")
        }
        return sizes.count == 1 ? .one(sizes[0]) : .list(sizes.sorted())
    }

    /// Whether this asks for a curve (more than one size).
    public var isCurve: Bool {
        if case .one = self { return false }
        return true
    }

    /// The sizes for a network of `n` neurons, increasing; every size must lie in 1…N.
    public func resolve(n: Int) throws -> [Int] {
        let sizes: [Int]
        switch self {
        case .one(let v): sizes = [v]
        case .list(let v): sizes = v
        case .ladder(let top):
            if let t = top, t > n {
                throw WMError.invalidParameter(name: Self.option, value: "ladder:\(t)", expected: "ladder:MAX with MAX in 1…N = \(n) (or ladder, which ends at N)")
            }
            sizes = Self.ladder(upTo: top ?? n)
        }
        if let big = sizes.first(where: { $0 > n }) {
            throw WMError.invalidParameter(name: Self.option, value: "\(big)",
                                           expected: "sizes in 1…N = \(n): a readout reads a subset of the network's neurons")
        }
        return sizes
    }

    /// 10, 20, 50, 100, … below `top`, then `top` (for a small `top`, from 1); one size for top = 1.
    public static func ladder(upTo top: Int) -> [Int] {
        func series(from start: Int) -> [Int] {
            var out: [Int] = [], decade = 1
            while decade < top {
                for m in [1, 2, 5] where decade * m >= start && decade * m < top { out.append(decade * m) }
                if decade > Int.max / 20 { break }
                decade *= 10
            }
            return out + [top]
        }
        let coarse = series(from: 10)
        return coarse.count >= 3 ? coarse : series(from: 1)
    }
}
