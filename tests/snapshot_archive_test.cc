// Snapshot archives against the real Chroma server: create / verify / list /
// info round trip, the archive as `tar -xzf` sees it, the snapshot: store
// returning records bit for bit, damaged archives refused, unsafe names
// refused, retention, and the directory lock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "snapshot/manifest.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testing::ChromaTestServer;
using testing::RunCommand;
using testing::TempDir;

class SnapshotArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSnapshotStore();
    store_ = ChromaTestServer::Get().NewDatabase("snap_archive");
    ASSERT_TRUE(testing::LoadCorpusWithSpace(testing::SmallCorpus(), DistanceSpace::kL2,
                                             *store_)
                    .ok());
    options_.snapshot_dir = dir_.path() + "/snaps";
    options_.page_size = 40;  // several pages per collection
  }

  Manifest Create(const std::string& name = "pre_migration") {
    options_.name = name;
    auto m = CreateSnapshot(*store_, options_);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : Manifest();
  }

  std::vector<std::string> Names() { return testing::CollectionNames(*store_); }

  TempDir dir_;
  std::unique_ptr<Store> store_;
  CreateSnapshotOptions options_;
};

TEST_F(SnapshotArchiveTest, CreateVerifyListInfoRoundTrip) {
  Manifest m = Create();
  EXPECT_TRUE(std::regex_match(m.snapshot_id, std::regex("snapshot_\\d{8}_\\d{6}")))
      << m.snapshot_id;
  EXPECT_TRUE(std::regex_match(m.timestamp,
                               std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")));
  EXPECT_TRUE(std::regex_match(m.checksum_sha256, std::regex("[0-9a-f]{64}")));
  EXPECT_EQ(m.status, "created");
  EXPECT_EQ(m.source_store, store_->Describe());
  EXPECT_EQ(m.tool_version, VECGATE_VERSION);
  EXPECT_EQ(ParseIso8601(m.retention_until) - ParseIso8601(m.timestamp), 7 * 86400);
  int64_t total = 0;
  for (const auto& c : m.collections) {
    EXPECT_EQ(c.count, CorpusRecordCount(testing::SmallCorpus(), c.info.name));
    EXPECT_EQ(c.info.dimension, 16);
    EXPECT_EQ(c.info.space, DistanceSpace::kL2);
    EXPECT_FALSE(c.info.metadata.empty());
    EXPECT_EQ(c.pages.size(), static_cast<size_t>((c.count + 39) / 40));
    for (const auto& p : c.pages) {
      EXPECT_EQ(p.embeddings.size, static_cast<uint64_t>(p.rows * 16 * 4));
      EXPECT_EQ(p.records.sha256.size(), 64u);
    }
    total += c.count;
  }
  EXPECT_EQ(m.total_chunks, total);
  EXPECT_EQ(m.embedding_bytes, static_cast<uint64_t>(total * 16 * 4));

  auto listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->size(), 1u);
  EXPECT_TRUE((*listing)[0].usable);

  VerifyOptions verify;
  verify.deep = true;
  auto verified = VerifySnapshot(options_.snapshot_dir, m.snapshot_id, verify);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->status, "verified");
  auto info = LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->status, "verified");
  EXPECT_FALSE(info->verified_at.empty());

  // The CLI shows the same; the manifest validates against its schema's
  // required keys.
  std::string out;
  ASSERT_EQ(RunCommand(testing::Vecgate() + " snapshot list --snapshot-dir " +
                           options_.snapshot_dir,
                       &out),
            0);
  EXPECT_THAT(out, HasSubstr(m.snapshot_id));
  EXPECT_THAT(out, HasSubstr("verified"));
  ASSERT_EQ(RunCommand(testing::Vecgate() + " snapshot info " + m.snapshot_id +
                           " --json --snapshot-dir " + options_.snapshot_dir,
                       &out),
            0);
  auto json = nlohmann::json::parse(out);
  std::ifstream schema_file(VECGATE_SOURCE_DIR "/data/schemas/manifest.schema.json");
  auto schema = nlohmann::json::parse(schema_file);
  for (const auto& key : schema["required"]) {
    EXPECT_TRUE(json.contains(key.get<std::string>())) << key;
  }
  EXPECT_EQ(json["total_chunks"], total);
}

TEST_F(SnapshotArchiveTest, TwoSnapshotsInTheSameSecondGetDistinctIds) {
  testing::ClockEnv clock(1800000000);
  options_.env = &clock;
  Manifest a = Create("a"), b = Create("b"), c = Create("c");
  EXPECT_EQ(a.snapshot_id, "snapshot_20270115_080000");
  EXPECT_EQ(b.snapshot_id, a.snapshot_id + "_2");
  EXPECT_EQ(c.snapshot_id, a.snapshot_id + "_3");
  auto listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->size(), 3u);
}

TEST_F(SnapshotArchiveTest, ArchiveOpensWithTarAndHoldsTheDocumentedMembers) {
  Manifest m = Create();
  const std::string out_dir = dir_.path() + "/extracted";
  std::string out;
  ASSERT_EQ(RunCommand("mkdir -p " + out_dir + " && tar -xzf " +
                           SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id) +
                           " -C " + out_dir + " && cd " + out_dir + " && find . -type f | sort",
                       &out),
            0)
      << out;
  const std::string root = "./" + m.snapshot_id;
  EXPECT_THAT(out, HasSubstr(root + "/index.json"));
  for (size_t k = 0; k < m.collections.size(); ++k) {
    char dir[32];
    std::snprintf(dir, sizeof(dir), "%04zu", k);
    EXPECT_THAT(out, HasSubstr(root + "/collections/" + dir + "/info.json"));
    EXPECT_THAT(out, HasSubstr(root + "/collections/" + dir + "/records_000000.jsonl"));
    EXPECT_THAT(out, HasSubstr(root + "/collections/" + dir + "/embeddings_000000.f32"));
  }
  // The first page of the first collection: raw little-endian float32, n x d,
  // equal to what the store holds; its info member names the collection.
  const ManifestCollection& c = m.collections[0];
  const std::string base = out_dir + "/" + m.snapshot_id + "/collections/0000/";
  auto info = nlohmann::json::parse(std::ifstream(base + "info.json"));
  EXPECT_EQ(info["name"], c.info.name);
  EXPECT_EQ(info["count"], c.count);
  EXPECT_EQ(info["dimension"], 16);
  EXPECT_EQ(info["space"], "l2");
  std::ifstream f32(base + "embeddings_000000.f32", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f32)), std::istreambuf_iterator<char>());
  std::ifstream lines(base + "records_000000.jsonl");
  std::string first_line;
  std::getline(lines, first_line);
  const std::string first_id = nlohmann::json::parse(first_line)["id"];
  auto got = store_->Get(c.info.name, {first_id}, Include());
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  ASSERT_EQ(bytes.size(), static_cast<size_t>(c.pages[0].rows * 16 * 4));
  EXPECT_EQ(std::memcmp(bytes.data(), got->embedding(0), 16 * 4), 0);
}

TEST_F(SnapshotArchiveTest, SnapshotStoreReturnsRecordsBitForBit) {
  Manifest m = Create();
  OpenOptions open;
  open.snapshot_dir = options_.snapshot_dir;
  const std::string archive = SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id);
  // By id, by path, and by path of a copy without its manifest.
  const std::string lone = dir_.path() + "/lone.tar.gz";
  std::string out;
  ASSERT_EQ(RunCommand("cp " + archive + " " + lone, &out), 0);
  for (const std::string& uri :
       {"snapshot:" + m.snapshot_id, "snapshot:" + archive, "snapshot:" + lone}) {
    auto snap = OpenStore(uri, open);
    ASSERT_TRUE(snap.ok()) << uri << ": " << snap.status().ToString();
    EXPECT_EQ(testing::CollectionNames(**snap), Names()) << uri;
    EXPECT_TRUE(testing::SameRecords(**snap, *store_, Names())) << uri;
    auto count = (*snap)->Count("sergio_corpus");
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, *store_->Count("sergio_corpus"));
    auto got = (*snap)->Get("sergio_humor", {"sergio_humor-000003", "nope"}, Include());
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->id(0), "sergio_humor-000003");
  }
  // The CLI reads it too (inspect goes through OpenStore).
  ASSERT_EQ(RunCommand("SNAPSHOT_DIR=" + options_.snapshot_dir + " " + testing::Vecgate() +
                           " inspect --store snapshot:" + m.snapshot_id,
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("sergio_corpus"));
}

TEST_F(SnapshotArchiveTest, AFlippedByteAnywhereIsRefusedByVerifyRollbackAndTheStore) {
  Manifest m = Create();
  const std::string archive = SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id);
  const auto names_before = testing::Counts(*store_);
  const uint64_t size = m.archive_bytes;
  OpenOptions open;
  open.snapshot_dir = options_.snapshot_dir;
  for (uint64_t pos : {uint64_t{0}, uint64_t{5}, uint64_t{200}, size / 3, size / 2,
                       size - 600, size - 9, size - 1}) {
    SCOPED_TRACE("byte " + std::to_string(pos));
    std::fstream f(archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(pos));
    char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(pos));
    f.put(static_cast<char>(c ^ 0x20));
    f.close();

    RollbackOptions rollback;
    rollback.snapshot_dir = options_.snapshot_dir;
    rollback.snapshot_id = m.snapshot_id;
    auto rolled = RunRollback(*store_, rollback);
    EXPECT_EQ(rolled.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(rolled.status().message(), HasSubstr("refusing to roll back"));
    EXPECT_EQ(testing::Counts(*store_), names_before) << "the store was touched";

    EXPECT_EQ(OpenStore("snapshot:" + m.snapshot_id, open).status().code(),
              StatusCode::kCorruption);
    auto verified = VerifySnapshot(options_.snapshot_dir, m.snapshot_id, VerifyOptions());
    EXPECT_EQ(verified.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id)->status,
              "failed");
    auto listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
    ASSERT_TRUE(listing.ok());
    EXPECT_FALSE((*listing)[0].usable);

    // Put the byte back for the next position.
    f.open(archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(pos));
    f.put(c);
    f.close();
    ASSERT_TRUE(UpdateManifestStatus(Env::Default(), options_.snapshot_dir, m.snapshot_id,
                                     "created")
                    .ok());
  }
  VerifyOptions deep;
  deep.deep = true;
  EXPECT_TRUE(VerifySnapshot(options_.snapshot_dir, m.snapshot_id, deep).ok());
}

TEST_F(SnapshotArchiveTest, UnsafeIdsNamesAndPathsAreRefused) {
  Manifest m = Create();
  for (const char* id : {"../etc/passwd", "/etc/passwd", "a/b", "..", "bad\x01id", ""}) {
    EXPECT_EQ(LoadManifest(Env::Default(), options_.snapshot_dir, id).status().code(),
              StatusCode::kInvalidArgument)
        << id;
    RollbackOptions rollback;
    rollback.snapshot_dir = options_.snapshot_dir;
    rollback.snapshot_id = id;
    EXPECT_EQ(RunRollback(*store_, rollback).status().code(), StatusCode::kInvalidArgument);
  }
  for (const char* name : {"../x", "a/b", "bad\nname"}) {
    options_.collections = {name};
    EXPECT_EQ(CreateSnapshot(*store_, options_).status().code(),
              StatusCode::kInvalidArgument)
        << name;
    RollbackOptions rollback;
    rollback.snapshot_dir = options_.snapshot_dir;
    rollback.snapshot_id = m.snapshot_id;
    rollback.collections = {name};
    EXPECT_EQ(RunRollback(*store_, rollback).status().code(), StatusCode::kInvalidArgument);
  }
  std::string out;
  EXPECT_EQ(RunCommand(testing::Vecgate() + " rollback ../../etc --yes --store " +
                           store_->Describe() + " --snapshot-dir " + options_.snapshot_dir,
                       &out),
            3);
  EXPECT_THAT(out, HasSubstr("invalid snapshot id"));
  // A manifest whose member names escape the folder is refused.
  const std::string path = SnapshotPaths{options_.snapshot_dir}.Manifest(m.snapshot_id);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string good = m.collections[0].pages[0].records.name;
  text.replace(text.find(good), good.size(), "../../outside.jsonl");
  std::ofstream(path) << text;
  EXPECT_EQ(LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id).status().code(),
            StatusCode::kCorruption);
}

TEST_F(SnapshotArchiveTest, RetentionCleanupKeepsTheNewestVerified) {
  testing::ClockEnv clock(1800000000);
  options_.env = &clock;
  options_.collections = {"sergio_humor"};
  std::vector<std::string> ids;
  for (int day = 0; day < 4; ++day) {
    clock.Set(1800000000 + day * 86400);
    ids.push_back(Create("day" + std::to_string(day)).snapshot_id);
  }
  VerifyOptions verify;
  verify.env = &clock;
  ASSERT_TRUE(VerifySnapshot(options_.snapshot_dir, ids[1], verify).ok());
  // Leftovers of interrupted creates.
  const SnapshotPaths paths{options_.snapshot_dir};
  std::ofstream(paths.SnapshotsDir() + "/snapshot_20270101_000000.tar.gz.tmp") << "partial";
  std::ofstream(paths.SnapshotsDir() + "/snapshot_20270101_000001.tar.gz") << "orphan";
  auto listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
  ASSERT_TRUE(listing.ok());
  int usable = 0;
  for (const auto& l : *listing) usable += l.usable;
  EXPECT_EQ(usable, 4);
  EXPECT_EQ(listing->size(), 6u);

  // 30 days later every snapshot has expired; the newest verified (day 1)
  // and the newest (day 3) stay.
  clock.Set(1800000000 + 30 * 86400);
  CleanupOptions cleanup;
  cleanup.env = &clock;
  auto result = CleanupSnapshots(options_.snapshot_dir, cleanup);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->kept, ::testing::UnorderedElementsAre(ids[1], ids[3]));
  EXPECT_THAT(result->removed_snapshots, ::testing::UnorderedElementsAre(ids[0], ids[2]));
  EXPECT_EQ(result->removed_incomplete.size(), 2u);
  listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->size(), 2u);
  EXPECT_TRUE((*listing)[0].usable && (*listing)[1].usable);

  // --keep 1 with nothing expired: only the newest and newest verified stay.
  clock.Set(1800000000 + 4 * 86400);
  Create("day4");
  cleanup.keep = 1;
  cleanup.retention_days = 365;
  result = CleanupSnapshots(options_.snapshot_dir, cleanup);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->kept.size(), 2u);
  EXPECT_THAT(result->removed_snapshots, ::testing::ElementsAre(ids[3]));
}

TEST_F(SnapshotArchiveTest, ABusyDirectoryMakesTheSecondOperationWaitThenRefuse) {
  auto lock = LockSnapshotDir(Env::Default(), options_.snapshot_dir, 1);
  ASSERT_TRUE(lock.ok());
  std::string out;
  const std::string create = testing::Vecgate() + " snapshot create --store " +
                             store_->Describe() + " --snapshot-dir " +
                             options_.snapshot_dir;
  EXPECT_EQ(RunCommand(create + " --lock-wait 0.3", &out), 3);
  EXPECT_THAT(out, HasSubstr("pid " + std::to_string(::getpid())));
  EXPECT_THAT(out, HasSubstr("--lock-wait"));
  std::string status;
  ASSERT_EQ(RunCommand(testing::Vecgate() + " status --snapshot-dir " + options_.snapshot_dir,
                       &status),
            0);
  EXPECT_THAT(status, HasSubstr("pid " + std::to_string(::getpid())));
  lock->reset();
  // Two at once: the second waits for the first and both succeed.
  ASSERT_EQ(RunCommand("(" + create + " & " + create + " & wait) && " + testing::Vecgate() +
                           " snapshot list --json --snapshot-dir " + options_.snapshot_dir,
                       &out),
            0)
      << out;
  auto listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->size(), 2u);
  for (const auto& l : *listing) EXPECT_TRUE(l.usable) << l.id << ": " << l.problem;
}

TEST_F(SnapshotArchiveTest, ALockLeftByAKilledProcessDoesNotBlock) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = LockSnapshotDir(Env::Default(), options_.snapshot_dir, 1);
    ::raise(SIGKILL);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto lock = LockSnapshotDir(Env::Default(), options_.snapshot_dir, 0);
  EXPECT_TRUE(lock.ok()) << lock.status().ToString();
}

}  // namespace
}  // namespace vecgate
