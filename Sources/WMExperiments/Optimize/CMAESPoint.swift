/// A candidate (original units, integer coordinates rounded) and its objective value.
public struct CMAESPoint: Codable, Sendable, Hashable {
    /// The evaluated candidate.
    public var x: [Double]
    /// Its (finite) objective value.
    public var value: Double

    public init(x: [Double], value: Double) {
        self.x = x
        self.value = value
    }
}
