// The pieces of reports/report.h shared by every format: status names, the
// error report, the list of file reporters, and writing them all to a
// directory atomically.
#include "reports/report.h"
#include "reports/report_text.h"

#include <utility>

namespace vecgate {

const char* OverallStatusName(OverallStatus s) {
  switch (s) {
    case OverallStatus::kPassed:
      return "PASSED";
    case OverallStatus::kWarning:
      return "WARNING";
    case OverallStatus::kFailed:
      return "FAILED";
    case OverallStatus::kError:
      return "ERROR";
  }
  return "FAILED";
}

ExitCode ExitCodeFor(OverallStatus s) {
  switch (s) {
    case OverallStatus::kPassed: return kExitPassed;
    case OverallStatus::kWarning: return kExitWarning;
    case OverallStatus::kFailed: return kExitFailed;
    case OverallStatus::kError: return kExitError;
  }
  return kExitError;
}

const char* VerdictAdvice(const ValidationReport& report) {
  switch (report.overall_status) {
    case OverallStatus::kPassed:
      return "safe to cut over";
    case OverallStatus::kWarning:
      return "review the warnings before cutting over";
    case OverallStatus::kFailed:
      return "do not cut over";
    case OverallStatus::kError:
      return "the run could not complete: nothing was decided";
  }
  return "do not cut over";
}

bool RollbackPerformed(const ValidationReport& report) {
  return report.rollback && !report.rollback->dry_run && report.rollback->succeeded;
}

std::string RollbackSummary(const ValidationReport& report) {
  const std::string reason =
      report.rollback_reason.empty() ? "" : " (" + report_text::OneLine(report.rollback_reason) + ")";
  if (report.rollback) {
    const RollbackOutcome& rb = *report.rollback;
    const std::string snapshot = report_text::OneLine(rb.snapshot_id);
    if (rb.dry_run) return "recommended" + reason + "; dry run only from " + snapshot +
                           ": nothing changed";
    if (rb.succeeded) return "performed" + reason + ": rolled back to snapshot " + snapshot;
    return "recommended" + reason + "; attempted from " + snapshot +
           " and FAILED: manual intervention needed";
  }
  if (report.rollback_triggered) {
    return "recommended" + reason + "; not performed (no --on-fail rollback)";
  }
  return "not needed";
}

ValidationReport MakeErrorReport(const std::string& error, const std::string& hint) {
  ValidationReport report;
  report.overall_status = OverallStatus::kError;
  report.exit_code = kExitError;
  report.error = error;
  report.error_hint = hint;
  return report;
}

std::vector<std::unique_ptr<Reporter>> AllFileReporters() {
  std::vector<std::unique_ptr<Reporter>> reporters;
  reporters.push_back(NewJsonReporter());
  reporters.push_back(NewMarkdownReporter());
  reporters.push_back(NewJUnitReporter());
  return reporters;
}

Result<std::vector<std::string>> WriteReports(Env* env, const std::string& dir,
                                              const ValidationReport& report) {
  Status s = env->CreateDirs(dir);
  if (!s.ok()) {
    return IoError("cannot create report directory " + dir + ": " +
                   s.message());
  }
  std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  std::vector<std::string> paths;
  for (const auto& reporter : AllFileReporters()) {
    const std::string path = prefix + reporter->FileNameFor(report.file_base);
    s = WriteFileAtomically(env, path, reporter->Render(report));
    if (!s.ok()) {
      // The report itself is untouched (old version or none).
      return IoError("cannot write report " + path + ": " + s.message());
    }
    paths.push_back(path);
  }
  return paths;
}

}  // namespace vecgate
