// Snapshot archives against the real Chroma server: create / verify / list /
// info round trip, the archive as `tar -xzf` sees it, the snapshot: store
// returning records bit for bit, damaged archives refused, unsafe names
// refused, retention, and the directory lock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "testutil/bad_sector_env.h"
#include "snapshot/archive.h"
#include "snapshot/audit_log.h"
#include "snapshot/journal.h"
#include "snapshot/manifest.h"
#include "snapshot/rollback.h"
#include "snapshot/sha256.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

#if VECGATE_TEST_ASAN
// AddressSanitizer keeps freed blocks in a quarantine (256 MiB by default) to
// catch use after free; its pages stay resident, so the peak-RSS bounds here
// would measure the quarantine rather than the code under test. A small one
// still catches a use of recently freed memory.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=8"; }
#endif

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

class SnapshotArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSnapshotStore();
    store_ = ChromaTestServer::Get().NewDatabase("snap_archive");
    ASSERT_TRUE(testutil::LoadCorpusWithSpace(testutil::SmallCorpus(), DistanceSpace::kL2,
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

  std::vector<std::string> Names() { return testutil::CollectionNames(*store_); }

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
    EXPECT_EQ(c.count, CorpusRecordCount(testutil::SmallCorpus(), c.info.name));
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
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot list --snapshot-dir " +
                           options_.snapshot_dir,
                       &out),
            0);
  EXPECT_THAT(out, HasSubstr(m.snapshot_id));
  EXPECT_THAT(out, HasSubstr("verified"));
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot info " + m.snapshot_id +
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
  testutil::ClockEnv clock(1800000000);
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
    EXPECT_EQ(testutil::CollectionNames(**snap), Names()) << uri;
    EXPECT_TRUE(testutil::SameRecords(**snap, *store_, Names())) << uri;
    auto count = (*snap)->Count("sergio_corpus");
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, *store_->Count("sergio_corpus"));
    auto got = (*snap)->Get("sergio_humor", {"sergio_humor-000003", "nope"}, Include());
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    EXPECT_EQ(got->id(0), "sergio_humor-000003");
  }
  // The CLI reads it too (inspect goes through OpenStore).
  ASSERT_EQ(RunCommand("SNAPSHOT_DIR=" + options_.snapshot_dir + " " + testutil::Vecgate() +
                           " inspect --store snapshot:" + m.snapshot_id,
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("sergio_corpus"));
}

TEST_F(SnapshotArchiveTest, AFlippedByteAnywhereIsRefusedByVerifyRollbackAndTheStore) {
  Manifest m = Create();
  const std::string archive = SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id);
  const auto names_before = testutil::Counts(*store_);
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
    EXPECT_EQ(testutil::Counts(*store_), names_before) << "the store was touched";

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
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " rollback ../../etc --yes --store " +
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
  testutil::ClockEnv clock(1800000000);
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
  // The leftovers cannot be rebuilt into snapshots: without --force they are
  // moved to DIR/quarantine, never deleted.
  EXPECT_TRUE(result->removed_incomplete.empty());
  EXPECT_EQ(result->quarantined.size(), 2u);
  std::string quarantine;
  ASSERT_EQ(RunCommand("ls " + options_.snapshot_dir + "/quarantine", &quarantine), 0);
  EXPECT_THAT(quarantine, HasSubstr("snapshot_20270101_000000.tar.gz.tmp"));
  EXPECT_THAT(quarantine, HasSubstr("snapshot_20270101_000001.tar.gz"));
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
  const std::string create = testutil::Vecgate() + " snapshot create --store " +
                             store_->Describe() + " --snapshot-dir " +
                             options_.snapshot_dir;
  EXPECT_EQ(RunCommand(create + " --lock-wait 0.3", &out), 3);
  EXPECT_THAT(out, HasSubstr("pid " + std::to_string(::getpid())));
  EXPECT_THAT(out, HasSubstr("--lock-wait"));
  std::string status;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " status --snapshot-dir " + options_.snapshot_dir,
                       &status),
            0);
  EXPECT_THAT(status, HasSubstr("pid " + std::to_string(::getpid())));
  lock->reset();
  // Two at once: the second waits for the first and both succeed.
  ASSERT_EQ(RunCommand("(" + create + " & " + create + " & wait) && " + testutil::Vecgate() +
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

// ---------------------------------------------------------------- data safety

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Peak resident memory of this process, in MiB.
long PeakRssMiB() {
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

TEST_F(SnapshotArchiveTest, ABrieflyUnreadableArchiveIsNotMarkedFailedNorDeleted) {
  Manifest m = Create();
  const SnapshotPaths paths{options_.snapshot_dir};
  const std::string archive = paths.Archive(m.snapshot_id);
  const std::string away = dir_.path() + "/away.tar.gz";
  // The archive cannot be read for a moment (here: a directory in its place).
  ASSERT_EQ(std::rename(archive.c_str(), away.c_str()), 0);
  ASSERT_EQ(::mkdir(archive.c_str(), 0755), 0);
  auto verified = VerifySnapshot(options_.snapshot_dir, m.snapshot_id, VerifyOptions());
  EXPECT_EQ(verified.status().code(), StatusCode::kIoError) << verified.status().ToString();
  EXPECT_EQ(LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id)->status,
            "created")
      << "an unreadable file is not a damaged one";
  CleanupOptions cleanup;
  cleanup.force = true;  // even --force deletes nothing that is not proven damaged
  auto result = CleanupSnapshots(options_.snapshot_dir, cleanup);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(::rmdir(archive.c_str()), 0);
  ASSERT_EQ(std::rename(away.c_str(), archive.c_str()), 0);
  EXPECT_TRUE(Env::Default()->FileExists(paths.Manifest(m.snapshot_id)));

  // A status "failed" left by an earlier check is only a cache: cleanup
  // checks the bytes, which pass, and keeps the snapshot usable.
  ASSERT_TRUE(UpdateManifestStatus(Env::Default(), options_.snapshot_dir, m.snapshot_id,
                                   "failed")
                  .ok());
  Create("second");  // so that the first is not protected as the newest
  result = CleanupSnapshots(options_.snapshot_dir, cleanup);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->rechecked, ::testing::ElementsAre(m.snapshot_id));
  EXPECT_THAT(result->kept, ::testing::Contains(m.snapshot_id));
  EXPECT_TRUE(Env::Default()->FileExists(archive));
  EXPECT_EQ(LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id)->status,
            "verified");
  EXPECT_TRUE(VerifySnapshot(options_.snapshot_dir, m.snapshot_id, VerifyOptions()).ok());
}

TEST_F(SnapshotArchiveTest, AReadFaultIsUnreadableNeverDamaged) {
  Manifest m = Create();
  const SnapshotPaths paths{options_.snapshot_dir};
  const std::string archive = paths.Archive(m.snapshot_id);
  auto size = Env::Default()->FileSize(archive);
  ASSERT_TRUE(size.ok());
  // A bad sector in the middle of the archive: checksum, member reads and
  // the sequential deep pass all meet it.
  testutil::BadSectorEnv bad(archive, *size / 2);
  EXPECT_EQ(FileSha256(&bad, archive).status().code(), StatusCode::kIoError);
  for (bool deep : {false, true}) {
    Status check = CheckArchive(&bad, m, archive, deep);
    EXPECT_EQ(check.code(), StatusCode::kIoError) << deep << ": " << check.ToString();
    EXPECT_THAT(check.message(), HasSubstr("injected read error")) << check.ToString();
    VerifyOptions verify;
    verify.deep = deep;
    verify.env = &bad;
    auto verified = VerifySnapshot(options_.snapshot_dir, m.snapshot_id, verify);
    EXPECT_EQ(verified.status().code(), StatusCode::kIoError) << verified.status().ToString();
    EXPECT_EQ(LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id)->status,
              "created")
        << "a read error says nothing about the bytes: the snapshot is not marked failed";
  }
  // Reading records through the snapshot store meets the same error, never
  // a short result.
  auto reader = SnapshotStore::OpenVerified(&bad, archive, m);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  Status scanned = Status::Ok();
  for (const auto& c : m.collections) {
    Status s =
        (*reader)->Scan(c.info.name, ScanOptions(), [](RecordBatch&) { return Status::Ok(); });
    if (!s.ok()) scanned = s;
  }
  EXPECT_EQ(scanned.code(), StatusCode::kIoError) << scanned.ToString();
  // The disk recovers: the same archive verifies.
  auto verified = VerifySnapshot(options_.snapshot_dir, m.snapshot_id, VerifyOptions());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(verified->status, "verified");
}

TEST_F(SnapshotArchiveTest, AMissingOrDamagedManifestIsRebuiltFromTheArchive) {
  Manifest a = Create("a");
  Manifest b = Create("b");
  Create("c");
  const SnapshotPaths paths{options_.snapshot_dir};
  ASSERT_EQ(std::remove(paths.Manifest(a.snapshot_id).c_str()), 0);
  WriteText(paths.Manifest(b.snapshot_id), "{\"format\": \"vecgate-snap");  // cut short
  auto listing = ListSnapshots(Env::Default(), options_.snapshot_dir);
  ASSERT_TRUE(listing.ok());
  for (const auto& l : *listing) {
    if (l.id == b.snapshot_id) {
      EXPECT_THAT(l.problem, HasSubstr(paths.Manifest(b.snapshot_id)));
    }
  }
  CleanupOptions dry;
  dry.dry_run = true;
  auto planned = CleanupSnapshots(options_.snapshot_dir, dry);
  ASSERT_TRUE(planned.ok()) << planned.status().ToString();
  EXPECT_FALSE(Env::Default()->FileExists(paths.Manifest(a.snapshot_id))) << "dry run wrote";

  auto result = CleanupSnapshots(options_.snapshot_dir, CleanupOptions());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->rebuilt, ::testing::UnorderedElementsAre(a.snapshot_id, b.snapshot_id));
  EXPECT_TRUE(result->removed_snapshots.empty());
  for (const Manifest* m : {&a, &b}) {
    auto rebuilt = LoadManifest(Env::Default(), options_.snapshot_dir, m->snapshot_id);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
    EXPECT_EQ(rebuilt->checksum_sha256, m->checksum_sha256);
    EXPECT_EQ(rebuilt->archive_bytes, m->archive_bytes);
    EXPECT_EQ(rebuilt->uncompressed_bytes, m->uncompressed_bytes);
    EXPECT_EQ(rebuilt->total_chunks, m->total_chunks);
    EXPECT_EQ(rebuilt->name, m->name);
    VerifyOptions deep;
    deep.deep = true;
    EXPECT_TRUE(VerifySnapshot(options_.snapshot_dir, m->snapshot_id, deep).ok());
  }
  // The damaged manifest was kept for inspection, not thrown away.
  std::string out;
  ASSERT_EQ(RunCommand("ls " + options_.snapshot_dir + "/quarantine", &out), 0);
  EXPECT_THAT(out, HasSubstr(b.snapshot_id + ".json"));
  OpenOptions open;
  open.snapshot_dir = options_.snapshot_dir;
  auto snap = OpenStore("snapshot:" + a.snapshot_id, open);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_TRUE(testutil::SameRecords(**snap, *store_, Names()));
}

TEST_F(SnapshotArchiveTest, ADamagedArchiveIsDeletedOnlyWithForce) {
  Manifest old = Create("old");
  Create("new");
  const SnapshotPaths paths{options_.snapshot_dir};
  const std::string archive = paths.Archive(old.snapshot_id);
  {
    std::fstream f(archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(old.archive_bytes / 2));
    f.put('\x5a');
  }
  EXPECT_EQ(VerifySnapshot(options_.snapshot_dir, old.snapshot_id, VerifyOptions())
                .status()
                .code(),
            StatusCode::kCorruption);
  auto result = CleanupSnapshots(options_.snapshot_dir, CleanupOptions());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_THAT(result->damaged, ::testing::ElementsAre(old.snapshot_id));
  EXPECT_TRUE(Env::Default()->FileExists(archive)) << "deleted without --force";
  bool said = false;
  for (const auto& d : result->decisions) {
    if (d.id == old.snapshot_id) {
      EXPECT_EQ(d.action, "keep");
      EXPECT_THAT(d.reason, HasSubstr("--force"));
      said = true;
    }
  }
  EXPECT_TRUE(said);
  CleanupOptions force;
  force.force = true;
  result = CleanupSnapshots(options_.snapshot_dir, force);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->removed_snapshots, ::testing::ElementsAre(old.snapshot_id));
  EXPECT_FALSE(Env::Default()->FileExists(archive));
  EXPECT_FALSE(Env::Default()->FileExists(paths.Manifest(old.snapshot_id)));
}

TEST_F(SnapshotArchiveTest, AFailedVerificationIsRefusedWithAHintToVerifyAgain) {
  Manifest m = Create();
  ASSERT_TRUE(UpdateManifestStatus(Env::Default(), options_.snapshot_dir, m.snapshot_id,
                                   "failed")
                  .ok());
  std::string out;
  const std::string env = "SNAPSHOT_DIR=" + options_.snapshot_dir + " ";
  EXPECT_EQ(RunCommand(env + testutil::Vecgate() + " validate --old snapshot:" +
                           m.snapshot_id + " --new " + store_->Describe() +
                           " --report-dir " + dir_.path() + "/reports",
                       &out),
            3);
  EXPECT_THAT(out, HasSubstr("vecgate snapshot verify " + m.snapshot_id));
  RollbackOptions rollback;
  rollback.snapshot_dir = options_.snapshot_dir;
  rollback.snapshot_id = m.snapshot_id;
  auto rolled = RunRollback(*store_, rollback);
  EXPECT_THAT(rolled.status().message(), HasSubstr("vecgate snapshot verify " + m.snapshot_id));
  // Verifying again clears it: the archive is intact.
  ASSERT_EQ(RunCommand(env + testutil::Vecgate() + " snapshot verify " + m.snapshot_id, &out),
            0)
      << out;
  EXPECT_NE(RunCommand(env + testutil::Vecgate() + " validate --old snapshot:" +
                           m.snapshot_id + " --new " + store_->Describe() +
                           " --report-dir " + dir_.path() + "/reports",
                       &out),
            3)
      << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr("failed its last verification")));
}

TEST_F(SnapshotArchiveTest, ALyingIndexCannotMakeTheReaderAllocate) {
  Manifest m = Create();
  const std::string archive = SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id);
  auto reader = ArchiveReader::Open(Env::Default(), archive);
  ASSERT_TRUE(reader.ok());
  MemberEntry lying = m.collections[0].pages[0].records;
  lying.size = uint64_t{1900} << 20;  // 1.9 GB claimed for a small member
  const long before = PeakRssMiB();
  auto data = (*reader)->ReadMember(lying);
  EXPECT_EQ(data.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(data.status().message(), HasSubstr(archive));
  EXPECT_LT(PeakRssMiB() - before, 64) << "a declared size was trusted";
  // A size a little larger than the truth: refused, nothing more read.
  lying.size = m.collections[0].pages[0].records.size + 4096;
  EXPECT_EQ((*reader)->ReadMember(lying).status().code(), StatusCode::kCorruption);

  // The same lie inside a 1 KB archive's own index (no manifest beside it).
  const std::string small = dir_.path() + "/small/snapshots/snapshot_20270101_000000.tar.gz";
  ASSERT_TRUE(Env::Default()->CreateDirs(dir_.path() + "/small/snapshots").ok());
  {
    auto writer = ArchiveWriter::Create(Env::Default(), small, ArchiveWriterOptions());
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add("snapshot_20270101_000000/collections/0000/records_000000.jsonl",
                               std::string("{}\n"), MemberKind::kText)
                    .ok());
    Manifest fake = m;
    fake.snapshot_id = "snapshot_20270101_000000";
    fake.collections.resize(1);
    fake.collections[0].pages.resize(1);
    fake.collections[0].pages[0].records.name =
        "snapshot_20270101_000000/collections/0000/records_000000.jsonl";
    fake.collections[0].pages[0].records.size = uint64_t{1900} << 20;
    fake.collections[0].pages[0].embeddings.name =
        "snapshot_20270101_000000/collections/0000/embeddings_000000.f32";
    fake.collections[0].info_member.name = "snapshot_20270101_000000/collections/0000/info.json";
    fake.collections[0].count = fake.collections[0].pages[0].rows;
    fake.total_chunks = fake.collections[0].count;
    ASSERT_TRUE((*writer)->Finish("snapshot_20270101_000000/index.json",
                                  ManifestIndexJson(fake))
                    .ok());
  }
  auto rebuilt = RebuildManifest(Env::Default(), small, "snapshot_20270101_000000");
  EXPECT_EQ(rebuilt.status().code(), StatusCode::kCorruption) << rebuilt.status().ToString();
  EXPECT_THAT(rebuilt.status().message(), HasSubstr(small));
  EXPECT_LT(PeakRssMiB() - before, 64);
}

TEST_F(SnapshotArchiveTest, ManyTinyMembersAreScannedQuicklyInLittleMemory) {
  const std::string path = dir_.path() + "/many.tar.gz";
  {
    auto writer = ArchiveWriter::Create(Env::Default(), path, ArchiveWriterOptions());
    ASSERT_TRUE(writer.ok());
    for (int i = 0; i < 50000; ++i) {
      ASSERT_TRUE(
          (*writer)->Add("m/" + std::to_string(i), std::string("x"), MemberKind::kText).ok());
    }
    ASSERT_TRUE((*writer)->Finish("m/index.json", "{}").ok());
  }
  const long before = PeakRssMiB();
  std::clock_t cpu = std::clock();
  size_t members = 0;
  ASSERT_TRUE(ScanArchive(Env::Default(), path, [&](const MemberEntry&, std::string_view data) {
                ++members;
                EXPECT_LE(data.size(), 2u);
                return Status::Ok();
              }).ok());
  const double seconds = static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC;
  EXPECT_EQ(members, 50001u);
  EXPECT_LT(seconds, 3.0) << "per-member cost too high";
  EXPECT_LT(PeakRssMiB() - before, 32);
}

TEST_F(SnapshotArchiveTest, ParseErrorsAreCorruptionNamingTheFile) {
  Manifest m = Create();
  const SnapshotPaths paths{options_.snapshot_dir};
  WriteText(paths.Manifest(m.snapshot_id), "[1, 2");
  auto loaded = LoadManifest(Env::Default(), options_.snapshot_dir, m.snapshot_id);
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(loaded.status().message(), HasSubstr(paths.Manifest(m.snapshot_id)));

  const std::string journal = dir_.path() + "/rollback_x.journal.json";
  for (const std::string& text :
       {std::string("{\"snapshot_id\": 5}"), std::string("not json"),
        std::string("{\"snapshot_id\":\"s\",\"target_store\":\"t\",\"type\":\"full\","
                    "\"stamp\":\"x\",\"started_at\":\"x\",\"requested\":[],"
                    "\"collections\":[{\"name\":\"../etc\",\"phase\":\"pending\","
                    "\"aside_name\":\"\",\"restore\":true,\"pages_done\":0}]}")}) {
    auto parsed = ParseJournal(text, journal);
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr(journal)) << text;
  }

  ASSERT_TRUE(Env::Default()->CreateDirs(paths.LogsDir()).ok());
  {
    std::ofstream log(paths.AuditLog(), std::ios::app);
    log << "{\"timestamp\": \"2026-\n[]\n";
  }
  auto audit = ReadAudit(Env::Default(), paths.AuditLog(), 0);
  ASSERT_TRUE(audit.ok());
  ASSERT_GE(audit->size(), 3u);
  EXPECT_EQ(audit->front().action, "snapshot_create") << "earlier entries stay readable";
  for (size_t i = audit->size() - 2; i < audit->size(); ++i) {
    EXPECT_EQ((*audit)[i].action, "unreadable");
    EXPECT_THAT((*audit)[i].message, HasSubstr("Corruption"));
    EXPECT_THAT((*audit)[i].message, HasSubstr(paths.AuditLog()));
  }
}

TEST_F(SnapshotArchiveTest, ASnapshotNameMustBePrintableUtf8) {
  std::string out;
  const std::string create = testutil::Vecgate() + " snapshot create --json --store " +
                             store_->Describe() + " --snapshot-dir " + options_.snapshot_dir;
  EXPECT_EQ(RunCommand(create + " --name \"$(printf '\\377')\"", &out), 3) << out;
  EXPECT_THAT(out, HasSubstr("UTF-8"));
  EXPECT_EQ(RunCommand(create + " --name \"$(printf 'a\\033[31mb')\"", &out), 3) << out;
  EXPECT_THAT(out, HasSubstr("control characters"));
  ASSERT_EQ(RunCommand("find " + options_.snapshot_dir + " -type f 2>/dev/null | wc -l", &out),
            0);
  EXPECT_EQ(out, "0\n") << "nothing may be left behind";
  // A real UTF-8 name works, and --json output parses.
  ASSERT_EQ(RunCommand(create + " --name 'pré migration ✓' 2>/dev/null", &out),
            0)
      << out;
  auto json = nlohmann::json::parse(out);
  EXPECT_EQ(json["name"], "pré migration ✓");
}

TEST_F(SnapshotArchiveTest, LatestAndUniquePrefixesNameASnapshot) {
  testutil::ClockEnv clock(1800000000);
  options_.env = &clock;
  Manifest first = Create("first");
  clock.Set(1800000000 + 86400);
  Manifest second = Create("second");
  const std::string dir = " --snapshot-dir " + options_.snapshot_dir;
  std::string out;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot info latest --json" + dir, &out), 0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["snapshot_id"], second.snapshot_id);
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot info snapshot_20270115 --json" + dir,
                       &out),
            0)
      << out;
  EXPECT_EQ(nlohmann::json::parse(out)["snapshot_id"], first.snapshot_id);
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " snapshot info snapshot_2027" + dir, &out), 3);
  EXPECT_THAT(out, HasSubstr("ambiguous"));
  EXPECT_THAT(out, HasSubstr(first.snapshot_id));
  EXPECT_THAT(out, HasSubstr(second.snapshot_id));
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " snapshot info snapshot_1999" + dir, &out), 3);
  EXPECT_THAT(out, HasSubstr("not found"));
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot verify latest" + dir, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(second.snapshot_id + ": OK"));
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " rollback snapshot_20270115 --dry-run --store " +
                           store_->Describe() + dir,
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("snapshot " + first.snapshot_id));
  OpenOptions open;
  open.snapshot_dir = options_.snapshot_dir;
  auto snap = OpenStore("snapshot:latest", open);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ((*snap)->Describe(), "snapshot:" + second.snapshot_id);
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot delete snapshot_20270115 --yes" + dir,
                       &out),
            0)
      << out;
  EXPECT_FALSE(Env::Default()->FileExists(
      SnapshotPaths{options_.snapshot_dir}.Archive(first.snapshot_id)));
}

TEST_F(SnapshotArchiveTest, CleanupDryRunGivesAReasonPerSnapshot) {
  testutil::ClockEnv clock(1800000000);
  options_.env = &clock;
  options_.collections = {"sergio_humor"};
  std::vector<std::string> ids;
  for (int day = 0; day < 3; ++day) {
    clock.Set(1800000000 + day * 86400);
    ids.push_back(Create("day" + std::to_string(day)).snapshot_id);
  }
  VerifyOptions verify;
  verify.env = &clock;
  ASSERT_TRUE(VerifySnapshot(options_.snapshot_dir, ids[0], verify).ok());
  clock.Set(1800000000 + 20 * 86400);
  CleanupOptions cleanup;
  cleanup.env = &clock;
  cleanup.dry_run = true;
  auto result = CleanupSnapshots(options_.snapshot_dir, cleanup);
  ASSERT_TRUE(result.ok());
  std::map<std::string, CleanupDecision> by_id;
  for (const auto& d : result->decisions) by_id[d.id] = d;
  EXPECT_EQ(by_id[ids[2]].action, "keep");
  EXPECT_THAT(by_id[ids[2]].reason, HasSubstr("newest snapshot"));
  EXPECT_EQ(by_id[ids[0]].action, "keep");
  EXPECT_THAT(by_id[ids[0]].reason, HasSubstr("verified"));
  EXPECT_EQ(by_id[ids[1]].action, "remove");
  EXPECT_THAT(by_id[ids[1]].reason, HasSubstr("older than 7 days"));
  for (const auto& id : ids) {
    EXPECT_TRUE(Env::Default()->FileExists(SnapshotPaths{options_.snapshot_dir}.Archive(id)));
  }
  // The CLI prints the same, one line per snapshot.
  std::string out;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot cleanup --dry-run --keep 1 "
                           "--snapshot-dir " + options_.snapshot_dir,
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("would remove"));
  EXPECT_THAT(out, HasSubstr("beyond --keep 1"));
  EXPECT_THAT(out, HasSubstr("the newest snapshot"));
  EXPECT_THAT(out, HasSubstr("nothing was changed"));
}

TEST_F(SnapshotArchiveTest, InfoShowsTheArchiveSizeOnDiskAndAnHonestRatio) {
  Manifest m = Create();
  const std::string archive = SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id);
  auto size = Env::Default()->FileSize(archive);
  ASSERT_TRUE(size.ok());
  std::string out;
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot info " + m.snapshot_id +
                           " --snapshot-dir " + options_.snapshot_dir,
                       &out),
            0)
      << out;
  char on_disk[64], raw[64], pct[32];
  std::snprintf(on_disk, sizeof(on_disk), "%.1f KiB on disk", *size / 1024.0);
  std::snprintf(raw, sizeof(raw), "%.1f KiB of raw data", m.uncompressed_bytes / 1024.0);
  std::snprintf(pct, sizeof(pct), "(%.1f %% of it",
                100.0 * static_cast<double>(*size) / static_cast<double>(m.uncompressed_bytes));
  EXPECT_THAT(out, HasSubstr(on_disk));
  EXPECT_THAT(out, HasSubstr(raw));
  EXPECT_THAT(out, HasSubstr(pct));
  // The ratio is named beside what it means: the share of the raw data saved.
  const double saved = 1.0 - static_cast<double>(*size) / static_cast<double>(m.uncompressed_bytes);
  char ratio[96];
  std::snprintf(ratio, sizeof(ratio), "%.1f %% saved: compression_ratio %.3f", 100.0 * saved,
                saved);
  EXPECT_THAT(out, HasSubstr(ratio));
  ASSERT_EQ(RunCommand(testutil::Vecgate() + " snapshot info " + m.snapshot_id +
                           " --json --snapshot-dir " + options_.snapshot_dir,
                       &out),
            0);
  EXPECT_EQ(nlohmann::json::parse(out)["archive_bytes_on_disk"], *size);
}

TEST_F(SnapshotArchiveTest, HealthCheckTellsNoSnapshotFromADamagedOne) {
  std::string out;
  const std::string fresh = dir_.path() + "/fresh";
  ASSERT_EQ(RunCommand("cd " + dir_.path() + " && env -u SNAPSHOT_DIR " + testutil::Vecgate() +
                           " health-check --snapshot-dir " + fresh,
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("[WARN]"));
  EXPECT_THAT(out, HasSubstr("no snapshot yet"));
  EXPECT_THAT(out, HasSubstr("vecgate snapshot create"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("FAIL")));
  EXPECT_FALSE(Env::Default()->FileExists(fresh)) << "a health check created the directory";
  // Without --snapshot-dir or $SNAPSHOT_DIR: nothing is created in the cwd.
  ASSERT_EQ(RunCommand("cd " + dir_.path() + " && env -u SNAPSHOT_DIR -u CHROMADB_URL " +
                           testutil::Vecgate() + " health-check",
                       &out),
            0)
      << out;
  EXPECT_FALSE(Env::Default()->FileExists(dir_.path() + "/vecgate_snapshots"));

  Manifest m = Create();
  const std::string archive = SnapshotPaths{options_.snapshot_dir}.Archive(m.snapshot_id);
  {
    std::fstream f(archive, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x01');
  }
  EXPECT_EQ(RunCommand(testutil::Vecgate() + " health-check --snapshot-dir " +
                           options_.snapshot_dir,
                       &out),
            3);
  EXPECT_THAT(out, HasSubstr("[FAIL]"));
  EXPECT_THAT(out, HasSubstr("damaged"));
}

TEST_F(SnapshotArchiveTest, AbsurdLockWaitsAreRefused) {
  std::string out;
  for (const char* wait : {"1e300", "-1", "nan", "inf"}) {
    EXPECT_EQ(RunCommand(testutil::Vecgate() + " snapshot create --store " +
                             store_->Describe() + " --lock-wait " + wait +
                             " --snapshot-dir " + options_.snapshot_dir,
                         &out),
              3)
        << wait << ": " << out;
    EXPECT_THAT(out, HasSubstr("--lock-wait")) << wait;
  }
  EXPECT_EQ(LockSnapshotDir(Env::Default(), options_.snapshot_dir, 1e300).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vecgate
