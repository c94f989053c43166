// `vecgate bench` and the optional check, query_performance, against
// the real Chroma server: latency percentiles and throughput for old and new
// in the terminal table and the JSON report, exit 2 with the check FAIL on an
// impossible threshold, and validate with query_performance enabled reports
// nine checks in all three formats. Counts are small to keep this quick;
// thresholds on timings are set so that only the impossible one can fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CliRun Vecgate(const std::string& args) {
  TempDir dir;
  const std::string out_file = dir.path() + "/stdout", err_file = dir.path() + "/stderr";
  std::string ignored;
  CliRun run;
  run.exit_code = RunCommand(std::string("{ ") + VECGATE_CLI + " " + args + " >" + out_file +
                                 " 2>" + err_file + "; }",
                             &ignored);
  run.out = ReadFile(out_file);
  run.err = ReadFile(err_file);
  return run;
}

// The fixture corpus (20 + 10 + 16 + 151 records, dimension 16) in old and a
// clean copy in new, shared read-only by every test.
const std::string& Stores() {
  static const std::string* stores = [] {
    const std::string old_uri = ChromaTestServer::Get().NewDatabaseUri("bench_old");
    const std::string new_uri = ChromaTestServer::Get().NewDatabaseUri("bench_new");
    auto old_store = OpenStore(old_uri, OpenOptions());
    auto new_store = OpenStore(new_uri, OpenOptions());
    EXPECT_TRUE(old_store.ok() && new_store.ok());
    CorpusOptions corpus;
    corpus.scale = 0.02;
    corpus.dimension = 16;
    Status s = LoadCorpus(corpus, **old_store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto log = MigrateWithFaults(**old_store, **new_store, FaultSpec(), 1);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return new std::string("--old " + old_uri + " --new " + new_uri);
  }();
  return *stores;
}

// A suite whose timing thresholds a localhost Chroma always meets: two
// identical stores on one server differ only by noise, which a 50 % p95
// limit does not absorb at sub-millisecond latencies.
std::string GenerousSuite(const TempDir& dir, const std::string& extra = "") {
  const std::string path = dir.path() + "/generous.json";
  WriteFile(path, R"({"thresholds": {"query_performance": {"max_slowdown_percent": 100000,
      "min_queries_per_second": 0.001, "max_mean_latency_ms": 60000)" + extra + "}}}");
  return path;
}

// `vecgate bench` names its reports bench_report.*; validate, validation_report.*.
nlohmann::json ReadReport(const std::string& dir, const std::string& base = "bench_report") {
  return nlohmann::json::parse(ReadFile(dir + "/" + base + ".json"), nullptr, false);
}

const nlohmann::json* FindCheck(const nlohmann::json& report, const std::string& name) {
  if (!report.contains("checks")) return nullptr;
  for (const auto& c : report["checks"]) {
    if (c.value("name", "") == name) return &c;
  }
  return nullptr;
}

TEST(BenchCliTest, ReportsPercentilesAndThroughputForOldAndNew) {
  TempDir dir;
  const std::string reports = dir.path() + "/reports";
  CliRun run = Vecgate("bench " + Stores() + " --suite " + GenerousSuite(dir) +
                       " --count 30 --warmup 5 --report-dir " + reports);
  ASSERT_EQ(run.exit_code, 0) << run.all();
  for (const char* column : {"p50 ms", "p95 ms", "p99 ms", "qps", "p95 new/old"}) {
    EXPECT_THAT(run.out, HasSubstr(column));
  }
  EXPECT_THAT(run.out, HasSubstr("sergio_corpus"));
  EXPECT_THAT(run.out, HasSubstr("Verdict: PASSED (exit 0)"));

  nlohmann::json report = ReadReport(reports);
  ASSERT_FALSE(report.is_discarded()) << "bench_report.json is not JSON";
  EXPECT_FALSE(std::ifstream(reports + "/validation_report.json").good())
      << "a benchmark is not a validation: its reports are bench_report.*";
  ASSERT_EQ(report["checks"].size(), 1u) << "bench runs the one check";
  const nlohmann::json& check = report["checks"][0];
  EXPECT_EQ(check["name"], "query_performance");
  EXPECT_EQ(check["status"], "PASS");
  const nlohmann::json& groups = check["metrics"]["groups"];
  ASSERT_EQ(groups.size(), 4u) << groups.dump();
  for (const auto& g : groups.items()) {
    const nlohmann::json& s = g.value();
    for (const std::string side : {"old", "new"}) {
      ASSERT_TRUE(s.contains(side + "_p99_ms")) << g.key() << ": " << s.dump();
      EXPECT_EQ(s[side + "_queries"], 30) << g.key() << " " << side;
      EXPECT_GT(s[side + "_p50_ms"].get<double>(), 0) << g.key() << " " << side;
      EXPECT_LE(s[side + "_p50_ms"].get<double>(), s[side + "_p95_ms"].get<double>());
      EXPECT_LE(s[side + "_p95_ms"].get<double>(), s[side + "_p99_ms"].get<double>());
      EXPECT_GT(s[side + "_qps"].get<double>(), 0);
    }
    EXPECT_GT(g.value()["ratio_p95"].get<double>(), 0);
  }
  EXPECT_EQ(report["summary"]["total_tests"], 1);
  EXPECT_THAT(ReadFile(reports + "/bench_report.md"), HasSubstr("query_performance"));
  EXPECT_THAT(ReadFile(reports + "/bench_report.md"), HasSubstr("# Query benchmark report"));
  EXPECT_THAT(ReadFile(reports + "/bench_report.junit.xml"), HasSubstr("query_performance"));
}

TEST(BenchCliTest, JsonFlagPrintsTheReportWithBothSides) {
  TempDir dir;
  CliRun run = Vecgate("--json bench " + Stores() + " --suite " + GenerousSuite(dir) +
                       " --collection sergio_humor --count 10 --warmup 2 --concurrency 2" +
                       " --report-dir " + dir.path() + "/reports");
  ASSERT_EQ(run.exit_code, 0) << run.all();
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.out;
  const nlohmann::json* check = FindCheck(report, "query_performance");
  ASSERT_NE(check, nullptr);
  const nlohmann::json& groups = (*check)["metrics"]["groups"];
  ASSERT_EQ(groups.size(), 1u) << "--collection limits the run: " << groups.dump();
  const nlohmann::json& g = groups["sergio_humor"];
  for (const char* key : {"_p50_ms", "_p95_ms", "_p99_ms", "_qps"}) {
    EXPECT_TRUE(g[std::string("old") + key].is_number()) << key;
    EXPECT_TRUE(g[std::string("new") + key].is_number()) << key;
  }
  EXPECT_EQ(g["new_queries"], 10);
  EXPECT_EQ((*check)["metrics"]["thresholds"]["concurrency"], 2);
}

TEST(BenchCliTest, ImpossibleLatencyThresholdExitsTwoWithTheCheckFailed) {
  TempDir dir;
  const std::string suite = dir.path() + "/impossible.json";
  WriteFile(suite, R"({"thresholds": {"query_performance": {"max_mean_latency_ms": 0.0001}}})");
  const std::string reports = dir.path() + "/reports";
  CliRun run = Vecgate("bench " + Stores() + " --suite " + suite +
                       " --count 10 --warmup 1 --report-dir " + reports);
  EXPECT_EQ(run.exit_code, 2) << run.all();
  EXPECT_THAT(run.out, HasSubstr("FAIL"));
  EXPECT_THAT(run.out, HasSubstr("mean latency"));
  nlohmann::json report = ReadReport(reports);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report["overall_status"], "FAILED");
  EXPECT_THAT(report.value("rollback_reason", ""), HasSubstr("Query Performance Regression"));
  const nlohmann::json* check = FindCheck(report, "query_performance");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ((*check)["status"], "FAIL");
  EXPECT_GE((*check)["findings_total"].get<int>(), 1);
}

TEST(BenchCliTest, BadInputExitsThreeBeforeMeasuring) {
  TempDir dir;
  CliRun missing = Vecgate("bench " + Stores() + " --queries " + dir.path() + "/none.jsonl");
  EXPECT_EQ(missing.exit_code, 3) << missing.all();
  EXPECT_THAT(missing.err, HasSubstr("none.jsonl"));
  const std::string suite = dir.path() + "/bad.json";
  WriteFile(suite, R"({"thresholds": {"query_performance": {"concurrency": 0}}})");
  CliRun bad = Vecgate("bench " + Stores() + " --suite " + suite);
  EXPECT_EQ(bad.exit_code, 3) << bad.all();
  EXPECT_THAT(bad.err, HasSubstr("$.thresholds.query_performance.concurrency"));
}

TEST(BenchCliTest, HelpHasAnExample) {
  CliRun run = Vecgate("bench --help");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  EXPECT_THAT(run.out, HasSubstr("Example:"));
  EXPECT_THAT(run.out, HasSubstr("--concurrency"));
}

TEST(BenchCliTest, ValidateWithQueryPerformanceEnabledReportsTheOptionalCheck) {
  TempDir dir;
  const std::string reports = dir.path() + "/reports";
  const std::string suite = GenerousSuite(
      dir, R"(, "enabled": true, "queries": 10, "warmup": 2)");
  CliRun run = Vecgate("validate " + Stores() + " --suite " + suite + " --report-dir " +
                       reports);
  ASSERT_EQ(run.exit_code, 0) << run.all();
  nlohmann::json report = ReadReport(reports, "validation_report");
  ASSERT_FALSE(report.is_discarded());
  ASSERT_EQ(report["checks"].size(), 10u);
  EXPECT_EQ(report["checks"][9]["name"], "query_performance");
  EXPECT_EQ(report["checks"][9]["status"], "PASS");
  EXPECT_EQ(report["summary"]["total_tests"], 10);
  EXPECT_THAT(ReadFile(reports + "/validation_report.md"), HasSubstr("Total tests: 10"));
  const std::string junit = ReadFile(reports + "/validation_report.junit.xml");
  size_t cases = 0;
  for (size_t pos = junit.find("<testcase"); pos != std::string::npos;
       pos = junit.find("<testcase", pos + 1)) {
    ++cases;
  }
  EXPECT_EQ(cases, 10u);
}

}  // namespace
}  // namespace vecgate
