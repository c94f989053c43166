// The human-readable report, validation_report.md (SPEC.md section 5).
//
// Written for the operator who decides on the cutover: the verdict and what
// to do first, then the seeds' summary block, a table of the checks, one
// section per check (key metrics and the offending records), the rollback,
// and the interpretation table. It reads well both rendered and with `cat`.
// Strings from stores are escaped for table cells and kept in UTF-8.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/report.h"
#include "reports/report_text.h"

namespace vecgate {
namespace {

using report_text::ExitCodeMeaning;
using report_text::FormatCount;
using report_text::FormatDecimal;
using report_text::FormatPercent;
using report_text::FormatSeconds;
using report_text::MarkdownCell;
using report_text::MarkdownCode;
using report_text::OneLine;
using report_text::StatusBadge;
using report_text::ValidUtf8;

// At most this many metric rows per check; the JSON report has them all.
constexpr size_t kMaxMetricRows = 24;
// Arrays in metrics are shown up to this many elements.
constexpr size_t kMaxArrayItems = 8;

std::string Verdict(const ValidationReport& r) {
  switch (r.overall_status) {
    case OverallStatus::kPassed:
      return "\xE2\x9C\x85 PASSED";  // ✅
    case OverallStatus::kWarning:
      return "\xE2\x9A\xA0\xEF\xB8\x8F WARNING";  // ⚠️
    case OverallStatus::kFailed:
      return "\xE2\x9D\x8C FAILED";  // ❌
  }
  return "FAILED";
}

// One sentence: what the operator should do now.
std::string NextStep(const ValidationReport& r) {
  switch (r.overall_status) {
    case OverallStatus::kPassed:
      return "Every check passed: safe to cut over.";
    case OverallStatus::kWarning:
      return "No check failed, but some warned: review the warnings below "
             "before cutting over.";
    case OverallStatus::kFailed:
      break;
  }
  std::string text = "Do not cut over.";
  if (!r.rollback_reason.empty()) {
    text += " Rollback reason: " + OneLine(r.rollback_reason) + ".";
  }
  if (r.rollback) {
    if (r.rollback->dry_run) {
      text += " A rollback dry run was made; nothing was restored.";
    } else if (r.rollback->succeeded) {
      text += " The store was rolled back to snapshot " +
              MarkdownCode(r.rollback->snapshot_id) + ".";
    } else {
      text +=
          " **The rollback failed: manual intervention needed** (see "
          "Rollback below).";
    }
  } else {
    text += " Roll back (see Rollback below).";
  }
  return text;
}

// A scalar metric for a table cell.
std::string MetricValue(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return "\xE2\x80\x94";  // —
    case nlohmann::json::value_t::boolean:
      return v.get<bool>() ? "yes" : "no";
    case nlohmann::json::value_t::number_integer:
      return FormatCount(v.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return FormatDecimal(static_cast<double>(v.get<uint64_t>()), 0);
    case nlohmann::json::value_t::number_float:
      return FormatDecimal(v.get<double>(), 4);
    case nlohmann::json::value_t::string:
      return MarkdownCell(v.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::string out;
      size_t shown = 0;
      for (const auto& item : v) {
        if (shown == kMaxArrayItems) {
          out += ", \xE2\x80\xA6 (" + FormatCount(v.size()) + " in all)";
          break;
        }
        out += (shown++ ? ", " : "") +
               (item.is_structured()
                    ? MarkdownCode(
                          item.dump(-1, ' ', false,
                                    nlohmann::json::error_handler_t::replace))
                    : MetricValue(item));
      }
      return out.empty() ? "(none)" : out;
    }
    default: {
      std::string text =
          v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (text.size() > 120) text = text.substr(0, 117) + "...";
      return MarkdownCode(ValidUtf8(text));
    }
  }
}

// Metrics flattened to rows: nested objects become "a.b" keys, after the
// plain values of their level (so totals come before per-collection rows).
void FlattenMetrics(const nlohmann::json& metrics, const std::string& prefix,
                    int depth,
                    std::vector<std::pair<std::string, std::string>>* rows) {
  auto nested = [depth](const nlohmann::json& v) {
    return v.is_object() && depth < 2 && !v.empty();
  };
  for (const auto& item : metrics.items()) {
    if (nested(item.value())) continue;
    std::string key = prefix.empty() ? item.key() : prefix + "." + item.key();
    rows->emplace_back(key, MetricValue(item.value()));
  }
  for (const auto& item : metrics.items()) {
    if (!nested(item.value())) continue;
    std::string key = prefix.empty() ? item.key() : prefix + "." + item.key();
    FlattenMetrics(item.value(), key, depth + 1, rows);
  }
}

void AppendCheckSection(const CheckResult& check, size_t number,
                        std::string* out) {
  std::string& md = *out;
  md += "### " + std::to_string(number) + ". " + MarkdownCell(check.title) +
        " (" + MarkdownCode(check.name) + "): " + StatusBadge(check.status) +
        "\n\n";
  md += OneLine(check.summary) + "\n\n";
  if (!check.failed_collections.empty()) {
    md += "Collections at fault: ";
    for (size_t i = 0; i < check.failed_collections.size(); ++i) {
      md += (i ? ", " : "") + MarkdownCode(check.failed_collections[i]);
    }
    md += "\n\n";
  }

  std::vector<std::pair<std::string, std::string>> rows;
  if (check.metrics.is_object()) FlattenMetrics(check.metrics, "", 0, &rows);
  if (!rows.empty()) {
    md += "| Metric | Value |\n| --- | ---: |\n";
    for (size_t i = 0; i < rows.size() && i < kMaxMetricRows; ++i) {
      md +=
          "| " + MarkdownCell(rows[i].first) + " | " + rows[i].second + " |\n";
    }
    if (rows.size() > kMaxMetricRows) {
      md += "| \xE2\x80\xA6 | " + FormatCount(rows.size() - kMaxMetricRows) +
            " more in validation_report.json |\n";
    }
    md += "\n";
  }

  const int64_t listed = static_cast<int64_t>(check.findings.size());
  const int64_t total = std::max(check.findings_total, listed);
  if (total == 0) {
    md += "No offending records.\n\n";
    return;
  }
  if (listed == 0) {
    md += "**Findings:** " + FormatCount(total) +
          " (none listed: the suite's `max_findings` is 0).\n\n";
    return;
  }
  md += "**Findings:** showing " + FormatCount(listed) + " of " +
        FormatCount(total);
  if (total > listed)
    md += " (the list is capped by the suite's `max_findings`)";
  md += ".\n\n| Collection | Id | Problem |\n| --- | --- | --- |\n";
  for (const Finding& f : check.findings) {
    md += "| " +
          (f.collection.empty() ? std::string() : MarkdownCode(f.collection)) +
          " | " + (f.id.empty() ? std::string() : MarkdownCode(f.id)) + " | " +
          MarkdownCell(f.problem) + " |\n";
  }
  md += "\n";
}

void AppendRollback(const ValidationReport& r, std::string* out) {
  std::string& md = *out;
  if (!r.rollback && !r.rollback_triggered) return;
  md += "## Rollback\n\n";
  if (!r.rollback) {
    md += "The verdict calls for a rollback (" +
          MarkdownCell(r.rollback_reason.empty() ? "checks failed"
                                                 : r.rollback_reason) +
          "), but none was requested. To restore the pre-migration state, run "
          "`vecgate rollback SNAPSHOT_ID`, or validate with `--on-fail "
          "rollback --snapshot SNAPSHOT_ID` to do it automatically.\n\n";
    return;
  }
  const RollbackOutcome& rb = *r.rollback;
  std::string result;
  if (rb.dry_run) {
    result = "dry run: nothing was changed";
  } else if (rb.succeeded) {
    result = "\xE2\x9C\x85 succeeded";
  } else {
    result = "\xE2\x9D\x8C **failed: manual intervention needed**";
  }
  md += "- **Snapshot:** " + MarkdownCode(rb.snapshot_id) + "\n";
  md += "- **Result:** " + result + "\n";
  md += std::string("- **Collections") +
        (rb.dry_run ? " that would be restored" : " restored") + ":** ";
  if (rb.collections.empty()) md += "(none)";
  for (size_t i = 0; i < rb.collections.size(); ++i) {
    md += (i ? ", " : "") + MarkdownCode(rb.collections[i]);
  }
  md += "\n- **Elapsed:** " + FormatSeconds(rb.elapsed_seconds) + "\n";
  if (!rb.message.empty()) md += "- **Message:** " + OneLine(rb.message) + "\n";
  md += "\n";
}

void AppendInterpretation(const ValidationReport& r, std::string* out) {
  struct Row {
    OverallStatus status;
    const char* name;
    const char* rollback;
    const char* action;
    const char* exit_code;
  };
  const Row rows[] = {
      {OverallStatus::kPassed, "PASSED", "NO", "\xE2\x9C\x85 Safe to cut over",
       "0"},
      {OverallStatus::kWarning, "WARNING", "NO",
       "\xE2\x9A\xA0\xEF\xB8\x8F Review the warnings, then decide whether to "
       "cut "
       "over",
       "1"},
      {OverallStatus::kFailed, "FAILED", "YES",
       "\xE2\x9D\x8C Do not cut over: roll back (automatic with `--on-fail "
       "rollback`)",
       "2 (4 if the rollback failed)"},
  };
  std::string& md = *out;
  md +=
      "## Interpretation\n\n| Status | Rollback | Action | Exit code |\n"
      "| --- | --- | --- | --- |\n";
  for (const Row& row : rows) {
    const bool current = row.status == r.overall_status;
    md += std::string("| ") + (current ? "**" : "") + row.name +
          (current ? "** \xE2\x97\x80 this run" : "") + " | " + row.rollback +
          " | " + row.action + " | " + row.exit_code + " |\n";
  }
  md += "\n";
}

class MarkdownReporter : public Reporter {
 public:
  std::string format() const override { return "markdown"; }
  std::string file_name() const override { return "validation_report.md"; }

  std::string Render(const ValidationReport& r) const override {
    int64_t passed = 0, warnings = 0, failed = 0;
    for (const CheckResult& c : r.checks) {
      passed += c.status == CheckStatus::kPass;
      warnings += c.status == CheckStatus::kWarn;
      failed += c.status == CheckStatus::kFail;
    }

    std::string md;
    md += "# Migration validation report: " + Verdict(r) + "\n\n";
    md += NextStep(r) + "\n\n";
    md += "- **Old store:** " + MarkdownCode(r.old_store) + " (" +
          FormatCount(r.old_records) + " records)\n";
    md += "- **New store:** " + MarkdownCode(r.new_store) + " (" +
          FormatCount(r.new_records) + " records)\n";
    md += "- **Suite:** " + MarkdownCell(r.suite_name) +
          (r.suite_path.empty() ? std::string(" (built-in)")
                                : " (" + MarkdownCode(r.suite_path) + ")") +
          "\n";
    md += "- **Started:** " + MarkdownCell(r.started_at) + "\n";
    md += "- **Tool:** vecgate " + MarkdownCell(r.tool_version) + "\n";
    md += "- **Exit code:** " + std::to_string(r.exit_code) + " (" +
          ExitCodeMeaning(r.exit_code) + ")\n\n";

    // The seeds' summary block, line for line, plus what an operator asks next.
    const std::string rule(80, '=');
    md += "## Summary\n\n```text\n" + rule + "\nVALIDATION SUMMARY\n" + rule +
          "\n";
    md += "Total tests: " + std::to_string(r.checks.size()) + "\n";
    md += "Passed: " + std::to_string(passed) + "\n";
    md += "Warnings: " + std::to_string(warnings) + "\n";
    md += "Failed: " + std::to_string(failed) + "\n";
    md += "Elapsed time: " + FormatSeconds(r.elapsed_seconds) + "\n";
    md += std::string("Overall status: ") +
          OverallStatusName(r.overall_status) + "\n";
    md += std::string("Rollback triggered: ") +
          (r.rollback_triggered ? "YES" : "NO") + "\n";
    if (!r.rollback_reason.empty()) {
      md += "Rollback reason: " + OneLine(r.rollback_reason) + "\n";
    }
    md += "Data loss: " + FormatPercent(r.data_loss_percentage) + "\n";
    md += "Semantic divergence: " +
          FormatPercent(r.semantic_divergence_percentage) + "\n";
    md += rule + "\n```\n\n";

    md +=
        "## Checks\n\n| # | Check | Status | Summary | Findings | Time |\n"
        "| ---: | --- | --- | --- | ---: | ---: |\n";
    for (size_t i = 0; i < r.checks.size(); ++i) {
      const CheckResult& c = r.checks[i];
      const int64_t total = std::max<int64_t>(
          c.findings_total, static_cast<int64_t>(c.findings.size()));
      md += "| " + std::to_string(i + 1) + " | " + MarkdownCell(c.title) +
            " (" + MarkdownCode(c.name) + ") | " + StatusBadge(c.status) +
            " | " + MarkdownCell(c.summary) + " | " + FormatCount(total) +
            " | " + FormatSeconds(c.elapsed_seconds) + " |\n";
    }
    md += "\n## Details\n\n";
    for (size_t i = 0; i < r.checks.size(); ++i) {
      AppendCheckSection(r.checks[i], i + 1, &md);
    }
    AppendRollback(r, &md);
    AppendInterpretation(r, &md);
    md += "---\nGenerated by vecgate " + MarkdownCell(r.tool_version) +
          ". Machine-readable: `validation_report.json`; CI: "
          "`validation_report.junit.xml`.\n";
    return md;
  }
};

}  // namespace

std::unique_ptr<Reporter> NewMarkdownReporter() {
  return std::make_unique<MarkdownReporter>();
}

}  // namespace vecgate
