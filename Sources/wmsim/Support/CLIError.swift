import Foundation

/// A failure reported as one clear line with a non-zero exit.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}
