// The catalogue of pacers by name, and the factory that builds one from a configuration.

/// The pacers gclab implements.
public enum PacerKind: String, CaseIterable, Sendable, Hashable {
    /// Trigger at a fixed fraction of the runway (baseline).
    case fixed
    /// Go 1.5's proportional trigger-ratio controller.
    case go15
    /// Go 1.18's cons/mark pacer with a PI-smoothed estimate.
    case go118
    /// Go 1.21's cons/mark pacer with a max-of-recent estimate.
    case go121
    /// MemBalancer's square-root heap limit (Kirisame et al., OOPSLA 2022) with go121's trigger and assists.
    case membalancer

    /// One line for `--help` and `--list`.
    public var summary: String {
        switch self {
        case .fixed: return "trigger at a fixed fraction of the runway (baseline, --trigger-fraction)"
        case .go15: return "Go 1.5-1.17: P controller on the trigger ratio (--kt)"
        case .go118: return "Go 1.18: cons/mark runway, PI-smoothed estimate (--kp --ti --tt)"
        case .go121: return "Go 1.21: cons/mark runway, max of this and the last 4 measurements (--consmark-history)"
        case .membalancer: return "MemBalancer: goal = live + sqrt(live*g/(c*s)), go121's trigger (--membalancer-c --membalancer-smoothing)"
        }
    }

    /// A fresh pacer of this kind.
    public func make(config: PacerConfig = PacerConfig()) -> any Pacer {
        switch self {
        case .fixed: return Go118Pacer.fixed(config: config)
        case .go15: return Go15Pacer(config: config)
        case .go118: return Go118Pacer(config: config, smoothing: .piController)
        case .go121: return Go118Pacer.go121(config: config)
        case .membalancer: return Go118Pacer.memBalancer(config: config)
        }
    }
}
