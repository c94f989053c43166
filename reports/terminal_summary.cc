// The one-screen terminal summary printed after `vecgate validate`: the
// verdict and exit code, one line per check, data loss and divergence, the
// rollback, and where the reports are. ANSI colours only when asked for.
#include <algorithm>
#include <string>

#include "reports/report.h"
#include "reports/report_text.h"

namespace vecgate {
namespace {

using report_text::ExitCodeMeaning;
using report_text::FormatCount;
using report_text::FormatPercent;
using report_text::FormatSeconds;
using report_text::OneLine;

constexpr const char* kReset = "\033[0m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";

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
      return kRed;
  }
  return kRed;
}

const char* VerdictAdvice(OverallStatus s) {
  switch (s) {
    case OverallStatus::kPassed:
      return "safe to cut over";
    case OverallStatus::kWarning:
      return "review the warnings before cutting over";
    case OverallStatus::kFailed:
      return "do not cut over";
  }
  return "do not cut over";
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string RenderTerminalSummary(const ValidationReport& r,
                                  const std::string& report_dir, bool color) {
  auto paint = [color](const std::string& text, const std::string& code) {
    return color ? code + text + kReset : text;
  };
  std::string out;
  out += paint(std::string("vecgate: ") + OverallStatusName(r.overall_status),
               std::string(kBold) + VerdictColor(r.overall_status)) +
         " - " + VerdictAdvice(r.overall_status) + " (exit " +
         std::to_string(r.exit_code) + ": " + ExitCodeMeaning(r.exit_code) +
         ")\n";
  out += "  old    " + OneLine(r.old_store) + "  (" +
         FormatCount(r.old_records) + " records)\n";
  out += "  new    " + OneLine(r.new_store) + "  (" +
         FormatCount(r.new_records) + " records)\n";
  out += "  suite  " + OneLine(r.suite_name) +
         (r.suite_path.empty() ? " (built-in)"
                               : " (" + OneLine(r.suite_path) + ")") +
         "\n\n";

  size_t name_width = 0;
  for (const auto& c : r.checks)
    name_width = std::max(name_width, c.name.size());
  for (const auto& c : r.checks) {
    out += "  " + paint(CheckStatusName(c.status), CheckColor(c.status)) +
           "  " + Pad(c.name, name_width) + "  " +
           Pad(FormatSeconds(c.elapsed_seconds), 7) + "  " +
           OneLine(c.summary) + "\n";
  }
  out += "\n  Data loss: " + FormatPercent(r.data_loss_percentage) +
         "    Semantic divergence: " +
         FormatPercent(r.semantic_divergence_percentage) +
         "    Elapsed: " + FormatSeconds(r.elapsed_seconds) + "\n";
  out += std::string("  Rollback triggered: ") +
         (r.rollback_triggered ? "YES" : "NO");
  if (!r.rollback_reason.empty())
    out += " (" + OneLine(r.rollback_reason) + ")";
  out += "\n";
  if (r.rollback) {
    const RollbackOutcome& rb = *r.rollback;
    std::string what;
    if (rb.dry_run) {
      what = "dry run from " + OneLine(rb.snapshot_id) +
             ", nothing changed; would restore " +
             std::to_string(rb.collections.size()) + " collection(s)";
    } else if (rb.succeeded) {
      what = paint("restored", kGreen) + " " +
             std::to_string(rb.collections.size()) + " collection(s) from " +
             OneLine(rb.snapshot_id) + " in " +
             FormatSeconds(rb.elapsed_seconds);
    } else {
      what = paint("FAILED", std::string(kBold) + kRed) + " from " +
             OneLine(rb.snapshot_id) + ": manual intervention needed";
    }
    out += "  Rollback: " + what + "\n";
    if (!rb.message.empty()) out += "            " + OneLine(rb.message) + "\n";
  }
  if (!report_dir.empty()) {
    std::string prefix =
        report_dir.back() == '/' ? report_dir : report_dir + "/";
    bool first = true;
    for (const auto& reporter : AllFileReporters()) {
      out += (first ? "  Reports: " : "           ") + prefix +
             reporter->file_name() + "\n";
      first = false;
    }
  }
  return out;
}

}  // namespace vecgate
