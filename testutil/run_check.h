// Test support for the checks' unit tests (not part of the library).
//
// The records live in a MemoryStore (testutil/memory_store.h). RunCheck
// drives one Validator through the hooks in the order harness/runner.cc
// uses (old pages of every source, then new pages joined by id against the
// old digests, then EndGroup), in small pages so that page boundaries are
// exercised.
#ifndef VECGATE_TESTUTIL_RUN_CHECK_H_
#define VECGATE_TESTUTIL_RUN_CHECK_H_

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/store.h"
#include "harness/runner.h"
#include "suites/checks.h"
#include "suites/suite.h"
#include "testutil/memory_store.h"
#include "validators/topk.h"
#include "validators/validator.h"

namespace vecgate {
namespace testutil {

// Runs check `v` over old and new stores through the real runner
// (harness/runner.h), with every other check switched off, and returns its
// result. Groups come from suite.mappings, else identity by name.
inline Result<CheckResult> RunCheck(Validator& v, const Suite& suite, MemoryStore& old_store,
                                    MemoryStore& new_store, size_t page_size = 7) {
  Suite only = suite;
  for (const CheckInfo& check : AllChecks()) {
    only.enabled_checks[std::string(check.name)] = check.name == v.name();
  }
  RunOptions options;
  options.page_size = page_size;
  ASSIGN_OR_RETURN(ValidationReport report, RunValidation(old_store, new_store, only, options));
  for (auto& check : report.checks) {
    if (check.name == v.name()) return std::move(check);
  }
  return Internal(std::string("check ") + v.name() + " did not run");
}

// A random vector of `dim` components in [-1, 1).
inline std::vector<float> RandomVector(std::mt19937& rng, size_t dim) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(dim);
  for (auto& x : v) x = u(rng);
  return v;
}

// n records "PREFIX-i" with a document, the given metadata and random
// vectors of `dim` components (seeded: the same arguments give the same batch).
inline RecordBatch MakeBatch(const std::string& prefix, size_t n, size_t dim,
                             uint32_t seed = 1, const Metadata& metadata = Metadata()) {
  std::mt19937 rng(seed);
  RecordBatch b;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v = RandomVector(rng, dim);
    b.Add(prefix + "-" + std::to_string(i), "document " + prefix + std::to_string(i),
          metadata, v.data(), v.size());
  }
  return b;
}

// Ids of the findings whose problem starts with `prefix`.
inline std::vector<std::string> FindingIds(const CheckResult& r, const std::string& prefix) {
  std::vector<std::string> ids;
  for (const auto& f : r.findings) {
    if (f.problem.compare(0, prefix.size(), prefix) == 0) ids.push_back(f.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace testutil
}  // namespace vecgate

#endif  // VECGATE_TESTUTIL_RUN_CHECK_H_
