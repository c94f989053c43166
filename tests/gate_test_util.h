// The gate tests' shared part (tests/gate_test.cc against Chroma,
// tests/postgres_gate_test.cc against PostgreSQL with pgvector): the corpus
// and suite they use, the migration of the corpus with one fault into a
// fresh destination, and the expectations of a clean migration, of each
// record fault and of each content fault. The destination's store is the
// only thing that differs between the programs, so the assertions live here
// once; what a store does differently (pgvector refuses non-finite vector
// components) is a field of GateTarget.
#ifndef VECGATE_TESTS_GATE_TEST_UTIL_H_
#define VECGATE_TESTS_GATE_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "harness/runner.h"
#include "suites/suite.h"

namespace vecgate::testutil {

using IdSet = std::set<std::string>;

// 50 + 25 + 40 + 377 = 492 records in four cosine collections.
CorpusOptions GateCorpus();
// GateCorpus() with the "tags" list on three records in four, for the list
// faults (stores that hold lists: Chroma 1.5, jsonl:).
CorpusOptions GateListCorpus();
// Records of GateCorpus() over every collection.
int64_t GateCorpusTotal();

// The shipped seeds suite (the thresholds of docs/checks.md), with the
// findings cap lifted so every offending id is listed and the sets can be
// compared exactly.
Suite GateSuite();

// The nine checks every validation runs.
const std::vector<std::string>& AllNineChecks();

const CheckResult* FindCheck(const ValidationReport& report, const std::string& name);
// One line per check with its first findings, for failure messages.
std::string Describe(const CheckResult& c);
std::string Describe(const ValidationReport& report);
bool StartsWith(const std::string& s, const std::string& prefix);
// Ids of the findings whose problem starts with `prefix` ("" = all).
IdSet FindingIds(const CheckResult& c, const std::string& prefix = "");
// "id problem" pairs, to check which field a finding names.
std::set<std::pair<std::string, std::string>> Findings(const CheckResult& c);
IdSet PreexistingIds(const CheckResult& c);
IdSet EventIds(const FaultLog& log, FaultKind fault);
int64_t LoggedCount(const FaultLog& log, FaultKind fault);
// Ids of GateCorpus() records that carry one of `quirks`.
IdSet QuirkIds(std::initializer_list<CorpusQuirk> quirks);
// The ids a fault touched: damaged records and their partners.
std::set<std::string> Touched(const FaultLog& log, FaultKind fault);

void ExpectStatus(const ValidationReport& report, const std::string& check,
                  CheckStatus expected);
// A check the fault is not aimed at either passes or blames only records
// the fault touched.
void ExpectQuietOutside(const ValidationReport& report, const std::string& check,
                        const std::set<std::string>& touched);

// Prints the whole report when the current test has failed by the time
// this goes out of scope.
class PrintReportOnFailure {
 public:
  explicit PrintReportOnFailure(const ValidationReport& report) : report_(report) {}
  ~PrintReportOnFailure();

 private:
  const ValidationReport& report_;
};

// Where a gate test migrates the corpus to.
struct GateTarget {
  // A fresh, empty destination named after `hint` (plus a unique suffix).
  std::function<std::unique_ptr<Store>(const std::string& hint)> open;
  // The store refuses an embedding with a NaN or infinite component
  // (pgvector's vector type cannot hold one): nan records go missing
  // instead of arriving corrupt.
  bool refuses_non_finite = false;
};

// A migration with faults and its validation.
struct GateRun {
  std::unique_ptr<Store> target;
  FaultLog log;
  ValidationReport report;
};

// Loads GateCorpus() (or `options`) into `store` (from `open`, once per
// process) and returns it; nullptr, with a test failure, when the load
// failed.
Store* LoadGateSource(std::unique_ptr<Store> store);
Store* LoadGateSource(std::unique_ptr<Store> store, const CorpusOptions& options);

// Migrates `source` into a fresh destination of `target` with `spec` (seed
// 7) and validates it with `suite`, several pages per collection.
void MigrateAndValidate(Store& source, const GateTarget& target, const FaultSpec& spec,
                        const std::string& hint, const Suite& suite, GateRun* run);

// The rate each fault is injected at by the gate tests (see the .cc for
// why these rates cross the seeds suite's FAIL thresholds).
double RateFor(FaultKind fault);
// Faults that only a comparison of old and new content finds (the list
// faults, ListFaultKinds(), are content faults too but need
// GateListCorpus(); ExpectContentFaultCaught handles them).
std::vector<FaultKind> ContentFaults();
// Every other fault but the list faults.
std::vector<FaultKind> RecordFaults();
// "drop", "nan", ... as a test name.
std::string FaultTestName(const ::testing::TestParamInfo<FaultKind>& info);

// The expectations of the gate tests, for a run of MigrateAndValidate with
// GateSuite() from the GateCorpus() source:
// a clean copy PASSES all nine checks, its old dirt listed as pre-existing;
void ExpectCleanMigrationPasses(const GateRun& run);
// a record fault at RateFor(fault) FAILS the right check naming exactly the
// logged ids, and the checks it cannot touch stay quiet;
void ExpectRecordFaultCaught(FaultKind fault, const GateTarget& target, const GateRun& run);
// a content fault at RateFor(fault) FAILS content naming exactly the logged
// ids; a declared re-embedding of a changed dimension passes (`source` is
// validated again against run.target).
void ExpectContentFaultCaught(FaultKind fault, Store& source, const GateRun& run);

}  // namespace vecgate::testutil

#endif  // VECGATE_TESTS_GATE_TEST_UTIL_H_
