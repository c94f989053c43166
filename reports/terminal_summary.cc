// The one-screen terminal summary printed after `vecgate validate`: the
// verdict and exit code, notes, one line per check with the threshold that
// decided it beneath, data loss and divergence, problems already in the old
// store, the rollback, and where the reports are. Every string from a store
// is made printable (no terminal escapes). ANSI colours only when asked for.
#include <algorithm>
#include <string>

#include "reports/report.h"
#include "reports/report_text.h"

namespace vecgate {
namespace {

using report_text::FormatCount;
using report_text::FormatPercent;
using report_text::FormatSeconds;
using report_text::OneLine;

constexpr const char* kReset = "\033[0m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";

// Deciding criteria shown under a check's line.
constexpr size_t kMaxCriteriaLines = 2;
// Findings shown under a failing or warning check.
constexpr size_t kMaxFindingLines = 3;

const char* CheckColor(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPass:
      return kGreen;
    case CheckStatus::kWarn:
      return kYellow;
    case CheckStatus::kFail:
      return kRed;
  }
  return kRed;
}

const char* VerdictColor(OverallStatus s) {
  switch (s) {
    case OverallStatus::kPassed:
      return kGreen;
    case OverallStatus::kWarning:
      return kYellow;
    case OverallStatus::kFailed:
    case OverallStatus::kError:
      return kRed;
  }
  return kRed;
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string RenderTerminalSummary(const ValidationReport& r, const std::string& report_dir,
                                  bool color) {
  auto paint = [color](const std::string& text, const std::string& code) {
    return color ? code + text + kReset : text;
  };
  const bool error = r.overall_status == OverallStatus::kError;
  std::string out;
  out += paint(std::string("vecgate: ") + OverallStatusName(r.overall_status),
               std::string(kBold) + VerdictColor(r.overall_status)) +
         " - " + VerdictAdvice(r) + " (exit " + std::to_string(r.exit_code) + ": " +
         ExitCodeMeaning(r.exit_code) + ")\n";
  for (const std::string& note : r.notes) {
    out += "  " + paint("note:", kBold) + " " + OneLine(note) + "\n";
  }
  if (error) out += "  error  " + OneLine(r.error) + "\n";
  auto records = [&](int64_t n) {
    return error ? std::string() : "  (" + FormatCount(n) + " records)";
  };
  out += "  old    " + OneLine(r.old_store) + records(r.old_records) + "\n";
  out += "  new    " + OneLine(r.new_store) + records(r.new_records) + "\n";
  out += "  suite  " + OneLine(r.suite_name) +
         (r.suite_path.empty() ? " (built-in)" : " (" + OneLine(r.suite_path) + ")") + "\n";

  if (!r.checks.empty()) out += "\n";
  size_t name_width = 0;
  for (const auto& c : r.checks) name_width = std::max(name_width, c.name.size());
  const std::string indent(2 + 4 + 2 + name_width + 2 + 7 + 2, ' ');
  for (const auto& c : r.checks) {
    out += "  " + paint(CheckStatusName(c.status), CheckColor(c.status)) + "  " +
           Pad(c.name, name_width) + "  " + Pad(FormatSeconds(c.elapsed_seconds), 7) + "  " +
           OneLine(c.summary) + "\n";
    auto deciding = report_text::DecidingCriteria(c);
    for (size_t i = 0; i < deciding.size() && i < kMaxCriteriaLines; ++i) {
      out += indent + report_text::CriterionText(*deciding[i]) + "\n";
    }
    if (deciding.size() > kMaxCriteriaLines) {
      out += indent + "(" + std::to_string(deciding.size() - kMaxCriteriaLines) +
             " more thresholds in the reports)\n";
    }
    // The first records a failing or warning check names, with the change.
    if (c.status != CheckStatus::kPass && !c.findings.empty()) {
      const size_t shown = std::min(c.findings.size(), kMaxFindingLines);
      for (size_t i = 0; i < shown; ++i) {
        const Finding& f = c.findings[i];
        out += indent + (f.id.empty() ? OneLine(f.collection) : OneLine(f.id)) + ": " +
               OneLine(f.problem) + "\n";
      }
      const int64_t total = std::max<int64_t>(c.findings_total, c.findings.size());
      if (total > static_cast<int64_t>(shown)) {
        out += indent + "(showing " + std::to_string(shown) + " of " + FormatCount(total) +
               "; all in validation_report.json)\n";
      }
    }
  }
  if (!error) {
    out += "\n  Data loss: " + FormatPercent(r.data_loss_percentage) +
           "    Semantic divergence: " + FormatPercent(r.semantic_divergence_percentage) +
           "    Elapsed: " + FormatSeconds(r.elapsed_seconds) + "\n";
    std::string preexisting;
    for (const auto& c : r.checks) {
      if (c.preexisting_total <= 0) continue;
      preexisting += (preexisting.empty() ? "" : ", ") + c.name + " " +
                     FormatCount(c.preexisting_total);
    }
    if (!preexisting.empty()) {
      out += "  Already in the old store (not caused by this migration): " + preexisting +
             " records\n";
    }
    if (!r.rollback) out += "  Rollback: " + RollbackSummary(r) + "\n";
  }
  if (r.rollback) {
    const RollbackOutcome& rb = *r.rollback;
    const std::string reason =
        r.rollback_reason.empty() ? "" : " (" + OneLine(r.rollback_reason) + ")";
    std::string what;
    if (rb.dry_run) {
      what = "recommended" + reason + "; dry run from " + OneLine(rb.snapshot_id) +
             ", nothing changed; would restore " + std::to_string(rb.collections.size()) +
             " collection(s)";
    } else if (rb.succeeded) {
      what = paint("performed", kGreen) + reason + ": rolled back " +
             std::to_string(rb.collections.size()) + " collection(s) to " +
             OneLine(rb.snapshot_id) + " in " + FormatSeconds(rb.elapsed_seconds);
    } else {
      what = "recommended" + reason + "; " + paint("FAILED", std::string(kBold) + kRed) +
             " from " + OneLine(rb.snapshot_id) + ": manual intervention needed";
    }
    out += "  Rollback: " + what + "\n";
    if (!rb.message.empty()) out += "            " + OneLine(rb.message) + "\n";
  }
  if (!report_dir.empty()) {
    std::string prefix = report_dir.back() == '/' ? report_dir : report_dir + "/";
    bool first = true;
    for (const auto& reporter : AllFileReporters()) {
      out += (first ? "  Reports: " : "           ") + OneLine(prefix) +
             reporter->FileNameFor(r.file_base) + "\n";
      first = false;
    }
  }
  return out;
}

}  // namespace vecgate
