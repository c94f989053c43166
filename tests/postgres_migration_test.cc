// Chroma -> pgvector with the built vecgate binary against a real Chroma and
// a real PostgreSQL with pgvector (PGlite): a clean migration PASSES, a
// faulty one FAILS, and snapshot + rollback of a pgvector schema restores it
// exactly, indexes included, keeping the damaged tables aside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/store.h"
#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/postgres_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::ChromaTestServer;
using testutil::PostgresTestServer;
using testutil::RunCommand;
using testutil::TempDir;

std::string Vecgate() { return VECGATE_CLI; }
std::string Q(const std::string& s) { return "'" + s + "'"; }

// The old Chroma database, loaded once for every test of this program.
const std::string& OldUri() {
  static const std::string uri = [] {
    std::string u = ChromaTestServer::Get().NewDatabaseUri("pg_migration_old");
    std::string out;
    const int code = RunCommand(Vecgate() + " fixtures load --store " + u +
                                    " --create-database --scale 0.01 --dimension 16 --clean",
                                &out);
    EXPECT_EQ(code, 0) << out;
    return u;
  }();
  return uri;
}

struct Gate {
  int exit_code = -1;
  std::string output;
  nlohmann::json report;
};

Gate Validate(const std::string& old_uri, const std::string& new_uri, const std::string& dir) {
  Gate g;
  g.exit_code = RunCommand(Vecgate() + " --quiet validate --old " + Q(old_uri) + " --new " +
                               Q(new_uri) + " --report-dir " + dir,
                           &g.output);
  std::string json;
  RunCommand("cat " + dir + "/validation_report.json", &json);
  g.report = nlohmann::json::parse(json, nullptr, false);
  return g;
}

TEST(PostgresMigrationTest, CleanChromaToPgvectorMigrationPasses) {
  TempDir dir;
  const std::string new_uri = PostgresTestServer::Get().NewSchemaUri("clean");
  std::string out;
  ASSERT_EQ(RunCommand(Vecgate() + " fixtures migrate --from " + OldUri() + " --to " + Q(new_uri),
                       &out),
            0)
      << out;
  Gate g = Validate(OldUri(), new_uri, dir.path());
  EXPECT_EQ(g.exit_code, 0) << g.output;
  ASSERT_TRUE(g.report.is_object()) << g.output;
  EXPECT_EQ(g.report.value("overall_status", ""), "PASSED") << g.report.dump(1).substr(0, 3000);

  // The migrated tables carry an HNSW index in Chroma's space, and the
  // live-index part of semantic_divergence ran against it.
  auto store = OpenStore(new_uri, OpenOptions());
  ASSERT_TRUE(store.ok());
  auto list = (*store)->ListCollections();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  for (const auto& c : *list) {
    EXPECT_EQ(c.space, DistanceSpace::kCosine) << c.name;
    EXPECT_EQ(c.dimension, 16) << c.name;
    EXPECT_THAT(c.configuration_json, HasSubstr("\"ann_index\":\"hnsw\"")) << c.name;
  }
}

TEST(PostgresMigrationTest, FaultyChromaToPgvectorMigrationFails) {
  TempDir dir;
  const std::string new_uri = PostgresTestServer::Get().NewSchemaUri("faulty");
  std::string out;
  ASSERT_EQ(RunCommand(Vecgate() + " fixtures migrate --from " + OldUri() + " --to " +
                           Q(new_uri) + " --inject drop:0.05,missing_field:0.05",
                       &out),
            0)
      << out;
  Gate g = Validate(OldUri(), new_uri, dir.path());
  EXPECT_EQ(g.exit_code, 2) << g.output;
  ASSERT_TRUE(g.report.is_object()) << g.output;
  EXPECT_EQ(g.report.value("overall_status", ""), "FAILED");
  bool count_failed = false;
  for (const auto& check : g.report.value("checks", nlohmann::json::array())) {
    if (check.value("name", "") == "count") count_failed = check.value("status", "") == "FAIL";
  }
  EXPECT_TRUE(count_failed) << "dropped records must fail the count check";
}

TEST(PostgresMigrationTest, RollbackRestoresAPgvectorSchemaExactlyWithItsIndexes) {
  TempDir dir;
  const std::string uri = PostgresTestServer::Get().NewSchemaUri("rollback");
  const std::string schema = uri.substr(uri.find("schema=") + 7);
  std::string out;
  ASSERT_EQ(RunCommand(Vecgate() + " fixtures migrate --from " + OldUri() + " --to " + Q(uri) +
                           " --collections sergio_humor,sergio_rhetorical",
                       &out),
            0)
      << out;
  // A hand-made index too: the snapshot must record and restore it.
  ASSERT_TRUE(ExecutePostgres(uri, "CREATE INDEX sergio_humor_doc_idx ON " + schema +
                                       ".sergio_humor (document)")
                  .ok());
  auto store = OpenStore(uri, OpenOptions());
  ASSERT_TRUE(store.ok());
  auto before = (*store)->ListCollections();
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->size(), 2u);
  std::map<std::string, RecordBatch> records;
  for (const auto& c : *before) {
    auto all = ReadAll(**store, c.name);
    ASSERT_TRUE(all.ok());
    records[c.name] = std::move(*all);
  }
  const std::string snaps = "SNAPSHOT_DIR=" + dir.path() + " ";
  ASSERT_EQ(RunCommand("(" + snaps + Vecgate() + " snapshot create --store " + Q(uri) +
                           " --name pg_before 2>/dev/null)",
                       &out),
            0)
      << out;
  std::string id = out;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  id = id.substr(id.find_last_of('\n') + 1);

  // The change that goes wrong: records deleted, a vector changed, an index
  // dropped.
  ASSERT_TRUE(ExecutePostgres(uri, "DELETE FROM " + schema +
                                       ".sergio_humor WHERE id IN (SELECT id FROM " + schema +
                                       ".sergio_humor ORDER BY id LIMIT 5);"
                                       "UPDATE " + schema +
                                       ".sergio_rhetorical SET embedding = embedding + embedding;"
                                       "DROP INDEX " + schema + ".sergio_humor_doc_idx")
                  .ok());
  {
    auto damaged = OpenStore(uri, OpenOptions());
    ASSERT_TRUE(damaged.ok());
    auto humor = (*damaged)->Count("sergio_humor");
    ASSERT_TRUE(humor.ok());
    ASSERT_EQ(*humor + 5, static_cast<int64_t>(records["sergio_humor"].size()))
        << "the damage must be real for the rollback to prove anything";
  }

  ASSERT_EQ(RunCommand(snaps + Vecgate() + " rollback " + id + " --store " + Q(uri) +
                           " --yes </dev/null",
                       &out),
            0)
      << out;

  auto reopened = OpenStore(uri, OpenOptions());
  ASSERT_TRUE(reopened.ok());
  auto after = (*reopened)->ListCollections();
  ASSERT_TRUE(after.ok());
  std::map<std::string, CollectionInfo> by_name;
  std::set<std::string> aside;
  for (const auto& c : *after) {
    if (IsRollbackAsideName(c.name)) {
      aside.insert(c.name.substr(0, c.name.find("_failed_")));
    } else {
      by_name[c.name] = c;
    }
  }
  EXPECT_EQ(aside, (std::set<std::string>{"sergio_humor", "sergio_rhetorical"}))
      << "the damaged tables are kept aside as NAME_failed_STAMP";
  for (const auto& c : *before) {
    ASSERT_TRUE(by_name.count(c.name)) << c.name;
    const CollectionInfo& r = by_name[c.name];
    EXPECT_EQ(r.configuration_json, c.configuration_json) << "columns and indexes of " << c.name;
    EXPECT_EQ(r.space, c.space);
    EXPECT_EQ(r.dimension, c.dimension);
    EXPECT_EQ(r.metadata, c.metadata);
    auto all = ReadAll(**reopened, c.name);
    ASSERT_TRUE(all.ok());
    const RecordBatch& want = records[c.name];
    ASSERT_EQ(all->ids(), want.ids()) << c.name;
    EXPECT_EQ(all->values(), want.values()) << c.name << " embeddings bit for bit";
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(all->document(i), want.document(i));
      ASSERT_EQ(all->metadata(i), want.metadata(i));
    }
  }
  EXPECT_THAT(by_name["sergio_humor"].configuration_json, HasSubstr("sergio_humor_doc_idx"));
}

}  // namespace
}  // namespace vecgate
