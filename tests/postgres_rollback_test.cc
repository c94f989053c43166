// Rollback's aside tables in a real PostgreSQL with pgvector (PGlite): the
// tables a rollback renames aside carry vecgate's stamp in their comment
// (layout=langchain: in the collection's cmetadata), written with the
// rename, and `snapshot cleanup` deletes exactly those, never a table that
// only looks like one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/env.h"
#include "snapshot/journal.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/postgres_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using ::testing::Contains;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;
using testutil::PostgresTestServer;
using testutil::TempDir;

const std::vector<std::string> kCorpusNames = {"sergio_corpus", "sergio_humor",
                                               "sergio_personality", "sergio_rhetorical"};

std::string MetadataText(const Metadata& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end()) return "";
  const std::string* s = std::get_if<std::string>(&it->second);
  return s ? *s : "";
}

class PostgresRollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSnapshotStore();
    uri_ = PostgresTestServer::Get().NewSchemaUri("pg_rollback");
    schema_ = uri_.substr(uri_.find("schema=") + 7);
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(testutil::LoadCorpusWithSpace(testutil::SmallCorpus(), DistanceSpace::kCosine,
                                             *store_)
                    .ok());
    dir_ = tmp_.path() + "/snaps";
    CreateSnapshotOptions options;
    options.snapshot_dir = dir_;
    auto m = CreateSnapshot(*store_, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    id_ = m->snapshot_id;
    OpenOptions snap_open;
    snap_open.snapshot_dir = dir_;
    auto snap = OpenStore("snapshot:" + id_, snap_open);
    ASSERT_TRUE(snap.ok());
    snapshot_ = std::move(*snap);
  }

  std::unique_ptr<Store> Open() {
    auto store = OpenStore(uri_, OpenOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  TempDir tmp_;
  std::string uri_, schema_, dir_, id_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> snapshot_;
};

TEST_F(PostgresRollbackTest, CleanupDeletesStampedAsideTablesAndLeavesAnUnstampedLookalike) {
  testutil::BreakMigration(*store_);
  RollbackOptions o;
  o.snapshot_dir = dir_;
  o.snapshot_id = id_;
  o.verify_sample = 0;
  std::vector<std::string> log;
  o.log = [&log](const std::string& line) { log.push_back(line); };
  auto result = RunRollback(*store_, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->aside_names.size(), 4u);
  for (const auto& line : log) {
    EXPECT_THAT(line, Not(::testing::HasSubstr("cannot stamp"))) << "every aside table is stamped";
  }
  auto journals = ListDoneJournals(Env::Default(), SnapshotPaths{dir_});
  ASSERT_TRUE(journals.ok());
  ASSERT_EQ(journals->size(), 1u);
  const RollbackJournal& done = journals->front().second;

  // Each aside table says, in its comment, which rollback set it aside and
  // what it was; the restored table is back under its name.
  std::map<std::string, std::string> aside_of;  // original -> aside
  for (const auto& c : done.collections) {
    if (c.aside_name.empty()) continue;
    aside_of[c.name] = c.aside_name;
    auto info = store_->GetCollection(c.aside_name);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(MetadataText(info->metadata, kAsideStampSnapshotKey), id_) << c.aside_name;
    EXPECT_EQ(MetadataText(info->metadata, kAsideStampTimeKey), done.stamp) << c.aside_name;
    EXPECT_EQ(MetadataText(info->metadata, kAsideStampOriginalKey), c.name) << c.aside_name;
    EXPECT_TRUE(CheckAsideStamp(*info, id_, done.stamp, c.name).ok()) << c.aside_name;
    // The stamp is kept apart from the collection's own metadata, which
    // the aside table keeps: its space still comes from the moved index.
    EXPECT_EQ(info->space, DistanceSpace::kCosine) << c.aside_name;
  }
  ASSERT_EQ(aside_of.size(), 4u);

  // A table a user made with an aside-looking name and no stamp, and an
  // edited journal that names it instead of sergio_personality's aside.
  const std::string lookalike = "sergio_humor_failed_20200101000000";
  std::string zeros = "[0";
  for (int i = 1; i < 16; ++i) zeros += ",0";
  zeros += "]";
  Status made = ExecutePostgres(uri_, "CREATE TABLE " + schema_ + "." + lookalike +
                                          " (id text PRIMARY KEY, embedding vector(16));"
                                          "INSERT INTO " + schema_ + "." + lookalike +
                                          " VALUES ('kept', '" + zeros + "')");
  ASSERT_TRUE(made.ok()) << made.ToString();
  const std::string path = journals->front().first;
  auto text = Env::Default()->ReadFile(path);
  ASSERT_TRUE(text.ok());
  auto journal = nlohmann::json::parse(*text);
  std::vector<std::string> genuine;
  for (auto& c : journal["collections"]) {
    if (c["name"] == "sergio_personality") {
      c["aside_name"] = lookalike;
    } else if (!c["aside_name"].get<std::string>().empty()) {
      genuine.push_back(c["aside_name"]);
    }
  }
  ASSERT_EQ(genuine.size(), 3u);
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), path, journal.dump(2)).ok());

  testutil::ClockEnv later(static_cast<int64_t>(Env::Default()->NowMicros() / 1000000) +
                          30 * 86400);
  CleanupOptions cleanup;
  cleanup.env = &later;
  cleanup.store = store_.get();
  auto cleaned = CleanupSnapshots(dir_, cleanup);
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  EXPECT_THAT(cleaned->removed_aside_collections, UnorderedElementsAreArray(genuine));
  EXPECT_THAT(cleaned->kept_aside_collections, UnorderedElementsAre(lookalike));

  auto reopened = Open();
  ASSERT_NE(reopened, nullptr);
  const auto names = testutil::CollectionNames(*reopened);
  for (const auto& g : genuine) EXPECT_THAT(names, Not(Contains(g)));
  EXPECT_THAT(names, Contains(lookalike)) << "cleanup deleted a table vecgate did not stamp";
  EXPECT_THAT(names, Contains(aside_of["sergio_personality"]))
      << "an aside table no journal names any more is left alone";
  EXPECT_TRUE(testutil::SameRecords(*reopened, *snapshot_, kCorpusNames));
}

// layout=langchain: a collection is a row of langchain_pg_collection, and
// the stamp goes into its cmetadata in the statement that renames it.
TEST(PostgresAsideStampTest, LangchainRenameCarriesTheNewMetadata) {
  auto store = PostgresTestServer::Get().NewSchema("pg_stamp_lc", "layout=langchain");
  CollectionInfo info;
  info.name = "docs";
  info.dimension = 4;
  info.space = DistanceSpace::kL2;
  info.metadata["owner"] = std::string("search team");
  ASSERT_TRUE(store->CreateCollection(info).ok());
  Metadata stamped = store->GetCollection("docs")->metadata;
  stamped[kAsideStampSnapshotKey] = std::string("snap_1");
  stamped[kAsideStampTimeKey] = std::string("20261201_000000");
  stamped[kAsideStampOriginalKey] = std::string("docs");
  const std::string aside = "docs_failed_20261201000000";
  Status renamed = store->RenameCollectionWithMetadata("docs", aside, &stamped);
  ASSERT_TRUE(renamed.ok()) << renamed.ToString();
  EXPECT_EQ(store->GetCollection("docs").status().code(), StatusCode::kNotFound);
  auto got = store->GetCollection(aside);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->metadata, stamped);
  EXPECT_EQ(got->space, DistanceSpace::kL2) << "the hnsw:space hint stays";
  EXPECT_TRUE(CheckAsideStamp(*got, "snap_1", "20261201_000000", "docs").ok());
}

}  // namespace
}  // namespace vecgate
