extension NetworkSpec {
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case n, g, sp, gIn, spIn, nIn, bias, rule, dt, tau, leak, activation, noise, spectralRadius, seed
    }

    /// Decodes a partial spec: absent keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        n = try c.decodeIfPresent(Int.self, forKey: .n) ?? n
        g = try c.decodeIfPresent(Double.self, forKey: .g) ?? g
        sp = try c.decodeIfPresent(Double.self, forKey: .sp) ?? sp
        gIn = try c.decodeIfPresent(Double.self, forKey: .gIn) ?? gIn
        spIn = try c.decodeIfPresent(Double.self, forKey: .spIn) ?? spIn
        nIn = try c.decodeIfPresent(Int.self, forKey: .nIn) ?? nIn
        bias = try c.decodeIfPresent(Double.self, forKey: .bias) ?? bias
        rule = try c.decodeIfPresent(UpdateRule.self, forKey: .rule) ?? rule
        dt = try c.decodeIfPresent(Double.self, forKey: .dt) ?? dt
        tau = try c.decodeIfPresent(Double.self, forKey: .tau) ?? tau
        leak = try c.decodeIfPresent(Double.self, forKey: .leak) ?? leak
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? activation
        noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? noise
        spectralRadius = try c.decodeIfPresent(Double.self, forKey: .spectralRadius)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
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
