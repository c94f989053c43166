// Issue 19, "a rollback never makes things worse": each test is one way a
// snapshot, cleanup, verify, validate or rollback used to make things worse,
// run on real jsonl: stores and the real `vecgate` binary (no server
// needed): cleanup deleting what a pending rollback needs, a resumed refill
// adding a page twice, nested JSON crashing the reader, credentials in
// outputs, an edited manifest steering a rollback, terminal escapes from
// collection names, an archive inflated whole into memory, a collection
// skipped for its name alone, --force deleting an intact archive, and
// `latest` naming an unusable snapshot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/text.h"
#include "snapshot/archive.h"
#include "snapshot/journal.h"
#include "snapshot/manifest.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "tests/snapshot_test_util.h"
#include "tests/test_server.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunCommand;
using testutil::TempDir;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

long PeakRssMiB() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

class RollbackSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSnapshotStore();
    dir_ = tmp_.path() + "/snaps";
    source_ = "jsonl:" + tmp_.path() + "/source.jsonl";
  }

  // A jsonl: store at `uri` holding the small corpus.
  void Fill(const std::string& uri) {
    auto store = OpenStore(uri, OpenOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(testutil::LoadCorpusWithSpace(testutil::SmallCorpus(0.01), DistanceSpace::kL2,
                                             **store)
                    .ok());
  }

  Manifest Snapshot(const std::string& uri, Env* env = Env::Default()) {
    auto store = OpenStore(uri, OpenOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    CreateSnapshotOptions options;
    options.snapshot_dir = dir_;
    options.page_size = 25;
    options.env = env;
    auto m = CreateSnapshot(**store, options);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : Manifest();
  }

  std::string Vecgate(const std::string& args) {
    return testutil::Vecgate() + " " + args + " --snapshot-dir " + dir_;
  }

  TempDir tmp_;
  std::string dir_;
  std::string source_;
};

// Defect 1.
TEST_F(RollbackSafetyTest, CleanupKeepsASnapshotThatAnUnfinishedRollbackNeeds) {
  Fill(source_);
  testutil::ClockEnv clock(1'900'000'000);
  Manifest old = Snapshot(source_, &clock);
  clock.Set(1'900'000'000 + 30 * 86400);
  Snapshot(source_, &clock);
  RollbackJournal journal;
  journal.snapshot_id = old.snapshot_id;
  journal.target_store = "jsonl:" + tmp_.path() + "/target.jsonl";
  journal.stamp = "20300317_000000";
  journal.started_at = "2030-03-17T00:00:00Z";
  journal.attempts = 1;
  const SnapshotPaths paths{dir_};
  ASSERT_TRUE(WriteJournal(Env::Default(), ActiveJournalPath(paths, old.snapshot_id), journal)
                  .ok());
  CleanupOptions options;
  options.keep = 1;
  options.env = &clock;
  auto result = CleanupSnapshots(dir_, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->removed_snapshots, Not(::testing::Contains(old.snapshot_id)));
  EXPECT_TRUE(Env::Default()->FileExists(paths.Archive(old.snapshot_id)));
  EXPECT_TRUE(Env::Default()->FileExists(paths.Manifest(old.snapshot_id)));
  bool said = false;
  for (const auto& d : result->decisions) {
    if (d.id == old.snapshot_id) {
      EXPECT_EQ(d.action, "keep");
      EXPECT_THAT(d.reason, HasSubstr("unfinished rollback"));
      said = true;
    }
  }
  EXPECT_TRUE(said);
}

// Defect 2: killed just after the first page was added, before the journal
// recorded it, the resumed rollback must not add that page again.
TEST_F(RollbackSafetyTest, AResumedRollbackIntoJsonlEndsWithExactlyTheSnapshot) {
  Fill(source_);
  Manifest m = Snapshot(source_);
  for (int kill_at : {4, 6, 8}) {
    const std::string target = "jsonl:" + tmp_.path() + "/target_" +
                               std::to_string(kill_at) + ".jsonl";
    {
      auto store = OpenStore(target, OpenOptions());
      ASSERT_TRUE(store.ok());
      CollectionInfo other;
      other.name = "unrelated";
      ASSERT_TRUE((*store)->CreateCollection(other).ok());
    }
    const std::string cmd = Vecgate("rollback " + m.snapshot_id + " --yes --store " + target +
                                    " --lock-wait 0 --verify-sample 0");
    std::string out;
    int rc = RunCommand("VECGATE_FAULT_KILL_AFTER_STORE_OPS=" + std::to_string(kill_at) + " " +
                            cmd,
                        &out);
    ASSERT_TRUE(testutil::WasKilled(rc)) << rc << out;
    rc = RunCommand(cmd, &out);
    ASSERT_EQ(rc, 0) << out;
    auto restored = OpenStore(target, OpenOptions());
    auto snapshot = OpenStore(source_, OpenOptions());
    ASSERT_TRUE(restored.ok() && snapshot.ok());
    for (const auto& c : m.collections) {
      auto count = (*restored)->Count(c.info.name);
      ASSERT_TRUE(count.ok());
      EXPECT_EQ(*count, c.count) << c.info.name << " after a kill at store event " << kill_at;
    }
    EXPECT_TRUE(testutil::SameRecords(**restored, **snapshot,
                                     testutil::CollectionNames(**snapshot)));
  }
}

// Defect 3.
TEST_F(RollbackSafetyTest, DeeplyNestedJsonInAManifestIsAnErrorNotACrash) {
  Fill(source_);
  Manifest m = Snapshot(source_);
  const std::string path = SnapshotPaths{dir_}.Manifest(m.snapshot_id);
  std::string text = ReadText(path);
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const size_t at = text.find("\"configuration\": {");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("\"configuration\": {").size(),
               "\"configuration\": {\"deep\": " + deep + ",");
  WriteText(path, text);
  for (const std::string& args :
       {std::string("snapshot list"), "snapshot info " + m.snapshot_id,
        "inspect --store snapshot:" + m.snapshot_id}) {
    std::string out;
    const int rc = RunCommand("SNAPSHOT_DIR=" + dir_ + " " + testutil::Vecgate() + " " + args +
                                  " 2>&1",
                              &out);
    EXPECT_NE(rc, 139) << args << " crashed";
    EXPECT_LT(rc, 128) << args << " died of a signal: " << out;
    if (args != "snapshot list") EXPECT_EQ(rc, 3) << args << ": " << out;
    EXPECT_THAT(out, HasSubstr("deeper than 64")) << args;
  }
  std::string out;
  const int rc = RunCommand("SNAPSHOT_DIR=" + dir_ + " " + testutil::Vecgate() +
                                " validate --old snapshot:" + m.snapshot_id + " --new " +
                                source_ + " --report-dir " + tmp_.path() + "/reports 2>&1",
                            &out);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_THAT(out, HasSubstr(path));
}

// The consistent-read rules apply to a snapshot too: a file written while
// the snapshot reads it is refused, and nothing is kept.
TEST_F(RollbackSafetyTest, ASnapshotOfAStoreWrittenDuringTheReadIsRefused) {
  Fill(source_);
  auto store = OpenStore(source_, OpenOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::string path = source_.substr(std::string("jsonl:").size());
  CreateSnapshotOptions options;
  options.snapshot_dir = dir_;
  options.page_size = 5;
  bool written = false;
  options.progress = [&](const std::string&, int64_t, int64_t) {
    if (!written) std::ofstream(path, std::ios::app) << "\n";  // another writer
    written = true;
  };
  auto m = CreateSnapshot(**store, options);
  ASSERT_FALSE(m.ok()) << "a snapshot of a moving store was kept";
  EXPECT_THAT(m.status().message(), HasSubstr("changed while the snapshot read it"));
  EXPECT_THAT(m.status().message(), HasSubstr("bytes, modified"));
  auto list = ListSnapshots(Env::Default(), dir_);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty()) << "nothing is kept";
}

// Defect 4: a URI whose query carries a secret (a jsonl: path can hold
// "?sslpassword=..." as any PostgreSQL URI can): no output repeats it.
TEST_F(RollbackSafetyTest, ACredentialInAStoreUriReachesNoOutput) {
  const std::string secret = "S3cr3tPassphrase";
  const std::string uri = "jsonl:" + tmp_.path() + "/cred.jsonl?sslmode=require&sslpassword=" +
                          secret;
  Fill(uri);
  std::string all, out;
  EXPECT_EQ(RunCommand(Vecgate("snapshot create --store '" + uri + "'") + " 2>&1", &out), 0)
      << out;
  all += out;
  auto id = ResolveSnapshotId(Env::Default(), dir_, "latest");
  ASSERT_TRUE(id.ok());
  // A validate that fails (an error naming the store), a report and a step
  // summary, a rollback killed part way (its journal) and resumed.
  const std::string summary = tmp_.path() + "/summary.md";
  RunCommand("GITHUB_STEP_SUMMARY=" + summary + " " + testutil::Vecgate() +
                 " validate --old '" + uri + "' --new '" + uri +
                 "' --report-dir " + tmp_.path() + "/reports 2>&1",
             &out);
  all += out;
  RunCommand(testutil::Vecgate() + " validate --old '" + uri + "' --new 'jsonl:" + tmp_.path() +
                 "/missing.jsonl?password=" + secret + "' --report-dir " + tmp_.path() +
                 "/reports 2>&1",
             &out);
  all += out;
  const std::string target = "jsonl:" + tmp_.path() + "/ctarget.jsonl?sslpassword=" + secret;
  {
    auto store = OpenStore(target, OpenOptions());
    ASSERT_TRUE(store.ok());
    CollectionInfo other;
    other.name = "unrelated";
    ASSERT_TRUE((*store)->CreateCollection(other).ok());
  }
  RunCommand("VECGATE_FAULT_KILL_AFTER_STORE_OPS=4 " +
                 Vecgate("rollback " + *id + " --yes --store '" + target + "'") + " 2>&1",
             &out);
  all += out;
  all += ReadText(ActiveJournalPath(SnapshotPaths{dir_}, *id));
  EXPECT_EQ(RunCommand(Vecgate("rollback " + *id + " --yes --store '" + target + "'") + " 2>&1",
                       &out),
            0)
      << out;
  all += out;
  all += ReadText(SnapshotPaths{dir_}.Manifest(*id));
  all += ReadText(SnapshotPaths{dir_}.AuditLog());
  all += ReadText(summary);
  RunCommand("cat " + tmp_.path() + "/reports/* " + dir_ + "/logs/*", &out);
  all += out;
  RunCommand(Vecgate("audit-log"), &out);
  all += out;
  EXPECT_THAT(all, HasSubstr("sslpassword=***"));
  EXPECT_THAT(all, Not(HasSubstr(secret)));
  EXPECT_EQ(RedactCredentials("postgresql://u:pw@h/db?sslpassword=x&sslkey=/k&Token=y"),
            "postgresql://u:***@h/db?sslpassword=***&sslkey=/k&Token=***");
}

// Defect 5.
TEST_F(RollbackSafetyTest, AnEditedManifestIsRefusedByVerifyAndCannotRedirectARollback) {
  Fill(source_);
  Manifest m = Snapshot(source_);
  const std::string path = SnapshotPaths{dir_}.Manifest(m.snapshot_id);
  const std::string victim = tmp_.path() + "/victim.jsonl";
  {
    auto store = OpenStore("jsonl:" + victim, OpenOptions());
    ASSERT_TRUE(store.ok());
    CollectionInfo other;
    other.name = "precious";
    ASSERT_TRUE((*store)->CreateCollection(other).ok());
  }
  const std::string before = ReadText(victim);
  std::string text = ReadText(path);
  const size_t at = text.find(source_);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, source_.size(), "jsonl:" + victim);
  WriteText(path, text);

  std::string out;
  EXPECT_NE(RunCommand(Vecgate("snapshot verify --deep " + m.snapshot_id) + " 2>&1", &out), 0)
      << out;
  EXPECT_THAT(out, HasSubstr("source_store"));
  EXPECT_NE(RunCommand(Vecgate("rollback " + m.snapshot_id + " --yes") + " 2>&1", &out), 0)
      << out;
  EXPECT_EQ(ReadText(victim), before) << "the rollback wrote into the manifest's store";

  // Untampered: without --store the target is shown and must be confirmed.
  Manifest good = Snapshot(source_);
  EXPECT_NE(RunCommand(Vecgate("rollback " + good.snapshot_id + " --collections " +
                               good.collections[0].info.name) +
                           " < /dev/null 2>&1",
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr(source_));
  EXPECT_THAT(out, HasSubstr("--yes"));
}

// Defect 6.
TEST_F(RollbackSafetyTest, ControlBytesInCollectionNamesNeverReachTheTerminal) {
  Fill(source_);
  Manifest m = Snapshot(source_);
  const std::string target = tmp_.path() + "/evil.jsonl";
  WriteText(target,
            "{\"_collection\":{\"name\":\"evil\\u001b]0;owned\\u0007\\u001b[2J\","
            "\"metadata\":null,\"configuration\":{},\"space\":\"l2\",\"dimension\":16}}\n");
  std::string out;
  RunCommand(Vecgate("rollback " + m.snapshot_id + " --dry-run --store jsonl:" + target) +
                 " 2>&1",
             &out);
  EXPECT_THAT(out, HasSubstr("evil"));
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
  RunCommand(Vecgate("rollback " + m.snapshot_id + " --yes --include-new-collections --store jsonl:" +
                     target) +
                 " 2>&1",
             &out);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
}

// Defect 7: a 120 KB archive whose one member inflates to 128 MiB, without
// a manifest, is read without holding that member.
TEST_F(RollbackSafetyTest, AnArchiveWithoutAManifestIsNotInflatedIntoMemory) {
  const std::string id = "snapshot_20300101_000000";
  const std::string archive = dir_ + "/snapshots/" + id + ".tar.gz";
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_ + "/snapshots").ok());
  const pid_t child = ::fork();
  if (child == 0) {
    // The 128 MiB are made in a child, so that this process's peak stays low.
    ArchiveWriterOptions options;
    options.text_level = 12;
    auto writer = ArchiveWriter::Create(Env::Default(), archive, options);
    const std::string zeros(size_t{128} << 20, '\0');
    Status s = writer.ok() ? (*writer)->Add(id + "/collections/0000/records_000000.jsonl",
                                            zeros, MemberKind::kText)
                           : writer.status();
    if (s.ok()) s = (*writer)->Finish(id + "/index.json", "{}");
    ::_exit(s.ok() ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  auto size = Env::Default()->FileSize(archive);
  ASSERT_TRUE(size.ok());
  ASSERT_LT(*size, 200u << 10);
  const long before = PeakRssMiB();
  auto rebuilt = RebuildManifest(Env::Default(), archive, id);
  EXPECT_EQ(rebuilt.status().code(), StatusCode::kCorruption);
  OpenOptions open;
  auto opened = OpenStore("snapshot:" + archive, open);
  EXPECT_FALSE(opened.ok());
  EXPECT_LT(PeakRssMiB() - before, 64) << "the member was inflated into memory";
}

// Defect 8.
TEST_F(RollbackSafetyTest, ACollectionOnlyNamedLikeAnAsideIsStillValidated) {
  const std::string old_path = tmp_.path() + "/old.jsonl";
  const std::string new_path = tmp_.path() + "/new.jsonl";
  auto old_store = OpenStore("jsonl:" + old_path, OpenOptions());
  auto new_store = OpenStore("jsonl:" + new_path, OpenOptions());
  ASSERT_TRUE(old_store.ok() && new_store.ok());
  CorpusOptions corpus = testutil::SmallCorpus(0.01);
  auto infos = CorpusCollections(corpus);
  for (CollectionInfo info : infos) {
    for (int copy = 0; copy < 2; ++copy) {
      Store& dst = copy == 0 ? **old_store : **new_store;
      ASSERT_TRUE(dst.CreateCollection(info).ok());
      ASSERT_TRUE(GenerateCollection(corpus, info.name, 1000, [&](RecordBatch& page) {
                    return dst.Add(info.name, page);
                  }).ok());
    }
  }
  // Only in the old store: a real collection with an aside-like name.
  CollectionInfo orders = infos[0];
  orders.name = "orders_failed_20240101000000";
  ASSERT_TRUE((*old_store)->CreateCollection(orders).ok());
  ASSERT_TRUE(GenerateCollection(corpus, infos[0].name, 1000, [&](RecordBatch& page) {
                return (*old_store)->Add(orders.name, page);
              }).ok());
  // And a real aside, stamped by a rollback: left out, and said so.
  CollectionInfo aside = infos[0];
  aside.name = "kept_failed_20240101000000";
  aside.metadata[kAsideStampSnapshotKey] = std::string("snapshot_20240101_000000");
  aside.metadata[kAsideStampTimeKey] = std::string("20240101_000000");
  aside.metadata[kAsideStampOriginalKey] = std::string("kept");
  ASSERT_TRUE((*old_store)->CreateCollection(aside).ok());
  old_store->reset();
  new_store->reset();
  std::string out;
  const int rc = RunCommand(testutil::Vecgate() + " validate --old jsonl:" + old_path +
                                " --new jsonl:" + new_path + " --report-dir " + tmp_.path() +
                                "/reports --json 2>&1",
                            &out);
  EXPECT_NE(rc, 0) << "the gate passed with collection orders_failed_20240101000000 missing: "
                   << out;
  EXPECT_THAT(out, HasSubstr("orders_failed_20240101000000"));
  EXPECT_THAT(out, HasSubstr("kept_failed_20240101000000' was left out"));
}

// Defect 9.
TEST_F(RollbackSafetyTest, CleanupForceRebuildsAWrongManifestOfAnIntactArchive) {
  Fill(source_);
  Manifest m = Snapshot(source_);
  Snapshot(source_);
  const SnapshotPaths paths{dir_};
  Manifest wrong = m;
  wrong.checksum_sha256 = std::string(64, '0');
  wrong.archive_bytes += 7;
  WriteText(paths.Manifest(m.snapshot_id), ManifestJson(wrong));
  CleanupOptions force;
  force.force = true;
  auto result = CleanupSnapshots(dir_, force);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->removed_snapshots, Not(::testing::Contains(m.snapshot_id)));
  EXPECT_THAT(result->rebuilt, ::testing::Contains(m.snapshot_id));
  ASSERT_TRUE(Env::Default()->FileExists(paths.Archive(m.snapshot_id)));
  auto loaded = LoadManifest(Env::Default(), dir_, m.snapshot_id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->checksum_sha256, m.checksum_sha256);
  VerifyOptions deep;
  deep.deep = true;
  EXPECT_TRUE(VerifySnapshot(dir_, m.snapshot_id, deep).ok());
}

// Defect 10.
TEST_F(RollbackSafetyTest, LatestNeverNamesASnapshotThatListCallsUnusable) {
  Fill(source_);
  Manifest older = Snapshot(source_);
  Manifest newer = Snapshot(source_);
  ASSERT_TRUE(UpdateManifestStatus(Env::Default(), dir_, newer.snapshot_id, "failed").ok());
  auto latest = ResolveSnapshotId(Env::Default(), dir_, "latest");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, older.snapshot_id);
  // A newest archive cut short: not usable either.
  ASSERT_TRUE(UpdateManifestStatus(Env::Default(), dir_, newer.snapshot_id, "verified").ok());
  ASSERT_EQ(::truncate(SnapshotPaths{dir_}.Archive(newer.snapshot_id).c_str(), 100), 0);
  latest = ResolveSnapshotId(Env::Default(), dir_, "latest");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(*latest, older.snapshot_id);
}

}  // namespace
}  // namespace vecgate
