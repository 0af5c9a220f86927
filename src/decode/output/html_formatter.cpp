// One self-contained HTML page (inline CSS and SVG, nothing fetched) per
// run: for each input, a timeline of the busiest activities (one row per
// activity name, one bar per completed activity), a duration histogram per
// activity name, and the summary's tables. The numbers come from the
// summary's collector, so the page and `--summary` always agree.
#include "formatters.hpp"
#include "summary_stats.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>
#include <vector>

namespace ehtrace::decode::detail {
namespace {

// Enough rows to see what dominates; a row per name would bury it.
constexpr std::size_t max_rows = 10;
// Beyond this many bars in a row the SVG gets too heavy for a browser; the
// row says how many it left out.
constexpr std::size_t max_bars = 5000;
constexpr unsigned histogram_bins = 20;
constexpr double label_width = 240, plot_width = 960, row_height = 22;

// Text for an element or a quoted attribute: control characters escaped
// (as the text summary shows them), then the five HTML specials.
void append_html(std::string& out, std::string_view utf8) {
    std::string text;
    append_utf8_text(text, utf8, text_escape::control);
    for (const char c : text) {
        switch (c) {
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '>': out.append("&gt;"); break;
        case '"': out.append("&quot;"); break;
        case '\'': out.append("&#39;"); break;
        default: out.push_back(c);
        }
    }
}

constexpr char page_head[] = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ehtrace report</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2430; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccd; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { padding: 2px 10px; border-bottom: 1px solid #e4e6ec; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f1f3f7; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
svg .axis { stroke: #99a; } svg .grid { stroke: #e4e6ec; }
.bar { fill: #4c78a8; stroke: #fff; stroke-width: 0.5; } .bar:hover, .bin:hover { fill: #f58518; }
.bin { fill: #54a24b; }
.histograms { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-weight: 600; }
.note { color: #667; }
</style>
</head>
<body>
<h1>ehtrace report</h1>
)";

class html_report final : public stats_formatter {
public:
    html_report() : stats_formatter(true) {}
    void begin(std::string& out) override { out.append(page_head); }
    void end(std::string& out) override { out.append("</body>\n</html>\n"); }

private:
    void write_input(std::string& out) override {
        out.append("<section class=\"input\">\n<h2>");
        append_html(out, source());
        out.append("</h2>\n");
        write_facts(out);
        write_timeline(out);
        write_histograms(out);
        write_tables(out);
        out.append("</section>\n");
    }

    void write_facts(std::string& out) const {
        appendf(out, "<p class=\"facts\">%" PRIu64 " events", stats().total());
        if (stats().has_span()) {
            appendf(out, " over %.6f s", stats().span_s());
            if (stats().utc()) {
                out.append(" (");
                append_utc_time_text(out, stats().first_ns());
                out.append(" to ");
                append_utc_time_text(out, stats().last_ns());
                out.push_back(')');
            }
        }
        if (const auto lost = stats().lost()) appendf(out, ", %" PRIu64 " lost", *lost);
        out.append("</p>\n");
    }

    // Names with completed, timed activities, the most total time first.
    [[nodiscard]] std::vector<std::string> busiest() const {
        std::vector<std::pair<std::uint64_t, std::string>> list;
        for (const auto& [name, spans] : stats().spans()) {
            std::uint64_t total = 0;
            for (const activity_span& s : spans) total += s.stop_ns - s.start_ns;
            list.emplace_back(total, name);
        }
        std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<std::string> names;
        for (std::size_t i = 0; i < list.size() && i < max_rows; ++i) names.push_back(list[i].second);
        return names;
    }

    void write_timeline(std::string& out) const {
        out.append("<h3>Timeline of the busiest activities</h3>\n");
        const std::vector<std::string> rows = busiest();
        if (rows.empty()) {
            out.append("<p class=\"note\">No completed activities with times.</p>\n");
            return;
        }
        if (stats().spans().size() > rows.size()) {
            appendf(out, "<p class=\"note\">The %zu activity names with the most total time of %zu.</p>\n", rows.size(),
                    stats().spans().size());
        }
        const double span_ns = std::max<double>(1, static_cast<double>(stats().last_ns() - stats().first_ns()));
        const double height = row_height * static_cast<double>(rows.size()) + 24;
        appendf(out, "<svg class=\"timeline\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
                label_width + plot_width + 10, height, label_width + plot_width + 10, height);
        for (int tick = 0; tick <= 4; ++tick) {  // a grid line and a time every quarter of the span
            const double x = label_width + plot_width * tick / 4;
            appendf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.0f\"/>", x, x, height - 20);
            appendf(out, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">%.3f ms</text>\n", x, height - 6,
                    tick == 0   ? "start"
                    : tick == 4 ? "end"
                                : "middle",
                    span_ns / 1e6 * tick / 4);
        }
        double y = 0;
        for (const std::string& name : rows) {
            const std::vector<activity_span>& spans = stats().spans().at(name);
            out.append("<g class=\"row\" data-name=\"");
            append_html(out, name);
            appendf(out, "\" data-count=\"%zu\">", spans.size());
            appendf(out, "<text x=\"0\" y=\"%.1f\">", y + 15);
            append_html(out, name);
            if (spans.size() > max_bars) appendf(out, " (%zu not drawn)", spans.size() - max_bars);
            out.append("</text>\n");
            for (std::size_t i = 0; i < spans.size() && i < max_bars; ++i) {
                const activity_span& s = spans[i];
                const double x =
                    label_width + plot_width * static_cast<double>(s.start_ns - stats().first_ns()) / span_ns;
                const double w = std::max(1.0, plot_width * static_cast<double>(s.stop_ns - s.start_ns) / span_ns);
                appendf(out, "<rect class=\"bar\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.0f\">", x, y + 3, w,
                        row_height - 6);
                appendf(out, "<title>%.3f ms, pid %" PRIu32 " tid %" PRIu32 "</title></rect>\n",
                        ms(s.stop_ns - s.start_ns), s.pid, s.tid);
            }
            out.append("</g>\n");
            y += row_height;
        }
        out.append("</svg>\n");
    }

    void write_histograms(std::string& out) const {
        out.append("<h3>Duration histograms</h3>\n<div class=\"histograms\">\n");
        bool any = false;
        for (const auto& [name, activity] : stats().activities()) {
            if (!stats().timed(activity)) continue;
            any = true;
            write_histogram(out, name, activity.durations);
        }
        out.append(any ? "</div>\n" : "</div>\n<p class=\"note\">No activity durations.</p>\n");
    }

    // Equal-width bins from the shortest to the longest duration; one bin
    // when they are all equal. Only bins with durations get a bar.
    static void write_histogram(std::string& out, const std::string& name, const std::vector<std::uint64_t>& sorted) {
        const std::uint64_t lo = sorted.front(), hi = sorted.back();
        const unsigned bins = hi == lo ? 1 : histogram_bins;
        const double width = static_cast<double>(hi - lo) / bins;
        std::vector<std::uint64_t> counts(bins);
        for (const std::uint64_t d : sorted) {
            auto bin = hi == lo ? 0u : static_cast<unsigned>(static_cast<double>(d - lo) / width);
            ++counts[std::min(bin, bins - 1)];
        }
        const std::uint64_t tallest = *std::max_element(counts.begin(), counts.end());
        constexpr double w = 320, h = 120, bar_w = w / histogram_bins;
        out.append("<figure class=\"histogram\" data-name=\"");
        append_html(out, name);
        out.append("\"><figcaption>");
        append_html(out, name);
        appendf(out, "</figcaption>\n<svg width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">", w + 20, h + 36,
                w + 20, h + 36);
        appendf(out, "<line class=\"axis\" x1=\"10\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n", h + 1, w + 10, h + 1);
        for (unsigned i = 0; i < bins; ++i) {
            if (counts[i] == 0) continue;
            const double bh = std::max(1.0, h * static_cast<double>(counts[i]) / static_cast<double>(tallest));
            const double from = static_cast<double>(lo) + width * i;
            appendf(out,
                    "<rect class=\"bin\" data-count=\"%" PRIu64
                    "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\">",
                    counts[i], 10 + bar_w * i + 1, h - bh + 1, bar_w - 2, bh);
            appendf(out, "<title>%" PRIu64 " from %.3f to %.3f ms</title></rect>\n", counts[i], from / 1e6,
                    (from + (hi == lo ? 0 : width)) / 1e6);
        }
        appendf(out, "<text x=\"10\" y=\"%.0f\">%.3f ms</text>", h + 18, ms(lo));
        appendf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.3f ms</text>", w + 10, h + 18, ms(hi));
        appendf(out, "<text x=\"10\" y=\"%.0f\">durations: %zu, tallest bar: %" PRIu64 "</text>", h + 34, sorted.size(),
                tallest);
        out.append("</svg></figure>\n");
    }

    void write_tables(std::string& out) const {
        out.append(
            "<h3>Events</h3>\n<table class=\"events\"><thead><tr><th>event</th><th>count</th>"
            "<th>per second</th></tr></thead><tbody>\n");
        for (const auto& [name, count] : stats().events_by_count()) {
            out.append("<tr><td>");
            append_html(out, name);
            appendf(out, "</td><td>%" PRIu64 "</td>", count);
            if (const double r = stats().rate(count); r >= 0) appendf(out, "<td>%.1f</td></tr>\n", r);
            else out.append("<td>-</td></tr>\n");
        }
        out.append("</tbody></table>\n");
        if (!stats().activities().empty()) {
            out.append(
                "<h3>Activities</h3>\n<table class=\"activities\"><thead><tr><th>activity</th><th>count</th>"
                "<th>unmatched</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr></thead>"
                "<tbody>\n");
            for (const auto& [name, activity] : stats().activities()) {
                out.append("<tr><td>");
                append_html(out, name);
                appendf(out, "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td>", activity.completed,
                        activity.unmatched_starts + activity.unmatched_stops);
                if (stats().timed(activity)) {
                    const auto& d = activity.durations;
                    appendf(out, "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n", ms(percentile(d, 50)),
                            ms(percentile(d, 90)), ms(percentile(d, 99)), ms(d.back()));
                } else {
                    out.append("<td>-</td><td>-</td><td>-</td><td>-</td></tr>\n");
                }
            }
            out.append("</tbody></table>\n");
        }
        if (!stats().threads().empty()) {
            out.append(
                "<h3>Threads</h3>\n<table class=\"threads\"><thead><tr><th>thread</th><th>pid</th><th>tid</th>"
                "<th>events</th></tr></thead><tbody>\n");
            for (const auto& [ids, count] : stats().threads()) {
                const std::string_view comm = stats().names().thread(ids.first, ids.second);
                out.append("<tr><td>");
                append_html(out, comm.empty() ? std::string_view("?") : comm);
                appendf(out, "</td><td>%" PRIu32 "</td><td>%" PRIu32 "</td><td>%" PRIu64 "</td></tr>\n", ids.first,
                        ids.second, count);
            }
            out.append("</tbody></table>\n");
        }
    }
};

}  // namespace

std::unique_ptr<formatter> make_html_formatter() { return std::make_unique<html_report>(); }

}  // namespace ehtrace::decode::detail
