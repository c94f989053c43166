// The validation report and the Reporter interface.
//
// The runner fills one ValidationReport; each Reporter renders it in one
// format (JSON, Markdown, JUnit XML, the terminal summary). WriteReports
// writes every format into a directory atomically: a crash leaves either the
// previous file or the complete new one, never half a report.
//
// One verdict everywhere: `overall_status` is the effective verdict of the
// gate, after the --fail-on policy. The Markdown title, the JSON
// "overall_status", the JUnit failures and the exit code all follow it. With
// --fail-on warning a run whose worst check WARNs is FAILED (exit 2) and
// carries a note saying that warnings fail this gate; its WARN checks are
// JUnit failures. A run that could not complete is ERROR (exit 3): the
// reports say what could not be read and decide nothing.
#ifndef VECGATE_REPORTS_REPORT_H_
#define VECGATE_REPORTS_REPORT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/exit_code.h"
#include "core/status.h"
#include "validators/validator.h"

namespace vecgate {

enum class OverallStatus { kPassed, kWarning, kFailed, kError };
// "PASSED", "WARNING", "FAILED", "ERROR"
const char* OverallStatusName(OverallStatus s);
// kExitPassed, kExitWarning, kExitFailed or kExitError.
ExitCode ExitCodeFor(OverallStatus s);

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
  // 2: overall_status is the effective verdict after --fail-on (FAILED when
  // warnings fail the gate), "ERROR" for runs that could not complete, and
  // criteria, preexisting findings, per_collection and notes were added.
  static constexpr int kSchemaVersion = 2;

  // What the report is: its title and the base name of its files.
  std::string title = "Migration validation report";
  std::string file_base = "validation_report";

  std::string tool_version;
  std::string started_at;  // ISO 8601 UTC, "2026-11-21T23:57:17Z"
  double elapsed_seconds = 0;
  std::string old_store;   // Describe(): never credentials
  std::string new_store;
  std::string suite_name;
  std::string suite_path;

  std::vector<CheckResult> checks;  // in the order of validators/validator.h
  OverallStatus overall_status = OverallStatus::kPassed;
  // The verdict calls for a rollback ("recommended"); whether one ran is
  // `rollback` (RollbackPerformed).
  bool rollback_triggered = false;
  std::string rollback_reason;      // "Data Loss Detected", ... ("" if none)
  double data_loss_percentage = 0;
  double semantic_divergence_percentage = 0;
  int64_t old_records = 0;
  int64_t new_records = 0;
  std::optional<RollbackOutcome> rollback;  // when a rollback was attempted
  ExitCode exit_code = kExitPassed;         // the gate's exit code
  // The gate's policy: true with --fail-on warning (warnings fail the gate).
  bool fail_on_warning = false;
  // Things the reader must know about this verdict, one sentence each
  // ("warnings fail this gate (--fail-on warning)", "--old and --new name
  // the same store ..."). Shown under the verdict in every format.
  std::vector<std::string> notes;
  // Per collection read: counts and change markers before and after its
  // scan, ids read twice, discrepancies asked for again
  // (harness/read_consistency.h); JSON "read_consistency".
  nlohmann::json read_consistency = nlohmann::json::array();
  // kError only: what could not be read or done, and what to do about it.
  std::string error;
  std::string error_hint;
};

// The report of a run that could not complete: overall_status ERROR, exit
// code 3, no checks, `error` saying what failed. The caller fills the store
// descriptions and suite it knows.
ValidationReport MakeErrorReport(const std::string& error, const std::string& hint);

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string format() const = 0;     // "json", "markdown", "junit"
  virtual std::string extension() const = 0;  // ".json", ".md", ".junit.xml"
  // "validation_report.json"; FileNameFor("bench_report") is
  // "bench_report.json".
  std::string file_name() const { return FileNameFor("validation_report"); }
  std::string FileNameFor(const std::string& base) const { return base + extension(); }
  // Renders the report. Never fails.
  virtual std::string Render(const ValidationReport& report) const = 0;
};

std::unique_ptr<Reporter> NewJsonReporter();
std::unique_ptr<Reporter> NewMarkdownReporter();
std::unique_ptr<Reporter> NewJUnitReporter();
// The JSON, Markdown and JUnit reporters.
std::vector<std::unique_ptr<Reporter>> AllFileReporters();

// One screen for the terminal: verdict, one line per check with the
// thresholds that decided it, where the reports are. `color` adds ANSI
// colours.
std::string RenderTerminalSummary(const ValidationReport& report,
                                  const std::string& report_dir, bool color);

// Writes every reporter's file into `dir` (created if needed), each
// atomically. Returns the paths written. IoError names the file.
// The files are named after report.file_base ("validation_report.json",
// "bench_report.json").
Result<std::vector<std::string>> WriteReports(Env* env, const std::string& dir,
                                              const ValidationReport& report);

// True when a rollback ran and restored the store (not a dry run, not a
// failed attempt): what "rolled back" means in every report, beside
// rollback_triggered ("recommended": the verdict calls for one).
bool RollbackPerformed(const ValidationReport& report);

// One line on the rollback for the summary blocks: "not needed",
// "recommended (REASON); not run: ...", "performed: rolled back to snapshot
// ID", "dry run only: nothing changed", "FAILED: manual intervention needed".
std::string RollbackSummary(const ValidationReport& report);

// What the verdict means for the operator, one sentence ("safe to cut
// over", "do not cut over", "nothing was decided").
const char* VerdictAdvice(const ValidationReport& report);

}  // namespace vecgate

#endif  // VECGATE_REPORTS_REPORT_H_
