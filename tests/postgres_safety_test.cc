// Issue 19 on PostgreSQL, "a rollback never makes things worse", against
// Debian's PostgreSQL 15 (tools/postgres/start.sh), which this test starts
// itself: a backend per connection, so a test can hold a lock in one
// session while vecgate waits in another. The server has no pgvector
// (Debian 12 does not package it): tables hold real[] embeddings.
//
// Each test gets a schema of its own. What is checked is what an operator
// would see: a name is never run as SQL, a table vecgate cannot restore as
// it is is refused before anything changes (and the live table is left as
// it was), long names can be set aside, a stalled server does not hang the
// job.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "core/store.h"
#include "snapshot/journal.h"
#include "snapshot/rollback.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/snapshot_test_util.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunCommand;
using testutil::TempDir;

constexpr char kPassword[] = "Safety-first-2291";

std::string Shell(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A store that says every collection can be snapshotted, as vecgate did
// before CheckSnapshotFaithful: it writes the archives an older vecgate
// left behind.
class OldVecgateStore : public Store {
 public:
  explicit OldVecgateStore(Store& store) : store_(store) {}
  std::string Describe() const override { return store_.Describe(); }
  Result<std::vector<CollectionInfo>> ListCollections() override {
    return store_.ListCollections();
  }
  Result<CollectionInfo> GetCollection(const std::string& name) override {
    return store_.GetCollection(name);
  }
  Result<int64_t> Count(const std::string& c) override { return store_.Count(c); }
  Status Scan(const std::string& c, const ScanOptions& o, const PageSink& s) override {
    return store_.Scan(c, o, s);
  }
  Result<RecordBatch> Get(const std::string& c, const std::vector<std::string>& ids,
                          const Include& include) override {
    return store_.Get(c, ids, include);
  }

 private:
  Store& store_;
};

// Forwards to a store; before the first CreateCollection it runs `before`
// (another client making a table of that name).
class InterposingStore : public OldVecgateStore {
 public:
  InterposingStore(Store& store, std::function<void()> before)
      : OldVecgateStore(store), store_(store), before_(std::move(before)) {}
  size_t max_name_bytes() const override { return store_.max_name_bytes(); }
  bool writable() const override { return true; }
  Status CreateCollection(const CollectionInfo& info) override {
    if (before_) std::exchange(before_, nullptr)();
    return store_.CreateCollection(info);
  }
  Status RenameCollectionWithMetadata(const std::string& from, const std::string& to,
                                      const Metadata* metadata) override {
    return store_.RenameCollectionWithMetadata(from, to, metadata);
  }
  Status DeleteCollection(const std::string& name) override {
    return store_.DeleteCollection(name);
  }
  Status Add(const std::string& c, const RecordBatch& batch) override {
    return store_.Add(c, batch);
  }

 private:
  Store& store_;
  std::function<void()> before_;
};

// Swaps restored tables in like the store it wraps, and fails the Add
// after `adds_ok` successful ones (a server error half way through a
// restore).
class FailingAddStore : public InterposingStore {
 public:
  FailingAddStore(Store& store, int adds_ok)
      : InterposingStore(store, nullptr), store_(store), adds_ok_(adds_ok) {}
  bool can_swap_in_restored() const override { return store_.can_swap_in_restored(); }
  Status SwapInRestored(const std::string& staging, const std::string& name,
                        const std::string& aside, const Metadata* metadata) override {
    return store_.SwapInRestored(staging, name, aside, metadata);
  }
  Status Add(const std::string& c, const RecordBatch& batch) override {
    if (adds_ok_-- <= 0) return Unavailable("the server went away (injected)");
    return store_.Add(c, batch);
  }

 private:
  Store& store_;
  int adds_ok_;
};

class PostgresSafetyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string out;
    const std::string cmd = "WATCH_PID=" + std::to_string(::getpid()) + " " +
                            std::string(VECGATE_SOURCE_DIR) + "/tools/postgres/start.sh " +
                            dir_->path() + "/pg " + Shell(kPassword);
    ASSERT_EQ(RunCommand(cmd, &out), 0) << out;
    std::istringstream in(out);
    in >> port_ >> pid_ >> cluster_;
    ASSERT_GT(port_, 0) << out;
    ::setenv("PGPASSWORD", kPassword, 1);
    RegisterSnapshotStore();
  }
  static void TearDownTestSuite() {
    std::string out;
    if (pid_ > 0) {
      RunCommand(std::string(VECGATE_SOURCE_DIR) + "/tools/postgres/stop.sh " +
                     std::to_string(pid_) + " " + cluster_,
                 &out);
    }
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    static int n = 0;
    schema_ = "safety_" + std::to_string(++n);
    Psql("CREATE SCHEMA " + schema_);
    snapshots_ = tmp_.path() + "/snaps";
  }

  static std::string Base() {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }
  std::string Uri(const std::string& schema = "") const {
    return Base() + "?schema=" + (schema.empty() ? schema_ : schema);
  }

  // Runs SQL with psql as the superuser; its output (-At) in the result.
  static std::string Psql(const std::string& sql, bool expect_ok = true) {
    std::string out;
    const int rc = RunCommand("PGPASSWORD=" + Shell(kPassword) +
                                  " psql -At -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p " +
                                  std::to_string(port_) + " -U postgres -d postgres -c " +
                                  Shell(sql) + " 2>&1",
                              &out);
    if (expect_ok) EXPECT_EQ(rc, 0) << sql << "\n" << out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  int Cli(const std::string& args, std::string* out) {
    return RunCommand("PGPASSWORD=" + Shell(kPassword) + " SNAPSHOT_DIR=" + snapshots_ + " " +
                          VECGATE_CLI + " " + args + " 2>&1",
                      out);
  }

  std::unique_ptr<Store> Open(double timeout_seconds = 30) {
    OpenOptions options;
    options.timeout_seconds = timeout_seconds;
    auto store = OpenStore(Uri(), options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A collection table of real[] embeddings with three rows, plus `extra`
  // column definitions.
  void MakeTable(const std::string& name, const std::string& extra = "",
                 const std::string& embedding_type = "real[]") {
    const std::string table = schema_ + "." + QuoteIdent(name);
    Psql("CREATE TABLE " + table + " (id text PRIMARY KEY, document text, metadata jsonb, "
         "embedding " + embedding_type + extra + "); INSERT INTO " + table +
         " (id, document, metadata, embedding) VALUES "
         "('a', 'first', '{\"n\": 1}', '{1,2,3}'), ('b', 'second', '{\"n\": 2.5}', '{3,2,1}'), "
         "('c', 'third', '{\"n\": 3}', '{0.5,0.25,0.125}')");
  }

  static std::string QuoteIdent(const std::string& s) {
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  }

  static TempDir* dir_;
  static int port_;
  static long pid_;
  static std::string cluster_;
  TempDir tmp_;
  std::string schema_, snapshots_;
};

TempDir* PostgresSafetyTest::dir_ = nullptr;
int PostgresSafetyTest::port_ = 0;
long PostgresSafetyTest::pid_ = 0;
std::string PostgresSafetyTest::cluster_;

// A scan reads one snapshot of the collection (REPEATABLE READ): rows that
// another connection deletes, inserts or moves while the pages are read are
// neither skipped nor read twice (the consistent-read issue). A backend per
// connection is what makes the writer concurrent here.
TEST_F(PostgresSafetyTest, AScanSeesOneSnapshotWhileAnotherConnectionWrites) {
  const std::string table = schema_ + ".moving";
  Psql("CREATE TABLE " + table + " (id text PRIMARY KEY, document text, metadata jsonb, "
       "embedding real[]); INSERT INTO " + table + " SELECT 'r' || lpad(g::text, 4, '0'), "
       "'doc ' || g, '{}', '{1,2,3}' FROM generate_series(1, 300) g");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  ScanOptions options;
  options.page_size = 50;
  std::vector<std::string> ids;
  int pages = 0;
  Status s = store->Scan("moving", options, [&](RecordBatch& page) {
    if (++pages == 2) {
      // Behind the cursor and ahead of it: a delete, a re-insert that
      // would move a row, and appends.
      Psql("DELETE FROM " + table + " WHERE id IN ('r0010', 'r0200'); "
           "INSERT INTO " + table + " VALUES ('r0010', 'doc 10', '{}', '{1,2,3}'), "
           "('r9999', 'late', '{}', '{1,2,3}'), ('r0150x', 'late', '{}', '{1,2,3}')");
    }
    ids.insert(ids.end(), page.ids().begin(), page.ids().end());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(ids.size(), 300u) << "the scan read one state of the table";
  EXPECT_EQ(unique.size(), 300u);
  EXPECT_TRUE(unique.count("r0200")) << "a row deleted during the scan was in its snapshot";
  EXPECT_FALSE(unique.count("r9999")) << "a row inserted during the scan was not";
  // The writer's changes are there for the next scan.
  auto count = store->Count("moving");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 301);
}

TEST_F(PostgresSafetyTest, SqlInATableNameNeverRunsWhenItsIndexIsReplayed) {
  const std::string hostile = "x ON b USING btree(id);DROP TABLE victim;--";
  Psql("CREATE TABLE public.victim (n int); INSERT INTO public.victim VALUES (7)");
  MakeTable(hostile);
  Psql("CREATE INDEX hostile_doc_idx ON " + schema_ + "." + QuoteIdent(hostile) + " (document)");
  std::string out;
  const int rc = Cli("fixtures migrate --from " + Shell(Uri()) + " --to " +
                         Shell(Uri(schema_ + "_to")),
                     &out);
  EXPECT_EQ(Psql("SELECT n FROM public.victim"), "7") << "the table name ran as SQL\n" << out;
  ASSERT_EQ(rc, 0) << out;
  // The copy has the index, on the copied table.
  EXPECT_EQ(Psql("SELECT indexdef FROM pg_indexes WHERE schemaname = '" + schema_ +
                 "_to' AND indexname = 'hostile_doc_idx'"),
            "CREATE INDEX hostile_doc_idx ON " + schema_ + "_to." + QuoteIdent(hostile) +
                " USING btree (document)");
  Psql("DROP TABLE public.victim");
}

TEST_F(PostgresSafetyTest, AStatementNeverCarriesASecondOne) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  MakeTable("docs");
  Psql("CREATE INDEX docs_doc ON " + schema_ + ".docs (document)");
  // What an archive says an index is: a second statement after it is
  // refused before anything is created.
  auto info = store->GetCollection("docs");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  Psql("CREATE TABLE public.victim2 (n int)");
  CollectionInfo forged = *info;
  forged.name = "forged";
  const std::string needle = "USING btree (document)";
  const size_t at = forged.configuration_json.find(needle);
  ASSERT_NE(at, std::string::npos) << forged.configuration_json;
  forged.configuration_json.replace(at, needle.size(),
                                    "USING btree (document); DROP TABLE public.victim2");
  Status restorable = store->CheckRestorable(forged);
  EXPECT_EQ(restorable.code(), StatusCode::kFailedPrecondition) << restorable.ToString();
  Status created = store->CreateCollection(forged);
  EXPECT_FALSE(created.ok());
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE tablename = 'victim2'"), "1");
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_ +
                 "' AND tablename = 'forged'"),
            "0");
  // A type that carries a clause of its own is refused the same way.
  forged = *info;
  forged.name = "forged";
  const std::string type = "\"type\":\"text\"";
  const size_t t = forged.configuration_json.find(type);
  ASSERT_NE(t, std::string::npos) << forged.configuration_json;
  forged.configuration_json.replace(t, type.size(),
                                    "\"type\":\"text references public.victim2\"");
  EXPECT_EQ(store->CheckRestorable(forged).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(store->CreateCollection(forged).ok());
  Psql("DROP TABLE public.victim2");
}

TEST_F(PostgresSafetyTest, AWideTableIsRefusedBySnapshotCreateNamingItsColumns) {
  MakeTable("wide",
            ", tenant text NOT NULL DEFAULT 'acme', created_at timestamptz NOT NULL DEFAULT "
            "now(), version int");
  std::string out;
  const int rc = Cli("snapshot create --store " + Shell(Uri()), &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("tenant"));
  EXPECT_THAT(out, HasSubstr("created_at"));
  EXPECT_THAT(out, HasSubstr("version"));
  EXPECT_THAT(out, HasSubstr("no snapshot was written"));
}

TEST_F(PostgresSafetyTest, AnOldArchiveOfAWideTableIsRefusedBeforeTheLiveTableIsTouched) {
  MakeTable("wide",
            ", tenant text NOT NULL DEFAULT 'acme', created_at timestamptz NOT NULL DEFAULT "
            "now(), version int");
  Psql("UPDATE " + schema_ + ".wide SET tenant = 'globex', version = 3 WHERE id = 'b'");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  OldVecgateStore old(*store);
  CreateSnapshotOptions options;
  options.snapshot_dir = snapshots_;
  auto manifest = CreateSnapshot(old, options);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  Psql("DELETE FROM " + schema_ + ".wide WHERE id = 'c'");  // the migration's damage
  const std::string before =
      Psql("SELECT id, tenant, version FROM " + schema_ + ".wide ORDER BY id");
  RollbackOptions o;
  o.snapshot_dir = snapshots_;
  o.snapshot_id = manifest->snapshot_id;
  auto result = RunRollback(*store, o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("tenant"));
  EXPECT_THAT(result.status().message(), HasSubstr("nothing was changed"));
  // The live table is exactly as it was: not emptied, not set aside.
  EXPECT_EQ(Psql("SELECT id, tenant, version FROM " + schema_ + ".wide ORDER BY id"), before);
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_ + "'"), "1");
}

TEST_F(PostgresSafetyTest, Float8EmbeddingsAndNestedMetadataAreRefusedBySnapshotCreate) {
  MakeTable("doubles", "", "double precision[]");
  std::string out;
  EXPECT_NE(Cli("snapshot create --store " + Shell(Uri()), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("double precision[]"));
  Psql("DROP TABLE " + schema_ + ".doubles");
  MakeTable("nested");
  Psql("UPDATE " + schema_ + ".nested SET metadata = '{\"a\": {\"b\": [1, 2]}}' WHERE id = 'b'");
  EXPECT_NE(Cli("snapshot create --store " + Shell(Uri()), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("nested object or array"));
  EXPECT_THAT(out, HasSubstr("'b'"));
}

TEST_F(PostgresSafetyTest, ATableWithALongNameIsSetAsideAndRestored) {
  const std::string name(50, 'l');  // 50 + "_failed_" + 14 digits > 63 bytes
  MakeTable(name);
  Psql("CREATE INDEX " + name + "_doc ON " + schema_ + "." + name + " (document)");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CreateSnapshotOptions options;
  options.snapshot_dir = snapshots_;
  auto manifest = CreateSnapshot(*store, options);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  Psql("DELETE FROM " + schema_ + "." + name + " WHERE id = 'c'");
  RollbackOptions o;
  o.snapshot_dir = snapshots_;
  o.snapshot_id = manifest->snapshot_id;
  auto result = RunRollback(*store, o);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->aside_names.size(), 1u);
  const std::string aside = result->aside_names[0];
  EXPECT_LE(aside.size(), 63u);
  EXPECT_TRUE(IsRollbackAsideName(aside)) << aside;
  EXPECT_EQ(Psql("SELECT string_agg(id, ',' ORDER BY id) FROM " + schema_ + "." + name), "a,b,c");
  EXPECT_EQ(Psql("SELECT count(*) FROM " + schema_ + "." + QuoteIdent(aside)), "2");
  // The aside table's indexes moved with it, within 63 bytes.
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_indexes WHERE schemaname = '" + schema_ +
                 "' AND tablename = '" + aside + "'"),
            "2");
}

TEST_F(PostgresSafetyTest, APartitionedTableIsOneCollectionAndIsRefusedBySnapshots) {
  Psql("CREATE TABLE " + schema_ + ".parts (id text, document text, metadata jsonb, "
       "embedding real[], PRIMARY KEY (id)) PARTITION BY RANGE (id); "
       "CREATE TABLE " + schema_ + ".parts_1 PARTITION OF " + schema_ +
       ".parts FOR VALUES FROM ('a') TO ('m'); CREATE TABLE " + schema_ +
       ".parts_2 PARTITION OF " + schema_ + ".parts FOR VALUES FROM ('m') TO ('zzz'); "
       "INSERT INTO " + schema_ + ".parts VALUES ('a', 'x', '{}', '{1,2}'), "
       "('q', 'y', '{}', '{2,1}')");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto listed = store->ListCollections();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "parts");
  Status faithful = store->CheckSnapshotFaithful("parts");
  EXPECT_EQ(faithful.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(faithful.message(), HasSubstr("partitioned"));
}

TEST_F(PostgresSafetyTest, ForeignKeysChecksAndSerialColumnsAreRefusedBySnapshots) {
  Psql("CREATE TABLE " + schema_ + ".owners (id text PRIMARY KEY)");
  MakeTable("docs", ", CONSTRAINT doc_len CHECK (length(document) < 100)");
  Psql("CREATE TABLE " + schema_ + ".refs (id text REFERENCES " + schema_ + ".docs (id))");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Status faithful = store->CheckSnapshotFaithful("docs");
  EXPECT_EQ(faithful.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(faithful.message(), HasSubstr("doc_len (CHECK)"));
  EXPECT_THAT(faithful.message(), HasSubstr("refs_id_fkey of"));
}

TEST_F(PostgresSafetyTest, AStalledStatementEndsAtTheTimeout) {
  MakeTable("locked");
  // Another session holds the table locked for 60 s.
  std::string out;
  RunCommand("(PGPASSWORD=" + Shell(kPassword) + " psql -q -h 127.0.0.1 -p " +
                 std::to_string(port_) + " -U postgres -d postgres -c " +
                 Shell("BEGIN; LOCK TABLE " + schema_ +
                       ".locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);") +
                 " >/dev/null 2>&1 &)",
             &out);
  for (int i = 0; i < 100; ++i) {
    if (Psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE "
             "c.relname = 'locked' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1") {
      break;
    }
    ::usleep(100000);
  }
  auto store = Open(/*timeout_seconds=*/1);
  ASSERT_NE(store, nullptr);
  auto count = store->Count("locked");
  EXPECT_FALSE(count.ok());
  EXPECT_THAT(count.status().message(), HasSubstr("statement timeout"));
  Psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' "
       "AND pid <> pg_backend_pid()");
}

TEST_F(PostgresSafetyTest, ADeeplyNestedCommentIsIgnoredNotParsedWithoutBound) {
  MakeTable("deep");
  const std::string comment =
      "{\"vecgate\": {\"metadata\": " + std::string(200000, '[') + std::string(200000, ']') + "}}";
  // COMMENT takes a literal: written through a file to stay out of argv.
  const std::string file = tmp_.path() + "/comment.sql";
  std::ofstream(file) << "COMMENT ON TABLE " << schema_ << ".deep IS '" << comment << "';\n";
  std::string out;
  ASSERT_EQ(RunCommand("PGPASSWORD=" + Shell(kPassword) + " psql -q -v ON_ERROR_STOP=1 -h "
                           "127.0.0.1 -p " + std::to_string(port_) +
                           " -U postgres -d postgres -f " + file + " 2>&1",
                       &out),
            0)
      << out;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto info = store->GetCollection("deep");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->metadata.empty());
}

TEST_F(PostgresSafetyTest, ATakenIndexNameIsNotMistakenForTheTableExisting) {
  MakeTable("a");
  Psql("CREATE INDEX a_doc_idx ON " + schema_ + ".a (document)");
  Psql("CREATE TABLE " + schema_ + ".other (n int); CREATE INDEX b_doc_idx ON " + schema_ +
       ".other (n)");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto info = store->GetCollection("a");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  CollectionInfo b = *info;
  b.name = "b";
  Status created = store->CreateCollection(b);
  EXPECT_FALSE(created.ok());
  EXPECT_NE(created.code(), StatusCode::kAlreadyExists) << created.ToString();
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_ +
                 "' AND tablename = 'b'"),
            "0");
}

TEST_F(PostgresSafetyTest, ATableSomeoneElseMadeIsNotTakenForTheOneRollbackCreated) {
  MakeTable("docs");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CreateSnapshotOptions options;
  options.snapshot_dir = snapshots_;
  auto manifest = CreateSnapshot(*store, options);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  Psql("DELETE FROM " + schema_ + ".docs WHERE id = 'c'");
  // Between the set-aside and the re-creation, another client makes "docs".
  InterposingStore racing(*store, [&] {
    Psql("CREATE TABLE " + schema_ + ".docs (id text PRIMARY KEY, document text, metadata "
         "jsonb, embedding real[]); INSERT INTO " + schema_ +
         ".docs VALUES ('theirs', 'not ours', NULL, '{9,9,9}')");
  });
  RollbackOptions o;
  o.snapshot_dir = snapshots_;
  o.snapshot_id = manifest->snapshot_id;
  auto result = RunRollback(racing, o);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition) << result.status().ToString();
  EXPECT_THAT(result.status().message(), HasSubstr("did not create it"));
  // Their table holds only their row; ours is aside, intact.
  EXPECT_EQ(Psql("SELECT string_agg(id, ',' ORDER BY id) FROM " + schema_ + ".docs"), "theirs");
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_ +
                 "' AND tablename LIKE 'docs_failed_%'"),
            "1");
}

TEST_F(PostgresSafetyTest, ARestoreThatFailsHalfWayLeavesTheLiveTableExactlyAsItWas) {
  Psql("CREATE TABLE " + schema_ + ".docs (id text PRIMARY KEY, document text, metadata jsonb, "
       "embedding real[]); INSERT INTO " + schema_ + ".docs SELECT 'r' || lpad(i::text, 3, "
       "'0'), 'doc ' || i, jsonb_build_object('i', i), ARRAY[i, -i]::real[] FROM "
       "generate_series(1, 30) i; CREATE INDEX docs_doc ON " + schema_ + ".docs (document)");
  auto store = Open();
  ASSERT_NE(store, nullptr);
  CreateSnapshotOptions options;
  options.snapshot_dir = snapshots_;
  options.page_size = 10;
  auto manifest = CreateSnapshot(*store, options);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  Psql("UPDATE " + schema_ + ".docs SET document = 'damaged' WHERE id > 'r020'");
  const std::string before =
      Psql("SELECT string_agg(id || ':' || document, ',' ORDER BY id) FROM " + schema_ + ".docs");
  RollbackOptions o;
  o.snapshot_dir = snapshots_;
  o.snapshot_id = manifest->snapshot_id;
  FailingAddStore failing(*store, 1);  // the second page fails
  auto first = RunRollback(failing, o);
  ASSERT_FALSE(first.ok());
  EXPECT_THAT(first.status().message(), HasSubstr("injected"));
  // Live: exactly as it was, under its name, with its index; nothing aside.
  EXPECT_EQ(Psql("SELECT string_agg(id || ':' || document, ',' ORDER BY id) FROM " + schema_ +
                 ".docs"),
            before);
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_indexes WHERE schemaname = '" + schema_ +
                 "' AND tablename = 'docs' AND indexname = 'docs_doc'"),
            "1");
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_ +
                 "' AND tablename LIKE 'docs_failed_%'"),
            "0");
  // Run again: it resumes, swaps the verified copy in and sets the damaged
  // table aside, indexes and all, in one transaction.
  auto second = RunRollback(*store, o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(Psql("SELECT count(*) FROM " + schema_ + ".docs WHERE document = 'damaged'"), "0");
  EXPECT_EQ(Psql("SELECT count(*) FROM " + schema_ + ".docs"), "30");
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_indexes WHERE schemaname = '" + schema_ +
                 "' AND tablename = 'docs' AND indexname IN ('docs_doc', 'docs_pkey')"),
            "2");
  ASSERT_EQ(second->aside_names.size(), 1u);
  EXPECT_EQ(Psql("SELECT count(*) FROM " + schema_ + "." + QuoteIdent(second->aside_names[0]) +
                 " WHERE document = 'damaged'"),
            "10");
  EXPECT_EQ(Psql("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_ +
                 "' AND tablename LIKE '%restoring%'"),
            "0");
}

// Rollback killed with SIGKILL (test hooks, snapshot/fault_hooks.h) at
// every store mutation and at file-system writes, then run again: the rerun
// finishes, the tables hold exactly the snapshot and the damaged tables are
// kept aside with their rows. A real PostgreSQL drops a killed client's
// transaction with its backend, as PGlite's single backend would not.
class PostgresRollbackKillTest : public PostgresSafetyTest {
 protected:
  // Two tables of 30 rows (real[4] embeddings) in `schema`.
  static void Fill(const std::string& schema) {
    std::string sql = "CREATE SCHEMA " + schema + ";";
    for (const char* t : {"a", "b"}) {
      sql += "CREATE TABLE " + schema + "." + t +
             " (id text PRIMARY KEY, document text, metadata jsonb, embedding real[]);"
             "INSERT INTO " + schema + "." + t +
             " SELECT 'r' || lpad(i::text, 3, '0'), 'doc ' || i, jsonb_build_object('i', i, "
             "'f', i / 7.0), ARRAY[i, i / 3.0, -i, 0.1]::real[] FROM generate_series(1, 30) i;";
    }
    Psql(sql);
  }

  void SetUp() override {
    PostgresSafetyTest::SetUp();
    if (!id_.empty()) return;
    Fill("kill_good");
    auto good = OpenStore(Uri("kill_good"), OpenOptions());
    ASSERT_TRUE(good.ok()) << good.status().ToString();
    CreateSnapshotOptions options;
    options.snapshot_dir = kill_dir_ = dir_->path() + "/kill_snaps";
    options.page_size = 10;
    auto m = CreateSnapshot(**good, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    id_ = m->snapshot_id;
  }

  bool KillThenResume(const std::string& hook) {
    static int k = 0;
    const std::string schema = "kill_" + std::to_string(++k);
    Fill(schema);
    Psql("DELETE FROM " + schema + ".a WHERE right(id, 1) IN ('0', '2', '4', '6', '8');"
         "UPDATE " + schema + ".b SET document = 'damaged by the migration'");
    const std::string uri = Uri(schema);
    const std::string cmd = "PGPASSWORD=" + Shell(kPassword) + " " + testutil::Vecgate() +
                            " rollback " + id_ + " --yes --store " + Shell(uri) +
                            " --snapshot-dir " + kill_dir_ + " --lock-wait 0 --verify-sample 0";
    std::string out;
    int rc = RunCommand(hook + " " + cmd + " 2>&1", &out);
    const bool killed = testutil::WasKilled(rc);
    if (!killed) EXPECT_EQ(rc, 0) << out;
    if (killed) {
      rc = RunCommand(cmd + " 2>&1", &out);
      EXPECT_EQ(rc, 0) << "the rerun did not finish: " << out;
    }
    auto store = OpenStore(uri, OpenOptions());
    EXPECT_TRUE(store.ok());
    OpenOptions open;
    open.snapshot_dir = kill_dir_;
    auto snapshot = OpenStore("snapshot:" + id_, open);
    EXPECT_TRUE(snapshot.ok());
    if (!store.ok() || !snapshot.ok()) return false;
    EXPECT_TRUE(testutil::SameRecords(**store, **snapshot, {"a", "b"}));
    // The damaged tables are aside with their rows (a: 15, b: 30). Killed
    // after the journal was closed (writing the audit line), the rerun is a
    // rollback of its own and sets the restored tables aside once more:
    // copies of the snapshot (30 rows), never a loss.
    std::map<std::string, std::multiset<int64_t>> asides;
    for (const auto& [name, count] : testutil::Counts(**store)) {
      if (IsRollbackAsideName(name)) asides[name.substr(0, name.rfind("_failed_"))].insert(count);
    }
    EXPECT_EQ(asides.size(), 2u);
    EXPECT_EQ(asides["a"].count(15), 1u);
    EXPECT_EQ(asides["a"].size(), asides["b"].size());
    EXPECT_EQ(asides["b"].count(30), asides["b"].size());
    EXPECT_LE(asides["a"].size(), 2u);
    EXPECT_FALSE(Env::Default()->FileExists(ActiveJournalPath(SnapshotPaths{kill_dir_}, id_)));
    return killed;
  }

  static std::string id_, kill_dir_;
};

std::string PostgresRollbackKillTest::id_;
std::string PostgresRollbackKillTest::kill_dir_;

TEST_F(PostgresRollbackKillTest, KilledAroundEveryStoreMutationThenRerunFinishesExactly) {
  int killed = 0;
  for (int n = 1; n < 100; ++n) {
    SCOPED_TRACE("killed at store event " + std::to_string(n));
    if (!KillThenResume("VECGATE_FAULT_KILL_AFTER_STORE_OPS=" + std::to_string(n))) break;
    ++killed;
    if (HasFailure()) break;
  }
  // 2 renames, 2 creates and 6 adds (pages of 10), each killed before and after.
  EXPECT_GE(killed, 20);
}

TEST_F(PostgresRollbackKillTest, KilledAtJournalAndManifestWritesThenRerunFinishesExactly) {
  int killed = 0;
  for (int n = 1; n < 400; n += 7) {
    SCOPED_TRACE("killed at file-system write " + std::to_string(n));
    if (!KillThenResume("VECGATE_FAULT_KILL_AFTER_WRITES=" + std::to_string(n))) break;
    ++killed;
    if (HasFailure()) break;
  }
  EXPECT_GE(killed, 5);
}

}  // namespace
}  // namespace vecgate
