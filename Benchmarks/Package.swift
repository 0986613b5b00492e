// swift-tools-version: 6.1
// Benchmarks of wmsim, kept in their own package so that the main package, its build and CI never
// resolve or compile ordo-one/benchmark (and its malloc/runtime interposers). See README.md.
import PackageDescription

let package = Package(
    name: "wmsim-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "wmsim", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WMCore", package: "wmsim"),
                .product(name: "WMOpenCL", package: "wmsim"),
                .product(name: "WMExperiments", package: "wmsim"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "ReadoutBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "WMCore", package: "wmsim"),
                .product(name: "WMOpenCL", package: "wmsim"),
                .product(name: "WMExperiments", package: "wmsim"),
            ],
            path: "Benchmarks/ReadoutBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
