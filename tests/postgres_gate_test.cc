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
#include <string>

#include "fixtures/faults.h"
#include "harness/runner.h"
#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/gate_test_util.h"
#include "tests/postgres_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testing::ChromaTestServer;
using testing::FaultTestName;
using testing::GateRun;
using testing::GateSuite;
using testing::GateTarget;
using testing::PostgresTestServer;
using testing::RateFor;

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
        testing::LoadGateSource(ChromaTestServer::Get().NewDatabase("pg_gate_src"));
    ASSERT_NE(source, nullptr) << "the corpus did not load";
    source_ = source;
  }
  static void Migrate(const FaultSpec& spec, const std::string& hint, GateRun* run) {
    testing::MigrateAndValidate(*source_, PgvectorTarget(), spec, hint, GateSuite(), run);
  }
  static Store* source_;
};
Store* PostgresGateTest::source_ = nullptr;

TEST_F(PostgresGateTest, CleanMigrationPassesAllNineChecks) {
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(Migrate(FaultSpec(), "pg_gate_clean", &run));
  testing::ExpectCleanMigrationPasses(run);
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

class PostgresGateFaultTest : public PostgresGateTest,
                              public ::testing::WithParamInterface<FaultKind> {};

TEST_P(PostgresGateFaultTest, RightCheckFailsWithTheLoggedIds) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(Migrate(spec, std::string("pg_gate_") + FaultName(fault), &run));
  testing::ExpectRecordFaultCaught(fault, PgvectorTarget(), run);
}

class PostgresGateContentFaultTest : public PostgresGateTest,
                                     public ::testing::WithParamInterface<FaultKind> {};

TEST_P(PostgresGateContentFaultTest, ContentFailsWithTheLoggedIds) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(Migrate(spec, std::string("pg_gate_") + FaultName(fault), &run));
  testing::ExpectContentFaultCaught(fault, *source_, run);
}

INSTANTIATE_TEST_SUITE_P(EveryFault, PostgresGateFaultTest,
                         ::testing::ValuesIn(testing::RecordFaults()), FaultTestName);

INSTANTIATE_TEST_SUITE_P(EveryContentFault, PostgresGateContentFaultTest,
                         ::testing::ValuesIn(testing::ContentFaults()), FaultTestName);

}  // namespace
}  // namespace vecgate
