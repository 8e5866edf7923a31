// Inline SVG charts for `gclab report`: axes with units and round ticks, line and step series, dots,
// vertical bars and a legend. No script, no external font or file: a report opens from disk anywhere.
//
// Every series is one <g class="series" data-series="NAME" data-points="N"> so a test (or a reader of
// the HTML) can find what was drawn and how much of it; every dot and bar carries its value in
// data-value. Coordinates are rounded to 0.1 px to keep the files small.

import Foundation

/// One chart: an x and a y axis, and the series drawn on them.
struct SVGPlot {
    enum Style { case line, step, dots, bars }

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var style: Style
        var color: String
        /// Per point: the label a dot's or bar's tooltip shows (optional).
        var labels: [String] = []
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var logX = false
    var series: [Series] = []
    /// Category names for a categorical x axis (dots at x = 0, 1, 2, ...), or empty.
    var categories: [String] = []
    var width = 860.0, height = 300.0
    /// Lower y bound (nil: from the data, or 0 if all positive).
    var yMin: Double? = 0
    var yMax: Double? = nil
    /// x bounds (nil: from the data).
    var xMin: Double? = nil, xMax: Double? = nil

    private let left = 78.0, right = 16.0, top = 30.0
    private var bottom: Double { categories.isEmpty ? 44 : 120 }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    /// The chart as an <svg> element.
    var svg: String {
        let xs = series.flatMap { $0.points.map(\.x) }.filter { $0.isFinite && (!logX || $0 > 0) }
        let ys = series.flatMap { $0.points.map(\.y) }.filter(\.isFinite)
        var x0 = xMin ?? (xs.min() ?? 0), x1 = xMax ?? (xs.max() ?? 1)
        if !categories.isEmpty { x0 = -0.5; x1 = Double(categories.count) - 0.5 }
        if x1 <= x0 { x1 = x0 + 1 }
        var y0 = yMin ?? (ys.min() ?? 0), y1 = yMax ?? (ys.max() ?? 1)
        if y1 <= y0 { y1 = y0 + 1 }
        let yTicks = SVGPlot.ticks(y0, y1)
        y1 = max(y1, yTicks.last ?? y1)
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double {
            if logX { return left + (log10(x) - log10(x0)) / max(1e-12, log10(x1) - log10(x0)) * plotW }
            return left + (x - x0) / (x1 - x0) * plotW
        }
        func py(_ y: Double) -> Double { top + plotH - (min(max(y, y0), y1) - y0) / (y1 - y0) * plotH }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-title=\"\(escape(title))\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">"
        out += "<text x=\"\(f(left))\" y=\"18\" class=\"title\">\(escape(title))</text>"
        // Axes and grid.
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" class=\"frame\"/>"
        for t in yTicks {
            out += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\" class=\"grid\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" class=\"tick\" text-anchor=\"end\">\(escape(SVGPlot.format(t)))</text>"
        }
        if categories.isEmpty {
            let xTicks = logX ? SVGPlot.logTicks(x0, x1) : SVGPlot.ticks(x0, x1).filter { $0 >= x0 && $0 <= x1 }
            for t in xTicks {
                out += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(f(top))\" y2=\"\(f(top + plotH))\" class=\"grid\"/>"
                out += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 16))\" class=\"tick\" text-anchor=\"middle\">\(escape(SVGPlot.format(t)))</text>"
            }
        } else {
            for (i, c) in categories.enumerated() {
                let x = px(Double(i)), y = top + plotH + 12
                out += "<text x=\"\(f(x))\" y=\"\(f(y))\" class=\"tick\" text-anchor=\"end\" transform=\"rotate(-35 \(f(x)) \(f(y)))\">\(escape(c))</text>"
            }
        }
        out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" class=\"label\" text-anchor=\"middle\">\(escape(xLabel))</text>"
        out += "<text x=\"14\" y=\"\(f(top + plotH / 2))\" class=\"label\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>"
        // Series.
        for s in series {
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logX || $0.x > 0) }
            out += "<g class=\"series\" data-series=\"\(escape(s.name))\" data-points=\"\(pts.count)\">"
            switch s.style {
            case .line, .step:
                var d = ""
                for (i, p) in pts.enumerated() {
                    if i == 0 { d += "M\(f(px(p.x))),\(f(py(p.y)))" } else if s.style == .step {
                        d += "H\(f(px(p.x)))V\(f(py(p.y)))"
                    } else { d += "L\(f(px(p.x))),\(f(py(p.y)))" }
                }
                if !d.isEmpty { out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\"/>" }
            case .dots:
                for (i, p) in pts.enumerated() {
                    let tip = i < s.labels.count ? s.labels[i] : "\(s.name): \(SVGPlot.format(p.y))"
                    out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(s.color)\" data-value=\"\(p.y)\"><title>\(escape(tip))</title></circle>"
                }
            case .bars:
                for (i, p) in pts.enumerated() {
                    let tip = i < s.labels.count ? s.labels[i] : "\(s.name): \(SVGPlot.format(p.y))"
                    let x = px(p.x), y = py(p.y)
                    out += "<line x1=\"\(f(x))\" x2=\"\(f(x))\" y1=\"\(f(py(y0)))\" y2=\"\(f(y))\" stroke=\"\(s.color)\" stroke-width=\"2\" data-value=\"\(p.y)\"><title>\(escape(tip))</title></line>"
                }
            }
            out += "</g>"
        }
        // Legend, top right.
        var lx = left + plotW - 8
        for s in series.reversed() {
            let w = Double(s.name.count) * 7 + 24
            lx -= w
            out += "<rect x=\"\(f(lx))\" y=\"\(f(top + 6))\" width=\"10\" height=\"10\" fill=\"\(s.color)\"/>"
            out += "<text x=\"\(f(lx + 14))\" y=\"\(f(top + 15))\" class=\"legend\">\(escape(s.name))</text>"
        }
        return out + "</svg>"
    }

    /// Round tick values covering [lo, hi], about five of them.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        let span = hi - lo
        guard span > 0, span.isFinite else { return [lo] }
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = ceil(lo / step) * step, out: [Double] = []
        while t <= hi + step * 0.999 && out.count < 12 { out.append(t); t += step }
        return out
    }

    /// Powers of ten within [lo, hi].
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        guard lo > 0, hi > lo else { return [] }
        return stride(from: ceil(log10(lo)), through: floor(log10(hi)), by: 1).map { pow(10, $0) }
    }

    /// A tick label: short, no exponent unless huge.
    static func format(_ x: Double) -> String {
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 1e6 || a < 1e-3 { return String(format: "%.3g", x) }
        if x == x.rounded() { return String(Int(x)) }
        return String(format: "%.3g", x)
    }

    private func f(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// Text for HTML and SVG (element content and attribute values).
func escape(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}
