// The checks vecgate knows, in report order: the one list that the suite
// loader ("checks" and "thresholds" keys), the validator registry
// (validators/registry.cc), the verdict (harness/runner.cc), `vecgate bench`
// and the tests read. A check's thresholds are its own struct in Suite
// (suites/suite.h); docs/checks.md describes each one.
#ifndef VECGATE_SUITES_CHECKS_H_
#define VECGATE_SUITES_CHECKS_H_

#include <string_view>
#include <vector>

namespace vecgate {

struct CheckInfo {
  std::string_view name;   // key in suites and reports: "count"
  std::string_view title;  // heading in reports: "Record counts"
  // Why a rollback happens when this check fails, unless the check names a
  // more precise reason in its result ("Duplicate Records Introduced").
  std::string_view rollback_reason;
  bool on_by_default;  // query_performance replays queries: only on request
};

// Every check, in the order reports list them.
const std::vector<CheckInfo>& AllChecks();

// The check named `name`, or nullptr.
const CheckInfo* FindCheckInfo(std::string_view name);

}  // namespace vecgate

#endif  // VECGATE_SUITES_CHECKS_H_
