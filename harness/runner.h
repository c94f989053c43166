// The validation runner: opens nothing itself (the caller opens the stores),
// builds the target groups from the suite's mapping, streams each store once
// through every enabled check, decides the verdict and the rollback reason
// (docs/checks.md) and the gate's exit code (docs/report-format.md).
//
// Rollback is not done here: RunGate calls a RollbackHook on FAILED when one
// is given (the snapshot module provides it), and records its outcome in the
// report.
#ifndef VECGATE_HARNESS_RUNNER_H_
#define VECGATE_HARNESS_RUNNER_H_

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/store.h"
#include "reports/report.h"
#include "suites/suite.h"

namespace vecgate {

// Progress of a long step: `stage` ("old sergio_humor"), records done and
// expected (total may be 0 when unknown).
using ProgressCallback =
    std::function<void(const std::string& stage, int64_t done, int64_t total)>;

struct RunOptions {
  size_t page_size = 1000;
  bool fail_on_warning = false;  // WARNING exits 2 like FAILED
  ProgressCallback progress;     // may be empty
  // The URIs and options the caller opened the stores with; checks that
  // need more connections to the same stores (query_performance's client
  // threads) open them with these. An empty URI (a store not opened from
  // one, as in unit tests) allows one connection only.
  std::string old_uri;
  std::string new_uri;
  OpenOptions open_options;
  // false: the new store is not scanned (its collections are still listed).
  // For runs of checks that read nothing from the new pages, such as
  // `vecgate bench` running query_performance alone.
  bool scan_new_store = true;
};

// Runs every enabled check on old -> new. Returns the report with verdict,
// rollback_triggered/reason and exit_code (0, 1 or 2) filled in.
// A non-OK Status means the validation could not complete (a store failed
// mid-stream, a mapping names a collection old does not have, a bad queries
// file): the caller exits 3 and must not report a verdict.
Result<ValidationReport> RunValidation(Store& old_store, Store& new_store,
                                       const Suite& suite,
                                       const RunOptions& options);

// Called on FAILED with the report and the old collections the failing
// checks blame (empty: all). Returns what the rollback did.
using RollbackHook = std::function<RollbackOutcome(
    const ValidationReport& report, const std::vector<std::string>& collections)>;

// RunValidation, then the rollback hook on FAILED (when given), then the
// final exit code: 4 when the rollback failed.
Result<ValidationReport> RunGate(Store& old_store, Store& new_store,
                                 const Suite& suite, const RunOptions& options,
                                 const RollbackHook& on_fail);

// Verdict, rollback reason and exit code from the checks (exposed for tests).
void DecideVerdict(ValidationReport& report, bool fail_on_warning);

// Old collections that the failed checks blame, for a partial rollback.
std::vector<std::string> CollectionsToRollBack(const ValidationReport& report);

// "2026-11-21T23:57:17Z" for the current time.
std::string NowIso8601();

}  // namespace vecgate

#endif  // VECGATE_HARNESS_RUNNER_H_
