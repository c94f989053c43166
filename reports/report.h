// The validation report and the Reporter interface (SPEC.md section 5).
//
// The runner fills one ValidationReport; each Reporter renders it in one
// format (JSON, Markdown, JUnit XML, the terminal summary). WriteReports
// writes every format into a directory atomically: a crash leaves either the
// previous file or the complete new one, never half a report.
#ifndef VECGATE_REPORTS_REPORT_H_
#define VECGATE_REPORTS_REPORT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "validators/validator.h"

namespace vecgate {

enum class OverallStatus { kPassed, kWarning, kFailed };
const char* OverallStatusName(OverallStatus s);  // "PASSED", "WARNING", "FAILED"

// What happened when the gate asked for a rollback.
struct RollbackOutcome {
  std::string snapshot_id;
  bool dry_run = false;
  bool succeeded = false;
  std::vector<std::string> collections;  // restored collections
  std::string message;                   // what happened, or why it failed
  double elapsed_seconds = 0;
};

struct ValidationReport {
  static constexpr int kSchemaVersion = 1;

  std::string tool_version;
  std::string started_at;  // ISO 8601 UTC, "2026-11-21T23:57:17Z"
  double elapsed_seconds = 0;
  std::string old_store;   // Describe(): never credentials
  std::string new_store;
  std::string suite_name;
  std::string suite_path;

  std::vector<CheckResult> checks;  // in the order of validators/validator.h
  OverallStatus overall_status = OverallStatus::kPassed;
  bool rollback_triggered = false;  // the verdict calls for a rollback
  std::string rollback_reason;      // "Data Loss Detected", ... ("" if none)
  double data_loss_percentage = 0;
  double semantic_divergence_percentage = 0;
  int64_t old_records = 0;
  int64_t new_records = 0;
  std::optional<RollbackOutcome> rollback;  // when a rollback was attempted
  int exit_code = 0;                        // the gate's exit code
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string format() const = 0;     // "json", "markdown", "junit"
  virtual std::string file_name() const = 0;  // "validation_report.json"
  // Renders the report. Never fails.
  virtual std::string Render(const ValidationReport& report) const = 0;
};

std::unique_ptr<Reporter> NewJsonReporter();
std::unique_ptr<Reporter> NewMarkdownReporter();
std::unique_ptr<Reporter> NewJUnitReporter();
// The JSON, Markdown and JUnit reporters.
std::vector<std::unique_ptr<Reporter>> AllFileReporters();

// One screen for the terminal: verdict, one line per check, where the
// reports are. `color` adds ANSI colours.
std::string RenderTerminalSummary(const ValidationReport& report,
                                  const std::string& report_dir, bool color);

// Writes every reporter's file into `dir` (created if needed), each
// atomically. Returns the paths written. IoError names the file.
Result<std::vector<std::string>> WriteReports(Env* env, const std::string& dir,
                                              const ValidationReport& report);

}  // namespace vecgate

#endif  // VECGATE_REPORTS_REPORT_H_
