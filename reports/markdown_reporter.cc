// The human-readable report, validation_report.md.
//
// Written for the operator who decides on the cutover. The first screen says
// the verdict, what to do, and what changed: which checks, in which
// collections, how many records. Then the stores, the summary block, a table
// of the checks with the threshold that decided each, one section per check
// (its thresholds, a per-collection table, key metrics with zero counters
// collapsed, findings grouped by problem), the problems the old store already
// had, the rollback, and the interpretation table. A run that could not
// complete gets an ERROR report saying what could not be read.
//
// Every string from a store goes through MarkdownCell or MarkdownCode: valid
// UTF-8, controls escaped, HTML and pipes neutralised. It reads well both
// rendered and with `cat`.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/report.h"
#include "reports/report_text.h"

namespace vecgate {
namespace {

using report_text::CriterionText;
using report_text::DecidingCriteria;
using report_text::FindingCollections;
using report_text::FormatCount;
using report_text::FormatDecimal;
using report_text::FormatPercent;
using report_text::FormatSeconds;
using report_text::GroupByProblem;
using report_text::MarkdownCell;
using report_text::MarkdownCode;
using report_text::StatusBadge;

// At most this many metric rows per check; the JSON report has them all.
constexpr size_t kMaxMetricRows = 24;
// Arrays in metrics are shown up to this many elements.
constexpr size_t kMaxArrayItems = 8;
// Ids shown per problem before "…".
constexpr size_t kMaxIdsPerProblem = 10;
// Rows of a per-collection table.
constexpr size_t kMaxCollectionRows = 50;

const char kEllipsis[] = "\xE2\x80\xA6";  // …
const char kDash[] = "\xE2\x80\x94";      // —

std::string Verdict(const ValidationReport& r) {
  switch (r.overall_status) {
    case OverallStatus::kPassed:
      return "\xE2\x9C\x85 PASSED";  // ✅
    case OverallStatus::kWarning:
      return "\xE2\x9A\xA0\xEF\xB8\x8F WARNING";  // ⚠️
    case OverallStatus::kFailed:
      return "\xE2\x9D\x8C FAILED";  // ❌
    case OverallStatus::kError:
      return "\xE2\x9B\x94 ERROR";  // ⛔
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
    case OverallStatus::kError:
      return "The run could not complete, so nothing was decided: no check "
             "result below is a verdict. Fix the cause and run it again.";
    case OverallStatus::kFailed:
      break;
  }
  std::string text = "Do not cut over.";
  if (!r.rollback_reason.empty()) {
    text += " Rollback reason: " + MarkdownCell(r.rollback_reason) + ".";
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

// How every list cut short says so: "showing 10 of 98; all in
// validation_report.json".
std::string Showing(size_t shown, size_t total, const std::string& json_file) {
  return "showing " + FormatCount(static_cast<int64_t>(shown)) + " of " +
         FormatCount(static_cast<int64_t>(total)) + "; all in " + MarkdownCode(json_file);
}

std::string CodeList(const std::vector<std::string>& names, size_t max,
                     const std::string& json_file) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max; ++i) {
    out += (i ? ", " : "") + MarkdownCode(names[i]);
  }
  if (names.size() > max) {
    out += ", " + std::string(kEllipsis) + " (" + Showing(max, names.size(), json_file) + ")";
  }
  return out;
}

// What a finding counts: a record, or a whole collection when the finding
// names none (collection_distribution, a changed dimension).
std::string Unit(const std::vector<const Finding*>& findings, int64_t n) {
  bool collections = !findings.empty();
  for (const Finding* f : findings) collections = collections && f->id.empty();
  if (collections) return n == 1 ? " collection" : " collections";
  return n == 1 ? " record" : " records";
}

std::string Unit(const std::vector<Finding>& findings, int64_t n) {
  std::vector<const Finding*> pointers;
  for (const Finding& f : findings) pointers.push_back(&f);
  return Unit(pointers, n);
}

// A metric for a table cell: never raw JSON. Lists of scalars are shown
// (cut at kMaxArrayItems), lists of objects and objects are counted.
std::string MetricValue(const nlohmann::json& v, const std::string& json_file) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      return kDash;
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
      if (v.empty()) return "(none)";
      size_t structured = 0;
      for (const auto& item : v) structured += item.is_structured();
      if (structured > 0) {
        return FormatCount(static_cast<int64_t>(v.size())) +
               (v.size() == 1 ? " entry" : " entries") + " (in " + MarkdownCode(json_file) + ")";
      }
      std::string out;
      size_t shown = 0;
      for (const auto& item : v) {
        if (shown == kMaxArrayItems) {
          out += ", " + std::string(kEllipsis) + " (" + Showing(shown, v.size(), json_file) + ")";
          break;
        }
        out += (shown++ ? ", " : "") + MetricValue(item, json_file);
      }
      return out;
    }
    default:  // an object below the depth FlattenMetrics opens
      return v.empty() ? std::string("(none)")
                       : FormatCount(static_cast<int64_t>(v.size())) +
                             (v.size() == 1 ? " value" : " values") + " (in " +
                             MarkdownCode(json_file) + ")";
  }
}

bool IsZero(const nlohmann::json& v) {
  return v.is_number() && v.get<double>() == 0.0;
}

// Metrics flattened to rows: nested objects become "a.b" keys, after the
// plain values of their level (so totals come before per-collection rows).
// Zero counters are not rows of their own: their keys go to `zeros`.
void FlattenMetrics(const nlohmann::json& metrics, const std::string& prefix, int depth,
                    const std::string& json_file,
                    std::vector<std::pair<std::string, std::string>>* rows,
                    std::vector<std::string>* zeros) {
  auto nested = [depth](const nlohmann::json& v) {
    return v.is_object() && depth < 4 && !v.empty();
  };
  for (const auto& item : metrics.items()) {
    if (nested(item.value())) continue;
    std::string key = prefix.empty() ? item.key() : prefix + "." + item.key();
    if (IsZero(item.value())) {
      zeros->push_back(key);
    } else {
      rows->emplace_back(key, MetricValue(item.value(), json_file));
    }
  }
  for (const auto& item : metrics.items()) {
    if (!nested(item.value())) continue;
    std::string key = prefix.empty() ? item.key() : prefix + "." + item.key();
    FlattenMetrics(item.value(), key, depth + 1, json_file, rows, zeros);
  }
}

void AppendCriteria(const CheckResult& check, std::string* md) {
  if (check.criteria.empty()) return;
  *md += "| Threshold | Observed | Limit | Result |\n| --- | ---: | --- | --- |\n";
  for (const Criterion& c : check.criteria) {
    *md += "| " + MarkdownCell(c.what) + " | " + MarkdownCell(c.observed) + " | " +
           MarkdownCell(c.limit) + " | " + StatusBadge(c.status) + " |\n";
  }
  *md += "\n";
}

// per_collection: one flat object per collection, as a table with one row
// per collection and one column per key ("collection" first).
void AppendPerCollection(const CheckResult& check, const std::string& json_file,
                         std::string* md) {
  if (!check.per_collection.is_array() || check.per_collection.empty()) return;
  std::vector<std::string> columns;
  for (const auto& row : check.per_collection) {
    if (!row.is_object()) continue;
    for (const auto& item : row.items()) {
      if (std::find(columns.begin(), columns.end(), item.key()) == columns.end()) {
        columns.push_back(item.key());
      }
    }
  }
  if (columns.empty()) return;
  auto at = std::find(columns.begin(), columns.end(), "collection");
  if (at != columns.end()) std::rotate(columns.begin(), at, at + 1);
  std::string header = "|", rule = "|";
  for (const auto& c : columns) {
    header += " " + MarkdownCell(c) + " |";
    rule += c == "collection" ? " --- |" : " ---: |";
  }
  *md += "**Per collection**\n\n" + header + "\n" + rule + "\n";
  size_t shown = 0;
  for (const auto& row : check.per_collection) {
    if (!row.is_object()) continue;
    if (shown++ == kMaxCollectionRows) {
      *md += "| " + std::string(kEllipsis) + " " +
             Showing(kMaxCollectionRows, check.per_collection.size(), json_file) + " |\n";
      break;
    }
    std::string line = "|";
    for (const auto& c : columns) {
      auto it = row.find(c);
      if (it == row.end()) {
        line += " |";
      } else if (c == "collection" && it->is_string()) {
        line += " " + MarkdownCode(it->get<std::string>()) + " |";
      } else {
        line += " " + MetricValue(*it, json_file) + " |";
      }
    }
    *md += line + "\n";
  }
  *md += "\n";
}

// Findings grouped by problem, with their count before their ids:
// "- **nan**: 491 records: `a`, `b`, …".
void AppendFindingGroups(const std::vector<Finding>& findings, const std::string& json_file,
                         std::string* md) {
  std::vector<std::string> collections;
  for (const Finding& f : findings) {
    if (std::find(collections.begin(), collections.end(), f.collection) == collections.end()) {
      collections.push_back(f.collection);
    }
  }
  const bool name_collection = collections.size() > 1;
  for (const auto& group : GroupByProblem(findings)) {
    const int64_t n = static_cast<int64_t>(group.findings.size());
    *md += "- **" + MarkdownCell(group.problem) + "**: " + FormatCount(n) +
           Unit(group.findings, n);
    std::string ids;
    size_t shown = 0;
    for (const Finding* f : group.findings) {
      if (shown == kMaxIdsPerProblem) {
        ids += ", " + std::string(kEllipsis) + " (" +
               Showing(shown, group.findings.size(), json_file) + ")";
        break;
      }
      std::string id = f->id.empty() ? std::string("(collection)") : f->id;
      ids += (shown++ ? ", " : "") +
             MarkdownCode(name_collection && !f->collection.empty() ? f->collection + "/" + id
                                                                    : id);
    }
    *md += ": " + ids;
    if (!name_collection && !collections.empty() && !collections.front().empty()) {
      *md += " in " + MarkdownCode(collections.front());
    }
    *md += "\n";
  }
  *md += "\n";
}

void AppendCheckSection(const CheckResult& check, size_t number, const std::string& json_file,
                        std::string* out) {
  std::string& md = *out;
  md += "### " + std::to_string(number) + ". " + MarkdownCell(check.title) + " (" +
        MarkdownCode(check.name) + "): " + StatusBadge(check.status) + "\n\n";
  md += MarkdownCell(check.summary) + "\n\n";
  if (!check.failed_collections.empty()) {
    md += "Collections at fault: " + CodeList(check.failed_collections, 20, json_file) + "\n\n";
  }
  AppendCriteria(check, &md);
  AppendPerCollection(check, json_file, &md);

  std::vector<std::pair<std::string, std::string>> rows;
  std::vector<std::string> zeros;
  if (check.metrics.is_object()) FlattenMetrics(check.metrics, "", 0, json_file, &rows, &zeros);
  if (!rows.empty()) {
    md += "| Metric | Value |\n| --- | ---: |\n";
    for (size_t i = 0; i < rows.size() && i < kMaxMetricRows; ++i) {
      md += "| " + MarkdownCell(rows[i].first) + " | " + rows[i].second + " |\n";
    }
    if (rows.size() > kMaxMetricRows) {
      md += "| " + std::string(kEllipsis) + " | " + Showing(kMaxMetricRows, rows.size(), json_file) +
            " |\n";
    }
    md += "\n";
  }
  if (!zeros.empty()) {
    md += "Zero: ";
    for (size_t i = 0; i < zeros.size() && i < 12; ++i) {
      md += (i ? ", " : "") + MarkdownCell(zeros[i]);
    }
    if (zeros.size() > 12) {
      md += ", " + std::string(kEllipsis) + " (" + Showing(12, zeros.size(), json_file) + ")";
    }
    md += ".\n\n";
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
  md += "**Findings:** " + FormatCount(total) + Unit(check.findings, total);
  if (total > listed) {
    md += "; showing " + FormatCount(listed) + " of " + FormatCount(total) + ", grouped by "
          "problem: the suite's `max_findings` caps the list, and " +
          MarkdownCode(json_file) + " lists the same " + FormatCount(listed);
  }
  md += ".\n\n";
  AppendFindingGroups(check.findings, json_file, &md);
}

// The first screen: what changed, where, how many records.
void AppendWhatChanged(const ValidationReport& r, std::string* out) {
  std::string& md = *out;
  md += "## What changed\n\n";
  const int64_t delta = r.new_records - r.old_records;
  md += "Old store: " + FormatCount(r.old_records) + " records; new store: " +
        FormatCount(r.new_records) + " records (" + (delta > 0 ? "+" : "") +
        FormatCount(delta) + ").\n\n";
  bool any = false;
  for (const CheckResult& c : r.checks) {
    if (c.status == CheckStatus::kPass) continue;
    any = true;
    const int64_t total =
        std::max<int64_t>(c.findings_total, static_cast<int64_t>(c.findings.size()));
    md += "- " + StatusBadge(c.status) + " **" + MarkdownCell(c.title) + "**";
    if (total > 0) md += ": " + FormatCount(total) + Unit(c.findings, total);
    std::vector<std::string> where = FindingCollections(c);
    if (!where.empty()) md += " in " + CodeList(where, 6, r.file_base + ".json");
    auto deciding = DecidingCriteria(c);
    if (!deciding.empty()) {
      md += std::string(" ") + kDash + " " + MarkdownCell(CriterionText(*deciding.front()));
    }
    md += "\n  " + MarkdownCell(c.summary) + "\n";
  }
  if (!any) md += "No check found a difference between the stores that matters.\n";
  md += "\n";
}

// Problems the old store already had: listed apart in every report.
void AppendPreexisting(const ValidationReport& r, std::string* out) {
  bool any = false;
  for (const CheckResult& c : r.checks) any |= c.preexisting_total > 0;
  if (!any) return;
  std::string& md = *out;
  md += "## Already in the old store (not caused by this migration)\n\n";
  md += "The same records had the same problem before the migration. They do not "
        "change the verdict unless the suite's `pre_existing` option says so.\n\n";
  for (const CheckResult& c : r.checks) {
    if (c.preexisting_total <= 0) continue;
    md += "### " + MarkdownCell(c.title) + " (" + MarkdownCode(c.name) + "): " +
          FormatCount(c.preexisting_total) +
          Unit(c.preexisting_findings, c.preexisting_total) + "\n\n";
    if (!c.preexisting_findings.empty()) {
      AppendFindingGroups(c.preexisting_findings, r.file_base + ".json", &md);
    }
  }
}

void AppendRollback(const ValidationReport& r, std::string* out) {
  std::string& md = *out;
  if (!r.rollback && !r.rollback_triggered) return;
  md += "## Rollback\n\n";
  if (!r.rollback) {
    md += "Rollback recommended (" +
          MarkdownCell(r.rollback_reason.empty() ? "checks failed" : r.rollback_reason) +
          "), not performed: this run was not asked to roll back, and nothing was "
          "changed. To restore the pre-migration state, run "
          "`vecgate rollback SNAPSHOT_ID`, or validate with `--on-fail "
          "rollback --snapshot SNAPSHOT_ID` to do it automatically.\n\n";
    return;
  }
  const RollbackOutcome& rb = *r.rollback;
  std::string result;
  if (rb.dry_run) {
    result = "dry run: nothing was changed";
  } else if (rb.succeeded) {
    result = "\xE2\x9C\x85 rolled back (performed)";
  } else {
    result = "\xE2\x9D\x8C **failed: manual intervention needed**";
  }
  md += "- **Snapshot:** " + MarkdownCode(rb.snapshot_id) + "\n";
  md += "- **Result:** " + result + "\n";
  md += std::string("- **Collections") +
        (rb.dry_run ? " that would be restored" : " restored") + ":** ";
  md += rb.collections.empty() ? std::string("(none)")
                               : CodeList(rb.collections, 50, r.file_base + ".json");
  md += "\n- **Elapsed:** " + FormatSeconds(rb.elapsed_seconds) + "\n";
  if (!rb.message.empty()) md += "- **Message:** " + MarkdownCell(rb.message) + "\n";
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
      {OverallStatus::kPassed, "PASSED", "NO", "\xE2\x9C\x85 Safe to cut over", "0"},
      {OverallStatus::kWarning, "WARNING", "NO",
       "\xE2\x9A\xA0\xEF\xB8\x8F Review the warnings, then decide whether to cut over", "1"},
      {OverallStatus::kFailed, "FAILED", "YES",
       "\xE2\x9D\x8C Do not cut over: roll back (automatic with `--on-fail rollback`); "
       "with `--fail-on warning`, warnings fail too",
       "2 (4 if the rollback failed)"},
      {OverallStatus::kError, "ERROR", "NO",
       "\xE2\x9B\x94 Nothing was decided: fix what could not be read and run again", "3"},
  };
  std::string& md = *out;
  md += "## Interpretation\n\n| Status | Rollback recommended | Action | Exit code |\n"
        "| --- | --- | --- | --- |\n";
  for (const Row& row : rows) {
    const bool current = row.status == r.overall_status;
    md += std::string("| ") + (current ? "**" : "") + row.name +
          (current ? "** \xE2\x97\x80 this run" : "") + " | " + row.rollback + " | " +
          row.action + " | " + row.exit_code + " |\n";
  }
  md += "\n";
}

class MarkdownReporter : public Reporter {
 public:
  std::string format() const override { return "markdown"; }
  std::string extension() const override { return ".md"; }

  std::string Render(const ValidationReport& r) const override {
    int64_t passed = 0, warnings = 0, failed = 0;
    for (const CheckResult& c : r.checks) {
      passed += c.status == CheckStatus::kPass;
      warnings += c.status == CheckStatus::kWarn;
      failed += c.status == CheckStatus::kFail;
    }
    const bool error = r.overall_status == OverallStatus::kError;

    std::string md;
    md += "# " + MarkdownCell(r.title) + ": " + Verdict(r) + "\n\n";
    md += NextStep(r) + "\n\n";
    for (const std::string& note : r.notes) md += "> **Note:** " + MarkdownCell(note) + "\n>\n";
    if (!r.notes.empty()) {
      md.resize(md.size() - 2);  // the last ">\n"
      md += "\n";
    }
    if (error) {
      md += "## What could not be read\n\n```text\n" +
            report_text::OneLine(r.error.empty() ? "unknown error" : r.error) + "\n```\n\n";
      if (!r.error_hint.empty()) md += "What to do: " + MarkdownCell(r.error_hint) + "\n\n";
    } else {
      AppendWhatChanged(r, &md);
    }

    md += "## Stores\n\n";
    auto store = [&](const char* label, const std::string& desc, int64_t records) {
      md += std::string("- **") + label + ":** " +
            (desc.empty() ? std::string("(not opened)") : MarkdownCode(desc));
      if (!error) md += " (" + FormatCount(records) + " records)";
      md += "\n";
    };
    store("Old store", r.old_store, r.old_records);
    store("New store", r.new_store, r.new_records);
    md += "- **Suite:** " +
          (r.suite_name.empty() ? std::string("(not loaded)") : MarkdownCell(r.suite_name)) +
          (r.suite_path.empty() ? std::string(r.suite_name.empty() ? "" : " (built-in)")
                                : " (" + MarkdownCode(r.suite_path) + ")") +
          "\n";
    md += "- **Started:** " + MarkdownCell(r.started_at) + "\n";
    md += "- **Tool:** vecgate " + MarkdownCell(r.tool_version) + "\n\n";

    // The summary block: the counts, verdict and exit code, nothing the
    // lines above already say.
    const std::string rule(80, '=');
    md += "## Summary\n\n```text\n" + rule + "\nVALIDATION SUMMARY\n" + rule + "\n";
    md += "Total tests: " + std::to_string(r.checks.size()) + "\n";
    md += "Passed: " + std::to_string(passed) + "\n";
    md += "Warnings: " + std::to_string(warnings) + "\n";
    md += "Failed: " + std::to_string(failed) + "\n";
    md += "Elapsed time: " + FormatSeconds(r.elapsed_seconds) + "\n";
    md += std::string("Overall status: ") + OverallStatusName(r.overall_status) + "\n";
    md += std::string("Fail on: ") + (r.fail_on_warning ? "warning" : "failure") + "\n";
    md += "Rollback: " + RollbackSummary(r) + "\n";
    if (!error) {
      md += "Data loss: " + FormatPercent(r.data_loss_percentage) + "\n";
      md += "Semantic divergence: " + FormatPercent(r.semantic_divergence_percentage) + "\n";
    }
    md += "Exit code: " + std::to_string(r.exit_code) + " (" + ExitCodeMeaning(r.exit_code) +
          ")\n";
    md += rule + "\n```\n\n";

    if (!r.checks.empty()) {
      md += "## Checks\n\n| # | Check | Status | Decided by (observed, threshold) | Findings | "
            "Time |\n| ---: | --- | --- | --- | ---: | ---: |\n";
      for (size_t i = 0; i < r.checks.size(); ++i) {
        const CheckResult& c = r.checks[i];
        const int64_t total =
            std::max<int64_t>(c.findings_total, static_cast<int64_t>(c.findings.size()));
        // One criterion a row: the first on the check's row, the others on
        // rows of their own beneath it.
        std::vector<std::string> decided;
        for (const Criterion* k : DecidingCriteria(c)) {
          decided.push_back(MarkdownCell(CriterionText(*k)));
        }
        if (decided.empty()) decided.push_back(MarkdownCell(c.summary));
        md += "| " + std::to_string(i + 1) + " | " + MarkdownCell(c.title) + " (" +
              MarkdownCode(c.name) + ") | " + StatusBadge(c.status) + " | " + decided.front() +
              " | " + FormatCount(total) + " | " + FormatSeconds(c.elapsed_seconds) + " |\n";
        for (size_t k = 1; k < decided.size(); ++k) {
          md += "| | | | " + decided[k] + " | | |\n";
        }
      }
      md += "\n## Details\n\n";
      for (size_t i = 0; i < r.checks.size(); ++i) {
        AppendCheckSection(r.checks[i], i + 1, r.file_base + ".json", &md);
      }
    }
    AppendPreexisting(r, &md);
    AppendRollback(r, &md);
    AppendInterpretation(r, &md);
    md += "---\nGenerated by vecgate " + MarkdownCell(r.tool_version) +
          ". Machine-readable: " + MarkdownCode(r.file_base + ".json") + "; CI: " +
          MarkdownCode(r.file_base + ".junit.xml") + ".\n";
    return md;
  }
};

}  // namespace

std::unique_ptr<Reporter> NewMarkdownReporter() { return std::make_unique<MarkdownReporter>(); }

}  // namespace vecgate
