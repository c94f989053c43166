// `vecgate snapshot create` killed with SIGKILL at every file-system write
// (the VECGATE_FAULT_KILL_AFTER_WRITES test hook, snapshot/fault_hooks.h):
// `snapshot list` never shows an incomplete or damaged snapshot as usable,
// the dead process's lock never blocks, a retry succeeds and cleanup removes
// the debris.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

// Every snapshot listed as usable passes deep verification and holds exactly
// what the store holds.
void ExpectUsableSnapshotsAreSound(const std::string& dir, Store& store, int* usable) {
  auto listing = ListSnapshots(Env::Default(), dir);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  for (const auto& l : *listing) {
    if (!l.usable) continue;
    ++*usable;
    Status s = CheckArchive(Env::Default(), *l.manifest, SnapshotPaths{dir}.Archive(l.id), /*deep=*/true);
    EXPECT_TRUE(s.ok()) << l.id << " is listed as usable but: " << s.ToString();
    OpenOptions open;
    open.snapshot_dir = dir;
    auto snap = OpenStore("snapshot:" + l.id, open);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_TRUE(testutil::SameRecords(**snap, store, testutil::CollectionNames(store)));
  }
}

TEST(SnapshotKillTest, KilledAtEveryWriteNeverListsAnUnusableSnapshotAsUsable) {
  RegisterSnapshotStore();
  const std::string uri = ChromaTestServer::Get().NewDatabaseUri("snap_kill");
  auto store = OpenStore(uri, OpenOptions());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(testutil::LoadCorpusWithSpace(testutil::SmallCorpus(0.01), DistanceSpace::kL2,
                                           **store)
                  .ok());
  TempDir tmp;
  const std::string dir = tmp.path() + "/snaps";
  const std::string create = testutil::Vecgate() + " snapshot create --store " + uri +
                             " --snapshot-dir " + dir + " --page-size 25 --lock-wait 0";
  int killed = 0, usable_seen = 0;
  bool completed = false;
  for (int n = 1; n < 200 && !completed; ++n) {
    SCOPED_TRACE("killed at write " + std::to_string(n));
    std::string out;
    int rc = RunCommand("VECGATE_FAULT_KILL_AFTER_WRITES=" + std::to_string(n) + " " + create,
                        &out);
    if (testutil::WasKilled(rc)) {
      ++killed;
    } else {
      ASSERT_EQ(rc, 0) << out;
      completed = true;
    }
    ExpectUsableSnapshotsAreSound(dir, **store, &usable_seen);
    std::string list;
    ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot list --snapshot-dir " + dir, &list), 0)
        << list;
  }
  EXPECT_TRUE(completed);
  EXPECT_GT(killed, 25) << "the hook should hit every write of a create";
  // Killed after the manifest was written (audit append), a snapshot is
  // complete and usable; killed before, it never is.
  EXPECT_GT(usable_seen, 0);

  // The dead processes hold no lock: a retry with --lock-wait 0 succeeds.
  std::string out;
  ASSERT_EQ(RunCommand(create, &out), 0) << out;
  CleanupOptions cleanup;
  cleanup.keep = 100;
  auto result = CleanupSnapshots(dir, cleanup);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // Leftovers of the killed creates are rebuilt into snapshots when the
  // archive was complete, else moved to quarantine; nothing is deleted.
  EXPECT_TRUE(result->removed_incomplete.empty());
  EXPECT_FALSE(result->quarantined.empty() && result->rebuilt.empty());
  auto listing = ListSnapshots(Env::Default(), dir);
  ASSERT_TRUE(listing.ok());
  ASSERT_FALSE(listing->empty());
  for (const auto& l : *listing) EXPECT_TRUE(l.usable) << l.id << ": " << l.problem;
  int usable = 0;
  ExpectUsableSnapshotsAreSound(dir, **store, &usable);
}

}  // namespace
}  // namespace vecgate
