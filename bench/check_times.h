// The per-check breakdown the validation benchmarks (validate_chroma_bench,
// pgvector_bench, validate_scale_bench) record of a validation run.
#ifndef VECGATE_BENCH_CHECK_TIMES_H_
#define VECGATE_BENCH_CHECK_TIMES_H_

#include <nlohmann/json.hpp>
#include <vector>

#include "validators/validator.h"

namespace vecgate::bench {

// One entry per check, in run order: {"check", "status", "seconds" (time in
// the check's hooks), "summary"}.
inline nlohmann::json CheckTimesJson(const std::vector<CheckResult>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const CheckResult& c : checks) {
    out.push_back({{"check", c.name},
                   {"status", CheckStatusName(c.status)},
                   {"seconds", c.elapsed_seconds},
                   {"summary", c.summary}});
  }
  return out;
}

}  // namespace vecgate::bench

#endif  // VECGATE_BENCH_CHECK_TIMES_H_
