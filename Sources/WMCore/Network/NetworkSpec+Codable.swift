extension NetworkSpec {
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case n, g, sp, gIn, spIn, nIn, bias, rule, dt, tau, leak, activation, noise, spectralRadius, seed
    }

    /// Decodes a partial spec: absent keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.fill(&n, .n)
        try c.fill(&g, .g)
        try c.fill(&sp, .sp)
        try c.fill(&gIn, .gIn)
        try c.fill(&spIn, .spIn)
        try c.fill(&nIn, .nIn)
        try c.fill(&bias, .bias)
        try c.fill(&rule, .rule)
        try c.fill(&dt, .dt)
        try c.fill(&tau, .tau)
        try c.fill(&leak, .leak)
        try c.fill(&activation, .activation)
        try c.fill(&noise, .noise)
        spectralRadius = try c.decodeIfPresent(Double.self, forKey: .spectralRadius)
        try c.fill(&seed, .seed)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(n, forKey: .n)
        try c.encode(g, forKey: .g)
        try c.encode(sp, forKey: .sp)
        try c.encode(gIn, forKey: .gIn)
        try c.encode(spIn, forKey: .spIn)
        try c.encode(nIn, forKey: .nIn)
        try c.encode(bias, forKey: .bias)
        try c.encode(rule, forKey: .rule)
        try c.encode(dt, forKey: .dt)
        try c.encode(tau, forKey: .tau)
        try c.encode(leak, forKey: .leak)
        try c.encode(activation, forKey: .activation)
        try c.encode(noise, forKey: .noise)
        try c.encodeIfPresent(spectralRadius, forKey: .spectralRadius)
        try c.encode(seed, forKey: .seed)
    }
}
