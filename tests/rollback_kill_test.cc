// `vecgate rollback` killed with SIGKILL at many points (before and after
// every store mutation, and at file-system writes of the journal, manifest
// and audit log; test hooks in snapshot/fault_hooks.h), then run again: the
// second run finishes, the store holds exactly the snapshot (ids, documents,
// metadata, embedding bytes) and the failed migration's collections are
// still there, renamed aside.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapshot/journal.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

class RollbackKillTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RegisterSnapshotStore();
    tmp_ = new TempDir();
    dir_ = tmp_->path() + "/snaps";
    auto good = ChromaTestServer::Get().NewDatabase("rollback_kill_good");
    ASSERT_TRUE(testutil::LoadCorpusWithSpace(Corpus(), DistanceSpace::kL2, *good).ok());
    CreateSnapshotOptions options;
    options.snapshot_dir = dir_;
    options.page_size = 25;
    auto m = CreateSnapshot(*good, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    id_ = m->snapshot_id;
  }
  static void TearDownTestSuite() { delete tmp_; }
  static CorpusOptions Corpus() { return testutil::SmallCorpus(0.01); }

  // A fresh target with a failed migration in it; returns its URI.
  std::string BrokenTarget(std::map<std::string, int64_t>* aside_counts) {
    std::string uri = ChromaTestServer::Get().NewDatabaseUri("rollback_kill");
    auto store = OpenStore(uri, OpenOptions());
    EXPECT_TRUE(store.ok());
    EXPECT_TRUE(testutil::LoadCorpusWithSpace(Corpus(), DistanceSpace::kL2, **store).ok());
    *aside_counts = testutil::BreakMigration(**store);
    return uri;
  }

  // Runs a rollback killed by `hook`; returns false once the hook no longer
  // fires (the rollback completed).
  bool KillThenResume(const std::string& hook) {
    std::map<std::string, int64_t> aside_counts;
    const std::string uri = BrokenTarget(&aside_counts);
    const std::string cmd = testutil::Vecgate() + " rollback " + id_ + " --yes --store " + uri +
                            " --snapshot-dir " + dir_ + " --lock-wait 0 --verify-sample 0" +
                            " --include-new-collections";
    std::string out;
    int rc = RunCommand(hook + " " + cmd, &out);
    const bool killed = testutil::WasKilled(rc);
    if (!killed) {
      EXPECT_EQ(rc, 0) << out;
    }
    if (killed) {
      rc = RunCommand(cmd, &out);
      EXPECT_EQ(rc, 0) << "the rerun did not finish: " << out;
    }
    auto store = OpenStore(uri, OpenOptions());
    EXPECT_TRUE(store.ok());
    OpenOptions open;
    open.snapshot_dir = dir_;
    auto snapshot = OpenStore("snapshot:" + id_, open);
    EXPECT_TRUE(snapshot.ok());
    const auto names = testutil::CollectionNames(**snapshot);
    EXPECT_TRUE(testutil::SameRecords(**store, **snapshot, names));
    // Exactly the snapshot's collections plus one aside per replaced one.
    auto counts = testutil::Counts(**store);
    size_t asides = 0;
    for (const auto& [name, count] : counts) {
      if (IsRollbackAsideName(name)) {
        ++asides;
        const std::string original = name.substr(0, name.rfind("_failed_"));
        if (aside_counts.count(original)) {
          EXPECT_EQ(count, aside_counts[original]) << name;
        }
      } else {
        EXPECT_TRUE(std::count(names.begin(), names.end(), name)) << "unexpected " << name;
      }
    }
    // +1: migrated_extra, set aside by --include-new-collections.
    EXPECT_EQ(asides, names.size() + 1) << "every replaced collection is kept aside";
    EXPECT_FALSE(Env::Default()->FileExists(ActiveJournalPath(SnapshotPaths{dir_}, id_)));
    return killed;
  }

  static TempDir* tmp_;
  static std::string dir_, id_;
};

TempDir* RollbackKillTest::tmp_ = nullptr;
std::string RollbackKillTest::dir_;
std::string RollbackKillTest::id_;

TEST_F(RollbackKillTest, KilledAroundEveryStoreMutationThenRerunFinishesExactly) {
  int killed = 0;
  for (int n = 1; n < 100; ++n) {
    SCOPED_TRACE("killed at store event " + std::to_string(n));
    if (!KillThenResume("VECGATE_FAULT_KILL_AFTER_STORE_OPS=" + std::to_string(n))) break;
    ++killed;
    if (HasFailure()) break;
  }
  // 5 renames, 4 creates and 6 adds, each killed before and after.
  EXPECT_GE(killed, 30);
}

TEST_F(RollbackKillTest, KilledAtJournalAndManifestWritesThenRerunFinishesExactly) {
  int killed = 0;
  for (int n = 1; n < 400; n += 9) {
    SCOPED_TRACE("killed at file-system write " + std::to_string(n));
    if (!KillThenResume("VECGATE_FAULT_KILL_AFTER_WRITES=" + std::to_string(n))) break;
    ++killed;
    if (HasFailure()) break;
  }
  EXPECT_GE(killed, 10);
}

}  // namespace
}  // namespace vecgate
