// The registry of collector plans. Adding a collector: a folder Plan/<Name>/ that defines its
// `CollectorKind` (name, traits, how to build its collector) and its collector, one line here, and its tests
// (see docs/ARCHITECTURE.md, "Adding a collector").

extension CollectorKind {
    /// Every collector, in the order `gclab list` shows them.
    public static let allCases: [CollectorKind] = [.stw, .concurrent, .treadmill, .semispace, .immix, .baker, .sticky, .gencopy]

    /// The collector called `name`, if any.
    public init?(name: String) {
        guard let kind = CollectorKind.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    /// Every plan option of every collector, in registry order (the matrix and results columns).
    public static var allPlanOptions: [PlanOption] {
        var seen = Set<String>(), result: [PlanOption] = []
        for kind in allCases { for o in kind.traits.options where seen.insert(o.name).inserted { result.append(o) } }
        return result
    }
}

extension CollectorKind {
    /// The collector a run gets when none is named (`gclab run`, `gclab matrix`).
    public static var runDefault: CollectorKind { .concurrent }

    /// The collector a `HeapConfiguration` starts with: the stop-the-world baseline.
    public static var configurationDefault: CollectorKind { .stw }

    /// The collectors whose traits accept `accepts`, by name, for messages ("stw or concurrent").
    public static func names(where accepts: (CollectorKind) -> Bool) -> String {
        let names = allCases.filter(accepts).map(\.name)
        return names.count <= 1 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
