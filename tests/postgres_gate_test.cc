// The gate end to end from a real Chroma (old) into a real PostgreSQL with
// pgvector (PGlite, new): the fixture corpus is migrated into a fresh schema
// with each fault the fixture generator can inject, validated with the
// shipped seeds suite, and the right check must FAIL naming exactly the ids
// the fault log says were damaged; a clean copy must PASS all nine checks.
// The expectations are tests/gate_test.cc's, shared through
// tests/gate_test_util.h; only the destination differs.
//
// pgvector facts the expectations rely on: vector(d) refuses an embedding
// of another length and has no NaN or infinity, so wrong_dimension and nan
// records are refused by the store and go missing (the count check names
// them) rather than arriving malformed; embeddings are stored bit for bit;
// the tables vecgate creates carry an HNSW index in the collection's space,
// which the live-index part of semantic_divergence queries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures/faults.h"
#include "harness/runner.h"
#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/gate_test_util.h"
#include "tests/postgres_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::ChromaTestServer;
using testutil::FaultTestName;
using testutil::GateRun;
using testutil::GateSuite;
using testutil::GateTarget;
using testutil::PostgresTestServer;
using testutil::RateFor;

GateTarget PgvectorTarget() {
  GateTarget target;
  target.open = [](const std::string& hint) { return PostgresTestServer::Get().NewSchema(hint); };
  target.refuses_non_finite = true;
  return target;
}

// The corpus, loaded once per process into a fresh Chroma database and
// shared by every test (each migrates it into a schema of its own).
class PostgresGateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static Store* const source =
        testutil::LoadGateSource(ChromaTestServer::Get().NewDatabase("pg_gate_src"));
    ASSERT_NE(source, nullptr) << "the corpus did not load";
    source_ = source;
  }
  static void Migrate(const FaultSpec& spec, const std::string& hint, GateRun* run) {
    testutil::MigrateAndValidate(*source_, PgvectorTarget(), spec, hint, GateSuite(), run);
  }
  static Store* source_;
};
Store* PostgresGateTest::source_ = nullptr;

TEST_F(PostgresGateTest, CleanMigrationPassesAllNineChecks) {
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(Migrate(FaultSpec(), "pg_gate_clean", &run));
  testutil::ExpectCleanMigrationPasses(run);
  // The live index that answered is pgvector's HNSW index on each table, in
  // the space of the Chroma collection it came from.
  auto tables = run.target->ListCollections();
  ASSERT_TRUE(tables.ok()) << tables.status().ToString();
  ASSERT_EQ(tables->size(), 4u);
  for (const auto& t : *tables) {
    EXPECT_EQ(t.space, DistanceSpace::kCosine) << t.name;
    EXPECT_THAT(t.configuration_json, HasSubstr("\"ann_index\":\"hnsw\"")) << t.name;
  }
}

// A table without an HNSW or IVFFlat index is still answered, by a
// sequential scan: its recall is then an exact search's and its latency a
// scan's, neither says anything about an index. semantic_divergence's
// live-index part and query_performance must say so with a WARN criterion
// naming the table, and only that table.
TEST_F(PostgresGateTest, TableWithoutAnnIndexWarnsThatItsRecallMeasuresASequentialScan) {
  std::unique_ptr<Store> target = PgvectorTarget().open("pg_gate_no_index");
  ASSERT_NE(target, nullptr);
  auto log = MigrateWithFaults(*source_, *target, FaultSpec(), /*seed=*/7);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::string uri = target->Describe();
  const size_t at = uri.find("schema=") + 7;
  const std::string schema = uri.substr(at, uri.find('&', at) - at);
  Status dropped = ExecutePostgres(uri, "DROP INDEX " + schema + ".sergio_humor_embedding_idx");
  ASSERT_TRUE(dropped.ok()) << dropped.ToString();
  auto reopened = OpenStore(uri, OpenOptions());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  Store& store = **reopened;
  auto humor = store.GetCollection("sergio_humor");
  ASSERT_TRUE(humor.ok()) << humor.status().ToString();
  ASSERT_THAT(humor->configuration_json, HasSubstr("\"ann_index\":null"));
  // Still cosine (the space vecgate recorded in the table comment), so the
  // search comparison itself runs as before.
  ASSERT_EQ(humor->space, DistanceSpace::kCosine);

  Suite suite = GateSuite();
  suite.query_performance.enabled = true;
  suite.query_performance.queries = 20;
  suite.query_performance.warmup = 2;
  // Latency limits out of the way: only the missing index may warn.
  suite.query_performance.max_mean_latency_ms = 1e9;
  suite.query_performance.min_queries_per_second = 0;
  suite.query_performance.max_slowdown_percent = 1e9;
  RunOptions options;
  options.page_size = 100;
  auto report = RunValidation(*source_, store, suite, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  testutil::PrintReportOnFailure print_on_failure(*report);
  EXPECT_EQ(report->overall_status, OverallStatus::kWarning);
  EXPECT_EQ(report->exit_code, 1);
  EXPECT_FALSE(report->rollback_triggered);
  for (const std::string& name : testutil::AllNineChecks()) {
    if (name != "semantic_divergence") testutil::ExpectStatus(*report, name, CheckStatus::kPass);
  }
  for (const char* name : {"semantic_divergence", "query_performance"}) {
    const CheckResult* c = testutil::FindCheck(*report, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->status, CheckStatus::kWarn) << testutil::Describe(*c);
    std::vector<std::string> warned;
    for (const Criterion& criterion : c->criteria) {
      if (criterion.what.rfind("ANN index of new ", 0) != 0) continue;
      warned.push_back(criterion.what);
      EXPECT_EQ(criterion.status, CheckStatus::kWarn) << name;
      EXPECT_THAT(criterion.observed, HasSubstr("sequential scan")) << name;
    }
    EXPECT_EQ(warned, std::vector<std::string>{"ANN index of new 'sergio_humor'"}) << name;
    EXPECT_EQ(c->metrics.value("new_without_ann_index", nlohmann::json()),
              nlohmann::json::array({"sergio_humor"}))
        << name;
    EXPECT_THAT(c->summary, HasSubstr("'sergio_humor' without an ANN index")) << name;
  }
  // The scan was still asked: the live-index part ran on every table.
  const CheckResult* sd = testutil::FindCheck(*report, "semantic_divergence");
  EXPECT_EQ(sd->metrics.value("live_index_checked", false), true);
  EXPECT_EQ(sd->metrics.value("divergence_failed", true), false);
}

class PostgresGateFaultTest : public PostgresGateTest,
                              public ::testing::WithParamInterface<FaultKind> {};

TEST_P(PostgresGateFaultTest, RightCheckFailsWithTheLoggedIds) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(Migrate(spec, std::string("pg_gate_") + FaultName(fault), &run));
  testutil::ExpectRecordFaultCaught(fault, PgvectorTarget(), run);
}

class PostgresGateContentFaultTest : public PostgresGateTest,
                                     public ::testing::WithParamInterface<FaultKind> {};

TEST_P(PostgresGateContentFaultTest, ContentFailsWithTheLoggedIds) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(Migrate(spec, std::string("pg_gate_") + FaultName(fault), &run));
  testutil::ExpectContentFaultCaught(fault, *source_, run);
}

INSTANTIATE_TEST_SUITE_P(EveryFault, PostgresGateFaultTest,
                         ::testing::ValuesIn(testutil::RecordFaults()), FaultTestName);

INSTANTIATE_TEST_SUITE_P(EveryContentFault, PostgresGateContentFaultTest,
                         ::testing::ValuesIn(testutil::ContentFaults()), FaultTestName);

}  // namespace
}  // namespace vecgate
