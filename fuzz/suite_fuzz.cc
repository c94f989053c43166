// Fuzz target: the suite loader (suites/suite.h ParseSuite). A suite that
// loads must hold only bounded numbers, and its compiled patterns must
// answer any value, long or hostile, without backtracking.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "suites/suite.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<Suite> suite = ParseSuite(text, "fuzz/suite.json");
  if (!suite.ok()) {
    FUZZ_CHECK(!suite.status().message().empty());
    return 0;
  }
  FUZZ_CHECK(suite->queries.k >= 1 && suite->queries.k <= 10000);
  FUZZ_CHECK(suite->queries.sample_count >= 0 && suite->queries.sample_count <= 100000);
  FUZZ_CHECK(suite->queries.self_retrieval_sample <= 100000);
  FUZZ_CHECK(suite->duplicates.near_duplicate_sample <= 20000);
  FUZZ_CHECK(suite->query_performance.concurrency >= 1 &&
             suite->query_performance.concurrency <= 64);
  FUZZ_CHECK(suite->query_performance.queries <= 1000000);
  FUZZ_CHECK(suite->query_performance.warmup <= 1000000);
  FUZZ_CHECK(suite->max_findings >= 0 && suite->max_findings <= 100000);
  // A value as long as the input, made of its own bytes: linear time.
  const std::string value = text + text;
  for (const FieldRule& rule : suite->field_rules) {
    FUZZ_CHECK(rule.pattern.empty() == (rule.compiled_pattern == nullptr));
    if (rule.compiled_pattern == nullptr) continue;
    (void)rule.compiled_pattern->FullMatch(value);
    (void)rule.compiled_pattern->FullMatch(rule.pattern);
  }
  return 0;
}
