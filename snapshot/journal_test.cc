// The rollback journal without a server: the typed phases and their on-disk
// names, the round trip through the file, journals written by earlier
// versions, and damaged, truncated and hostile journals (a clear error
// naming the file and what to do, never a crash).
#include "snapshot/journal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "snapshot/rollback_test_util.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::TempDir;

constexpr JournalPhase kAllPhases[] = {JournalPhase::kPending, JournalPhase::kRenamedAside,
                                       JournalPhase::kCreated, JournalPhase::kRestored,
                                       JournalPhase::kVerified};

RollbackJournal SampleJournal() {
  RollbackJournal j;
  j.snapshot_id = "snapshot_20261201_000000";
  j.target_store = "chroma://127.0.0.1:8000/default_tenant/new";
  j.type = RollbackType::kFull;
  j.stamp = "20261201_010000";
  j.started_at = "2026-12-01T01:00:00Z";
  j.attempts = 3;
  j.include_new_collections = true;
  for (JournalPhase phase : kAllPhases) {
    JournalCollection c;
    c.name = "c_" + std::string(JournalPhaseName(phase));
    c.phase = phase;
    c.aside_name = c.name + "_failed_20261201010000";
    c.pages_done = phase >= JournalPhase::kCreated ? 2 : 0;
    j.collections.push_back(c);
  }
  JournalCollection extra;
  extra.name = "made_after";
  extra.restore = false;
  extra.phase = JournalPhase::kRenamedAside;
  extra.aside_name = "made_after_failed_20261201010000";
  j.collections.push_back(extra);
  return j;
}

TEST(JournalPhaseTest, EveryPhaseHasOneOnDiskNameThatReadsBack) {
  // The names are the file format: journals already on disk use them.
  const std::vector<std::string> expected = {"pending", "renamed_aside", "created", "restored",
                                             "verified"};
  for (size_t i = 0; i < std::size(kAllPhases); ++i) {
    EXPECT_EQ(JournalPhaseName(kAllPhases[i]), expected[i]);
    EXPECT_EQ(JournalPhaseFromName(expected[i]), kAllPhases[i]);
  }
  for (const char* other : {"", "Pending", "verified ", "renamed-aside", "done"}) {
    EXPECT_FALSE(JournalPhaseFromName(other).has_value()) << other;
  }
  EXPECT_EQ(RollbackTypeName(RollbackType::kFull), "full");
  EXPECT_EQ(RollbackTypeName(RollbackType::kPartial), "partial");
  EXPECT_EQ(RollbackTypeFromName("partial"), RollbackType::kPartial);
  EXPECT_FALSE(RollbackTypeFromName("dry_run").has_value());
}

TEST(JournalPhaseTest, PhasesAreOrderedAndACollectionKnowsWhereItEnds) {
  for (size_t i = 1; i < std::size(kAllPhases); ++i) {
    EXPECT_LT(kAllPhases[i - 1], kAllPhases[i]);
  }
  JournalCollection restored;
  EXPECT_EQ(restored.final_phase(), JournalPhase::kVerified);
  restored.phase = JournalPhase::kRestored;
  EXPECT_FALSE(restored.finished());
  restored.phase = JournalPhase::kVerified;
  EXPECT_TRUE(restored.finished());
  JournalCollection only_aside;
  only_aside.restore = false;
  EXPECT_EQ(only_aside.final_phase(), JournalPhase::kRenamedAside);
  EXPECT_FALSE(only_aside.finished());
  only_aside.phase = JournalPhase::kRenamedAside;
  EXPECT_TRUE(only_aside.finished());
}

TEST(JournalTest, RoundTripsThroughItsFileForm) {
  TempDir tmp;
  const RollbackJournal j = SampleJournal();
  const std::string path = tmp.path() + "/rollback_x.journal.json";
  ASSERT_TRUE(WriteJournal(Env::Default(), path, j).ok());
  auto back = ReadJournal(Env::Default(), path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->snapshot_id, j.snapshot_id);
  EXPECT_EQ(back->target_store, j.target_store);
  EXPECT_EQ(back->type, j.type);
  EXPECT_EQ(back->stamp, j.stamp);
  EXPECT_EQ(back->started_at, j.started_at);
  EXPECT_EQ(back->attempts, 3);
  EXPECT_TRUE(back->include_new_collections);
  ASSERT_EQ(back->collections.size(), j.collections.size());
  for (size_t i = 0; i < j.collections.size(); ++i) {
    EXPECT_EQ(back->collections[i].name, j.collections[i].name);
    EXPECT_EQ(back->collections[i].phase, j.collections[i].phase);
    EXPECT_EQ(back->collections[i].aside_name, j.collections[i].aside_name);
    EXPECT_EQ(back->collections[i].restore, j.collections[i].restore);
    EXPECT_EQ(back->collections[i].pages_done, j.collections[i].pages_done);
  }
  EXPECT_EQ(JournalJson(*back), JournalJson(j)) << "the writer is stable";

  RollbackJournal partial = j;
  partial.type = RollbackType::kPartial;
  partial.requested = {"a", "b"};
  partial.finished_at = "2026-12-01T01:00:09Z";
  partial.asides_removed = true;
  auto again = ParseJournal(JournalJson(partial), "partial.json");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->type, RollbackType::kPartial);
  EXPECT_EQ(again->requested, partial.requested);
  EXPECT_EQ(again->finished_at, partial.finished_at);
  EXPECT_TRUE(again->asides_removed);
}

// Written by the vecgate before phases were typed: it must still resume.
TEST(JournalTest, ReadsJournalsThatEarlierVersionsWrote) {
  const std::string legacy = R"({
  "asides_removed": false,
  "attempts": 1,
  "collections": [
    {"aside_name": "sergio_corpus_failed_20261121235717", "name": "sergio_corpus",
     "pages_done": 3, "phase": "created", "restore": true},
    {"aside_name": "", "name": "sergio_humor", "pages_done": 0, "phase": "pending",
     "restore": true},
    {"aside_name": "migrated_extra_failed_20261121235717", "name": "migrated_extra",
     "pages_done": 0, "phase": "renamed_aside", "restore": false}
  ],
  "finished_at": "",
  "include_new_collections": true,
  "requested": [],
  "snapshot_id": "snapshot_20261121_235700",
  "stamp": "20261121_235717",
  "started_at": "2026-11-21T23:57:17Z",
  "target_store": "chroma://127.0.0.1:8000/default_tenant/new",
  "type": "full"
}
)";
  auto j = ParseJournal(legacy, "legacy.json");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_EQ(j->collections.size(), 3u);
  EXPECT_EQ(j->collections[0].phase, JournalPhase::kCreated);
  EXPECT_EQ(j->collections[0].pages_done, 3);
  EXPECT_EQ(j->collections[1].phase, JournalPhase::kPending);
  EXPECT_EQ(j->collections[2].phase, JournalPhase::kRenamedAside);
  EXPECT_FALSE(j->collections[2].restore);

  // Fields an early journal did not have are optional.
  auto minimal = ParseJournal(
      R"({"snapshot_id":"s1","target_store":"jsonl:/x","type":"partial","stamp":"1",)"
      R"("started_at":"t","requested":["a"],"collections":[]})",
      "minimal.json");
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString();
  EXPECT_EQ(minimal->attempts, 0);
  EXPECT_EQ(minimal->finished_at, "");

  // Journals checked in as fuzzing seeds; the generated ones were written
  // by the string-phase writer, and the typed one writes them byte for byte.
  const std::string corpus = std::string(VECGATE_SOURCE_DIR) + "/fuzz/corpus/journal/";
  for (const char* name : {"in_progress.json", "done_partial.json"}) {
    auto seed = ReadJournal(Env::Default(), corpus + name);
    EXPECT_TRUE(seed.ok()) << name << ": " << seed.status().ToString();
  }
  for (const char* name : {"generated_journal.json", "generated_done_journal.json"}) {
    auto text = Env::Default()->ReadFile(corpus + name);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    auto seed = ParseJournal(*text, name);
    ASSERT_TRUE(seed.ok()) << name << ": " << seed.status().ToString();
    EXPECT_EQ(JournalJson(*seed), *text) << name;
  }
}

// Every prefix of a journal (a write torn at any byte, which the atomic
// rename prevents but a copy or an editor may not) is refused clearly.
TEST(JournalTest, ATruncatedJournalIsACorruptionNamingTheFile) {
  const std::string text = JournalJson(SampleJournal());
  const std::string whole = text.substr(0, text.find_last_not_of('\n') + 1);
  for (size_t n = 0; n < whole.size(); ++n) {
    auto j = ParseJournal(whole.substr(0, n), "logs/rollback_x.journal.json");
    ASSERT_FALSE(j.ok()) << "a prefix of " << n << " bytes parsed";
    EXPECT_EQ(j.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(j.status().message(), HasSubstr("logs/rollback_x.journal.json"));
    EXPECT_THAT(j.status().message(), HasSubstr("move it away"));
  }
}

struct HostileCase {
  const char* what;
  std::string json_path;  // a field of SampleJournal's JSON
  nlohmann::json value;
  const char* says;       // part of the message
};

TEST(JournalTest, HostileFieldsAreRefusedWithTheirPath) {
  const nlohmann::json huge_array = nlohmann::json::array({1e300});
  const std::vector<HostileCase> cases = {
      {"phase unknown", "/collections/0/phase", "finished", "$.collections[0].phase"},
      {"phase not text", "/collections/0/phase", 3, "$.collections[0].phase is not a string"},
      {"pages_done huge float", "/collections/1/pages_done", 1e300,
       "$.collections[1].pages_done is not a whole number"},
      {"pages_done fraction", "/collections/1/pages_done", 1.5, "pages_done"},
      {"pages_done negative", "/collections/1/pages_done", -1, "not between 0"},
      {"pages_done beyond int64", "/collections/1/pages_done", UINT64_MAX, "not between 0"},
      {"attempts beyond int", "/attempts", int64_t{1} << 40, "$.attempts"},
      {"attempts text", "/attempts", "1", "$.attempts is not a whole number"},
      {"restore text", "/collections/2/restore", "yes", "restore is not true or false"},
      {"collections not an array", "/collections", "all", "$.collections is not an array"},
      {"a collection not an object", "/collections/0", 7, "$.collections[0] is not an object"},
      {"requested not names", "/requested", huge_array, "$.requested[0] is not a string"},
      {"requested unsafe", "/requested", nlohmann::json::array({"../x"}), "$.requested[0]"},
      {"collection name unsafe", "/collections/0/name", "../../etc/passwd", "collection"},
      {"aside name unsafe", "/collections/0/aside_name", "a/b", "collection"},
      {"snapshot id unsafe", "/snapshot_id", "../../etc", "$.snapshot_id"},
      {"stamp with a path", "/stamp", "../../../tmp/x", "$.stamp"},
      {"stamp empty", "/stamp", "", "$.stamp"},
      {"stamp too long", "/stamp", std::string(64, '1'), "$.stamp"},
      {"type unknown", "/type", "dry_run", "$.type 'dry_run' is not full, partial"},
      {"type missing", "/type", nullptr, "$.type is not a string"},
      {"a collection twice", "/collections/1/name", "c_pending", "a second time"},
      {"terminal escapes", "/collections/0/phase", "\x1b[2J", "\\x1B"},
  };
  const nlohmann::json good = nlohmann::json::parse(JournalJson(SampleJournal()));
  for (const HostileCase& c : cases) {
    SCOPED_TRACE(c.what);
    nlohmann::json bad = good;
    bad[nlohmann::json::json_pointer(c.json_path)] = c.value;
    auto j = ParseJournal(bad.dump(), "DIR/logs/rollback_s.journal.json");
    ASSERT_FALSE(j.ok());
    EXPECT_EQ(j.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(j.status().message(), HasSubstr(c.says));
    EXPECT_THAT(j.status().message(), HasSubstr("DIR/logs/rollback_s.journal.json"));
    EXPECT_THAT(j.status().message(), HasSubstr("move it away to start the rollback afresh"));
  }
  for (const char* required : {"snapshot_id", "target_store", "stamp", "collections"}) {
    nlohmann::json bad = good;
    bad.erase(required);
    auto j = ParseJournal(bad.dump(), "j.json");
    ASSERT_FALSE(j.ok()) << required;
    EXPECT_THAT(j.status().message(), HasSubstr(std::string("$.") + required + " is missing"));
  }
}

TEST(JournalTest, NotJsonOrNotAnObjectOrTooDeepIsRefused) {
  const std::vector<std::string> texts = {
      "", "null", "[]", "\"journal\"", "{\"snapshot_id\":", std::string("\0\0\0", 3),
      "\xff\xfe{}", std::string(100000, '[') + std::string(100000, ']'),
      "{\"a\":" + std::string(50000, '{') + std::string(50000, '}') + "}"};
  for (const std::string& text : texts) {
    auto j = ParseJournal(text, "j.json");
    ASSERT_FALSE(j.ok()) << text.substr(0, 20);
    EXPECT_EQ(j.status().code(), StatusCode::kCorruption);
    EXPECT_THAT(j.status().message(), HasSubstr("j.json"));
  }
}

TEST(JournalTest, AnOversizedJournalIsRefusedBeforeItIsRead) {
  TempDir tmp;
  const std::string path = tmp.path() + "/rollback_s.journal.json";
  {
    std::ofstream out(path);
    out << "{";
  }
  // Sparse: the size is declared, the bytes never written or read.
  std::filesystem::resize_file(path, kMaxJournalBytes + 1);
  auto j = ReadJournal(Env::Default(), path);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(j.status().message(), HasSubstr(path));
  EXPECT_THAT(j.status().message(), HasSubstr("more than the"));
  auto text = ParseJournal(std::string(kMaxJournalBytes + 1, ' '), "big.json");
  EXPECT_EQ(text.status().code(), StatusCode::kCorruption);

  EXPECT_EQ(ReadJournal(Env::Default(), tmp.path() + "/absent.json").status().code(),
            StatusCode::kNotFound);
}

TEST(JournalTest, FinishedJournalsAreListedAndDamagedOnesReportedForCleanup) {
  TempDir tmp;
  const SnapshotPaths paths{tmp.path()};
  ASSERT_TRUE(Env::Default()->CreateDirs(paths.LogsDir()).ok());
  RollbackJournal first = SampleJournal();
  first.finished_at = "2026-12-01T01:00:09Z";
  RollbackJournal second = first;
  second.stamp = "20261202_010000";
  ASSERT_TRUE(WriteJournal(Env::Default(),
                           DoneJournalPath(paths, first.snapshot_id, first.stamp), first)
                  .ok());
  ASSERT_TRUE(WriteJournal(Env::Default(),
                           DoneJournalPath(paths, second.snapshot_id, second.stamp), second)
                  .ok());
  const std::string damaged = DoneJournalPath(paths, "snapshot_x", "20261203_000000");
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), damaged, "{\"stamp\": 5}").ok());
  // Not finished journals: an active one and an unrelated file.
  ASSERT_TRUE(WriteJournal(Env::Default(), ActiveJournalPath(paths, "snapshot_y"), first).ok());
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), paths.LogsDir() + "/notes.done.json", "x")
                  .ok());

  std::vector<std::string> unreadable;
  auto listed = ListDoneJournals(Env::Default(), paths, &unreadable);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ(listed->at(0).second.stamp, first.stamp) << "oldest first";
  EXPECT_EQ(listed->at(1).second.stamp, second.stamp);
  ASSERT_EQ(unreadable.size(), 1u);
  EXPECT_THAT(unreadable[0], HasSubstr(damaged));
  EXPECT_THAT(unreadable[0], HasSubstr("cleanup skips this finished rollback"));

  auto none = ListDoneJournals(Env::Default(), SnapshotPaths{tmp.path() + "/absent"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace vecgate
