// The PostgreSQL layouts real libraries write, against a real PostgreSQL
// with pgvector (PGlite). Each test makes the tables by hand with exactly
// the columns the library's own source creates (the source file and
// version are named above each), inserts rows as the library would (its
// ids, its metadata keys), and checks what a user would: the collections
// listed, counts, every record read back, Get, queries filtered to one
// collection, the keys the layout owns, and a snapshot + rollback through
// the vecgate binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>
#include <vector>

#include "core/store.h"
#include "stores/postgres_store.h"
#include "tests/postgres_test_env.h"
#include "tests/test_server.h"

namespace vecgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testutil::PostgresTestServer;
using testutil::RunCommand;
using testutil::TempDir;

std::string Q(const std::string& s) { return "'" + s + "'"; }

// What a user sees of one record.
struct Seen {
  std::optional<std::string> document;
  std::optional<Metadata> metadata;
  std::vector<float> embedding;
  bool operator==(const Seen& o) const {
    return document == o.document && metadata == o.metadata && embedding == o.embedding;
  }
};

std::map<std::string, Seen> ById(const RecordBatch& b) {
  std::map<std::string, Seen> out;
  for (size_t i = 0; i < b.size(); ++i) {
    Seen s{b.document(i), b.metadata(i), {}};
    if (b.has_embedding(i)) s.embedding.assign(b.embedding(i), b.embedding(i) + b.embedding_size(i));
    out[b.id(i)] = std::move(s);
  }
  return out;
}

std::set<std::string> Names(Store& store) {
  std::set<std::string> names;
  auto list = store.ListCollections();
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (list.ok()) {
    for (const auto& c : *list) names.insert(c.name);
  }
  return names;
}

std::string Text(const Metadata& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return "<absent>";
  const std::string* s = std::get_if<std::string>(&it->second);
  return s ? *s : "<not text>";
}

class PostgresLayoutsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = PostgresTestServer::Get().NewSchemaUri("layouts");
    schema_ = base_.substr(base_.find("schema=") + 7);
    Sql("CREATE EXTENSION IF NOT EXISTS vector; CREATE SCHEMA " + schema_);
  }
  void Sql(const std::string& sql) {
    Status s = ExecutePostgres(base_, sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::string Uri(const std::string& params) const { return base_ + "&" + params; }
  std::unique_ptr<Store> Open(const std::string& params) {
    auto store = OpenStore(Uri(params), OpenOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::string T(const std::string& table) const { return schema_ + "." + table; }

  // Every collection's records, by name.
  std::map<std::string, std::map<std::string, Seen>> Everything(Store& store) {
    std::map<std::string, std::map<std::string, Seen>> out;
    for (const std::string& name : Names(store)) {
      auto all = ReadAll(store, name);
      EXPECT_TRUE(all.ok()) << name << ": " << all.status().ToString();
      if (all.ok()) out[name] = ById(*all);
    }
    return out;
  }

  // `vecgate snapshot create`, then `damage`, then `vecgate rollback`: every
  // collection reads as it did before, and the damaged one `damaged` is
  // kept aside with what the damage left of it.
  void SnapshotDamageRollback(const std::string& params, const std::string& damage,
                              const std::string& damaged) {
    auto store = Open(params);
    ASSERT_NE(store, nullptr);
    const auto before = Everything(*store);
    ASSERT_TRUE(before.count(damaged)) << damaged;
    TempDir dir;
    const std::string env = "SNAPSHOT_DIR=" + dir.path() + " ";
    std::string out;
    ASSERT_EQ(RunCommand("(" + env + VECGATE_CLI + " snapshot create --store " + Q(Uri(params)) +
                             " --name layouts 2>/dev/null)",
                         &out),
              0)
        << out;
    std::string id = out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    id = id.substr(id.find_last_of('\n') + 1);
    Sql(damage);
    auto damaged_count = store->Count(damaged);
    ASSERT_TRUE(damaged_count.ok()) << damaged_count.status().ToString();
    ASSERT_LT(*damaged_count, static_cast<int64_t>(before.at(damaged).size()))
        << "the damage must be real for the rollback to prove anything";
    const int64_t left = *damaged_count;
    ASSERT_EQ(RunCommand(env + VECGATE_CLI + " rollback " + id + " --store " + Q(Uri(params)) +
                             " --yes </dev/null",
                         &out),
              0)
        << out;
    auto reopened = Open(params);
    ASSERT_NE(reopened, nullptr);
    auto after = Everything(*reopened);
    // A full rollback sets every collection aside (NAME_failed_STAMP), the
    // aside copies reading with the ids they had.
    std::set<std::string> aside_of;
    for (auto it = after.begin(); it != after.end();) {
      if (!IsRollbackAsideName(it->first)) {
        ++it;
        continue;
      }
      const std::string original = it->first.substr(0, it->first.find("_failed_"));
      ASSERT_TRUE(before.count(original)) << it->first;
      aside_of.insert(original);
      EXPECT_EQ(it->second.size(), original == damaged ? static_cast<size_t>(left)
                                                       : before.at(original).size())
          << it->first;
      for (const auto& [rid, seen] : it->second) {
        EXPECT_TRUE(before.at(original).count(rid)) << it->first << " reads id " << rid;
      }
      it = after.erase(it);
    }
    EXPECT_TRUE(aside_of.count(damaged)) << out;
    EXPECT_TRUE(after == before) << "every collection reads as before the damage";
  }

  std::string base_, schema_;
};

// Python LangChain, langchain_postgres 0.0.17, langchain_postgres/vectorstores.py
// (CollectionStore, EmbeddingStore): the user's id in `id`.
TEST_F(PostgresLayoutsTest, LangchainPostgresCurrentForm) {
  Sql("CREATE TABLE " + T("langchain_pg_collection") +
      " (uuid uuid NOT NULL PRIMARY KEY, name varchar NOT NULL UNIQUE, cmetadata json);"
      "CREATE TABLE " + T("langchain_pg_embedding") +
      " (id varchar NOT NULL PRIMARY KEY, collection_id uuid REFERENCES " +
      T("langchain_pg_collection") + " (uuid) ON DELETE CASCADE, embedding vector(3), "
      "document varchar, cmetadata jsonb);"
      "CREATE INDEX ix_cmetadata_gin ON " + T("langchain_pg_embedding") +
      " USING gin (cmetadata jsonb_path_ops);"
      "INSERT INTO " + T("langchain_pg_collection") + " VALUES "
      "('11111111-1111-4111-8111-111111111111', 'docs', '{\"team\": \"search\"}'),"
      "('22222222-2222-4222-8222-222222222222', 'faq', NULL);"
      "INSERT INTO " + T("langchain_pg_embedding") + " VALUES "
      "('a1', '11111111-1111-4111-8111-111111111111', '[1,0,0]', 'alpha', '{\"source\": \"a.md\", \"page\": 1}'),"
      "('a2', '11111111-1111-4111-8111-111111111111', '[0,1,0]', 'beta', '{\"source\": \"b.md\"}'),"
      "('f1', '22222222-2222-4222-8222-222222222222', '[0.9,0.1,0]', 'faq one', '{}')");
  auto store = Open("layout=langchain");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"docs", "faq"}));
  auto docs = store->GetCollection("docs");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  EXPECT_EQ(Text(docs->metadata, "team"), "search");
  EXPECT_EQ(docs->dimension, 3);
  EXPECT_EQ(docs->space, DistanceSpace::kCosine);
  EXPECT_EQ(*store->Count("docs"), 2);
  EXPECT_EQ(*store->Count("faq"), 1);
  auto all = ReadAll(*store, "docs");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto by_id = ById(*all);
  ASSERT_EQ(by_id.size(), 2u);
  EXPECT_EQ(by_id["a1"].document, "alpha");
  EXPECT_EQ(Text(*by_id["a1"].metadata, "source"), "a.md");
  EXPECT_EQ(by_id["a1"].embedding, (std::vector<float>{1, 0, 0}));
  auto got = store->Get("docs", {"a2", "f1", "zz"}, Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->ids(), (std::vector<std::string>{"a2"})) << "f1 is another collection's";
  // faq's record is the nearest to the query, but not docs'.
  const float q[3] = {0.9f, 0.1f, 0.0f};
  auto hits = store->Query("docs", q, 1, 3, 5);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->ids[0], (std::vector<std::string>{"a1", "a2"}));
  EXPECT_THAT(store->LayoutOwnedKeys().keys, IsEmpty());

  SnapshotDamageRollback("layout=langchain",
                         "DELETE FROM " + T("langchain_pg_embedding") + " WHERE id = 'a2'",
                         "docs");
}

// Python LangChain before langchain_postgres: langchain_community's
// vectorstores/pgvector.py (BaseModel's uuid key, EmbeddingStore with
// custom_id; cmetadata json): the record id is custom_id, else uuid.
TEST_F(PostgresLayoutsTest, LangchainCommunityOlderFormWithCustomId) {
  Sql("CREATE TABLE " + T("langchain_pg_collection") +
      " (name varchar, cmetadata json, uuid uuid NOT NULL PRIMARY KEY);"
      "CREATE TABLE " + T("langchain_pg_embedding") +
      " (collection_id uuid REFERENCES " + T("langchain_pg_collection") +
      " (uuid) ON DELETE CASCADE, embedding vector(3), document varchar, cmetadata json, "
      "custom_id varchar, uuid uuid NOT NULL PRIMARY KEY);"
      "INSERT INTO " + T("langchain_pg_collection") + " VALUES "
      "('notes', '{}', '33333333-3333-4333-8333-333333333333');"
      "INSERT INTO " + T("langchain_pg_embedding") + " VALUES "
      "('33333333-3333-4333-8333-333333333333', '[1,0,0]', 'one', '{\"n\": 1}', 'doc-1', "
      "'aaaaaaaa-0000-4000-8000-000000000001'),"
      "('33333333-3333-4333-8333-333333333333', '[0,1,0]', 'two', '{\"n\": 2}', NULL, "
      "'aaaaaaaa-0000-4000-8000-000000000002'),"
      "('33333333-3333-4333-8333-333333333333', '[0,0,1]', 'three', NULL, 'doc-3', "
      "'aaaaaaaa-0000-4000-8000-000000000003')");
  auto store = Open("layout=langchain");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"notes"}));
  auto all = ReadAll(*store, "notes");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto by_id = ById(*all);
  EXPECT_EQ(by_id.size(), 3u);
  ASSERT_TRUE(by_id.count("doc-1"));
  ASSERT_TRUE(by_id.count("aaaaaaaa-0000-4000-8000-000000000002")) << "no custom_id: the uuid";
  EXPECT_EQ(by_id["doc-1"].document, "one");
  EXPECT_FALSE(by_id["doc-3"].metadata.has_value());
  auto got = store->Get("notes", {"doc-3", "aaaaaaaa-0000-4000-8000-000000000002"}, Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), 2u);
  // vecgate writes as the library does: the id in custom_id.
  RecordBatch more;
  const float e[3] = {0.5f, 0.5f, 0.0f};
  more.Add("doc-4", std::string("four"), Metadata{{"n", int64_t{4}}}, e, 3);
  ASSERT_TRUE(store->Add("notes", more).ok());
  auto four = store->Get("notes", {"doc-4"}, Include());
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(four->ids(), (std::vector<std::string>{"doc-4"}));

  SnapshotDamageRollback("layout=langchain",
                         "DELETE FROM " + T("langchain_pg_embedding") +
                             " WHERE custom_id = 'doc-3' OR custom_id IS NULL",
                         "notes");
}

// LangChain JS, @langchain/community 1.1.27 src/vectorstores/pgvector.ts:
// ensureTableInDatabase, then ensureCollectionTableInDatabase (the
// collection table, its name index, collection_id and its foreign key).
void MakeLangchainJsTables(const std::string& schema, const std::function<void(std::string)>& sql) {
  const std::string docs = schema + ".lc_docs", col = schema + ".langchain_pg_collection";
  sql("CREATE TABLE IF NOT EXISTS " + docs +
      " (\"id\" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, \"text\" text, "
      "\"metadata\" jsonb, \"embedding\" vector(3));"
      "CREATE TABLE IF NOT EXISTS " + col +
      " (uuid uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, name character varying, "
      "cmetadata jsonb);"
      "CREATE INDEX IF NOT EXISTS idx_langchain_pg_collection_name ON " + col + "(name);"
      "ALTER TABLE " + docs + " ADD COLUMN collection_id uuid;"
      "ALTER TABLE " + docs + " ADD CONSTRAINT lc_docs_collection_id_fkey FOREIGN KEY "
      "(collection_id) REFERENCES " + col + "(uuid) ON DELETE CASCADE;"
      // getOrCreateCollection and addVectors (ids given by the application).
      "INSERT INTO " + col + " (uuid, name, cmetadata) VALUES "
      "('44444444-4444-4444-8444-444444444444', 'kb', '{\"owner\": \"js\"}'),"
      "('55555555-5555-4555-8555-555555555555', 'chat', NULL);"
      "INSERT INTO " + docs + " (\"text\", \"embedding\", \"metadata\", \"collection_id\", \"id\") VALUES "
      "('first', '[1,0,0]', '{\"loc\": {\"lines\": {\"from\": 1, \"to\": 3}}}', "
      "'44444444-4444-4444-8444-444444444444', 'bbbbbbbb-0000-4000-8000-000000000001'),"
      "('second', '[0,1,0]', '{\"source\": \"x\"}', '44444444-4444-4444-8444-444444444444', "
      "'bbbbbbbb-0000-4000-8000-000000000002'),"
      "('hello', '[0.9,0.1,0]', '{}', '55555555-5555-4555-8555-555555555555', "
      "'bbbbbbbb-0000-4000-8000-000000000003')");
}

TEST_F(PostgresLayoutsTest, LangchainJsWithCollectionTable) {
  MakeLangchainJsTables(schema_, [this](const std::string& s) { Sql(s); });
  auto store = Open("layout=langchain-js");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"chat", "kb"}));
  EXPECT_EQ(*store->Count("kb"), 2);
  auto kb = store->GetCollection("kb");
  ASSERT_TRUE(kb.ok());
  EXPECT_EQ(Text(kb->metadata, "owner"), "js");
  auto all = ReadAll(*store, "kb");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto by_id = ById(*all);
  ASSERT_EQ(by_id.size(), 2u);
  const std::string first = "bbbbbbbb-0000-4000-8000-000000000001";
  EXPECT_EQ(by_id[first].document, "first");
  EXPECT_THAT(Text(*by_id[first].metadata, "loc"), HasSubstr("\"from\""))
      << "a nested value is kept as its JSON text";
  auto got = store->Get("kb", {first, "bbbbbbbb-0000-4000-8000-000000000003", "not-a-uuid"},
                        Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->ids(), (std::vector<std::string>{first}));
  const float q[3] = {0.9f, 0.1f, 0.0f};
  auto hits = store->Query("kb", q, 1, 3, 5);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->ids[0].size(), 2u) << "chat's record is not kb's";
  EXPECT_EQ(hits->ids[0][0], first);
  // The id column is uuid: another id is refused before anything is written.
  RecordBatch bad;
  const float e[3] = {0, 0, 1};
  bad.Add("rec-1", std::string("x"), std::nullopt, e, 3);
  Status s = store->Add("kb", bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("not a UUID"));
  EXPECT_EQ(*store->Count("kb"), 2);

  SnapshotDamageRollback("layout=langchain-js",
                         "DELETE FROM " + T("lc_docs") + " WHERE \"text\" = 'second'", "kb");
}

// Python LlamaIndex, llama-index-vector-stores-postgres
// llama_index/vector_stores/postgres/base.py (get_data_model, use_jsonb
// False; _create_hnsw_index with vector_cosine_ops): table data_NAME; the
// metadata node_to_metadata_dict writes.
TEST_F(PostgresLayoutsTest, LlamaIndexDataTables) {
  Sql("CREATE TABLE " + T("data_essays") +
      " (id BIGSERIAL NOT NULL, text VARCHAR NOT NULL, metadata_ JSON, node_id VARCHAR, "
      "embedding VECTOR(3), PRIMARY KEY (id));"
      "CREATE INDEX IF NOT EXISTS data_essays_embedding_idx ON " + T("data_essays") +
      " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);"
      "CREATE TABLE " + T("data_other") +
      " (id BIGSERIAL NOT NULL, text VARCHAR NOT NULL, metadata_ JSON, node_id VARCHAR, "
      "embedding VECTOR(3), PRIMARY KEY (id));"
      "CREATE TABLE " + T("unrelated") + " (id int PRIMARY KEY, note text);"
      "INSERT INTO " + T("data_essays") + " (text, metadata_, node_id, embedding) VALUES "
      "('essay one', '{\"author\": \"pg\", \"_node_content\": \"x\", \"_node_type\": \"TextNode\", \"document_id\": \"d1\", \"doc_id\": \"d1\", "
      "\"ref_doc_id\": \"d1\"}', 'c0a80101-0000-4000-8000-00000000000a', '[1,0,0]'),"
      "('essay two', '{\"author\": \"rms\", \"_node_content\": \"y\", \"_node_type\": "
      "\"TextNode\", \"document_id\": \"d2\", \"doc_id\": \"d2\", \"ref_doc_id\": \"d2\"}', "
      "'c0a80101-0000-4000-8000-00000000000b', '[0,1,0]');"
      "INSERT INTO " + T("data_other") + " (text, metadata_, node_id, embedding) VALUES "
      "('other', '{}', 'o1', '[0.9,0.1,0]')");
  auto store = Open("layout=llamaindex");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"essays", "other"}));
  auto info = store->GetCollection("essays");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->space, DistanceSpace::kCosine);
  EXPECT_THAT(info->configuration_json, HasSubstr("\"ann_index\":\"hnsw\""));
  EXPECT_EQ(*store->Count("essays"), 2);
  auto all = ReadAll(*store, "essays");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto by_id = ById(*all);
  const std::string a = "c0a80101-0000-4000-8000-00000000000a";
  ASSERT_TRUE(by_id.count(a)) << "the record id is node_id";
  EXPECT_EQ(by_id[a].document, "essay one");
  EXPECT_EQ(Text(*by_id[a].metadata, "author"), "pg");
  EXPECT_EQ(Text(*by_id[a].metadata, "_node_content"), "x") << "kept for a restore";
  EXPECT_EQ(by_id[a].embedding, (std::vector<float>{1, 0, 0}));
  auto got = store->Get("essays", {a, "o1"}, Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->ids(), (std::vector<std::string>{a}));
  const float q[3] = {0.9f, 0.1f, 0.0f};
  auto hits = store->Query("essays", q, 1, 3, 1);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->ids[0], (std::vector<std::string>{a}));
  const Store::OwnedKeys owned = store->LayoutOwnedKeys();
  EXPECT_EQ(owned.layout, "llamaindex");
  EXPECT_EQ(std::set<std::string>(owned.keys.begin(), owned.keys.end()),
            (std::set<std::string>{"_node_content", "_node_type", "doc_id", "document_id",
                                   "ref_doc_id"}));
  // text is NOT NULL: a record without a document is refused, nothing added.
  RecordBatch bad;
  const float e[3] = {0, 0, 1};
  bad.Add("n9", std::nullopt, std::nullopt, e, 3);
  EXPECT_THAT(store->Add("essays", bad).message(), HasSubstr("NOT NULL"));

  SnapshotDamageRollback("layout=llamaindex",
                         "DELETE FROM " + T("data_essays") + " WHERE text = 'essay two'",
                         "essays");
  // The restored table is LlamaIndex's again: its id draws from a sequence.
  auto again = Open("layout=llamaindex");
  RecordBatch more;
  more.Add("n3", std::string("essay three"), std::nullopt, e, 3);
  EXPECT_TRUE(again->Add("essays", more).ok());
}

// LlamaIndex TS, @llamaindex/postgres 0.0.65 src/PGVectorStore.ts
// (checkSchema, getDataToInsert): one table, a collection per `collection`
// value, the node id in `id`, '' in external_id, create_date stamped.
TEST_F(PostgresLayoutsTest, LlamaIndexTsCollectionsInOneTable) {
  Sql("CREATE TABLE IF NOT EXISTS " + T("llamaindex_embedding") +
      "( id uuid DEFAULT gen_random_uuid() PRIMARY KEY, external_id VARCHAR, collection VARCHAR, "
      "document TEXT, metadata JSONB DEFAULT '{}', embeddings VECTOR(3));"
      "CREATE INDEX IF NOT EXISTS idx_llamaindex_embedding_external_id ON " +
      T("llamaindex_embedding") + " (external_id);"
      "CREATE INDEX IF NOT EXISTS idx_llamaindex_embedding_collection ON " +
      T("llamaindex_embedding") + " (collection);"
      "INSERT INTO " + T("llamaindex_embedding") +
      " (id, external_id, collection, document, metadata, embeddings) VALUES "
      "('cccccccc-0000-4000-8000-000000000001', '', 'data', 'uno', "
      "'{\"file\": \"a.txt\", \"create_date\": \"2025-01-02T03:04:05.678Z\"}', '[1,0,0]'),"
      "('cccccccc-0000-4000-8000-000000000002', '', 'data', 'dos', "
      "'{\"file\": \"b.txt\", \"create_date\": \"2025-01-02T03:04:05.678Z\"}', '[0,1,0]'),"
      "('cccccccc-0000-4000-8000-000000000003', '', 'notes', 'tres', "
      "'{\"create_date\": \"2025-01-02T03:04:05.678Z\"}', '[0.9,0.1,0]'),"
      "('cccccccc-0000-4000-8000-000000000004', '', '', 'nobody''s', '{}', '[0,0,1]')");
  auto store = Open("layout=llamaindex-ts");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"data", "notes"}))
      << "a row without a collection belongs to none";
  EXPECT_EQ(*store->Count("data"), 2);
  EXPECT_EQ(*store->Count("notes"), 1);
  auto all = ReadAll(*store, "data");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  auto by_id = ById(*all);
  const std::string one = "cccccccc-0000-4000-8000-000000000001";
  ASSERT_TRUE(by_id.count(one));
  EXPECT_EQ(by_id[one].document, "uno");
  EXPECT_EQ(Text(*by_id[one].metadata, "file"), "a.txt");
  EXPECT_EQ(Text(*by_id[one].metadata, "create_date"), "2025-01-02T03:04:05.678Z");
  auto got = store->Get("data", {one, "cccccccc-0000-4000-8000-000000000003"}, Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->ids(), (std::vector<std::string>{one}));
  const float q[3] = {0.9f, 0.1f, 0.0f};
  auto hits = store->Query("data", q, 1, 3, 10);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->ids[0].size(), 2u) << "only data's rows, fewer than k, not padded";
  EXPECT_EQ(hits->ids[0][0], one);
  const Store::OwnedKeys owned = store->LayoutOwnedKeys();
  EXPECT_EQ(owned.layout, "llamaindex-ts");
  EXPECT_THAT(owned.keys, ElementsAre("create_date"));

  SnapshotDamageRollback("layout=llamaindex-ts",
                         "DELETE FROM " + T("llamaindex_embedding") + " WHERE document = 'dos'",
                         "data");
}

// layout=tables recognises the per-table forms: LangChain JS without a
// collection table (pgvector.ts ensureTableInDatabase), langchain_postgres's
// PGVectorStore (v2/engine.py _ainit_vectorstore_table, defaults) and
// Supabase vecs (src/vecs/collection.py build_table, 0.4.5).
TEST_F(PostgresLayoutsTest, TablesReadsLibraryPerTableForms) {
  Sql("CREATE TABLE " + T("js_docs") +
      " (\"id\" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY, \"text\" text, "
      "\"metadata\" jsonb, \"embedding\" vector(3));"
      "CREATE TABLE " + T("v2_docs") +
      " (\"langchain_id\" UUID PRIMARY KEY, \"content\" TEXT NOT NULL, \"embedding\" vector(3) "
      "NOT NULL, \"langchain_metadata\" JSON);"
      "CREATE TABLE " + T("vecs_docs") +
      " (id VARCHAR NOT NULL, vec vector(3) NOT NULL, metadata JSONB DEFAULT '{}'::jsonb NOT "
      "NULL, PRIMARY KEY (id));"
      "INSERT INTO " + T("js_docs") + " VALUES ('dddddddd-0000-4000-8000-000000000001', 'js', "
      "'{\"k\": 1}', '[1,0,0]');"
      "INSERT INTO " + T("v2_docs") + " VALUES ('dddddddd-0000-4000-8000-000000000002', 'v2', "
      "'[0,1,0]', '{\"k\": 2}');"
      "INSERT INTO " + T("vecs_docs") + " VALUES ('vec-1', '[0,0,1]', '{\"k\": 3}')");
  auto store = Open("layout=tables");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"js_docs", "v2_docs", "vecs_docs"}));
  const std::map<std::string, std::pair<std::string, std::optional<std::string>>> want = {
      {"js_docs", {"dddddddd-0000-4000-8000-000000000001", "js"}},
      {"v2_docs", {"dddddddd-0000-4000-8000-000000000002", "v2"}},
      {"vecs_docs", {"vec-1", std::nullopt}}};
  int64_t k = 1;
  for (const auto& [table, record] : want) {
    auto all = ReadAll(*store, table);
    ASSERT_TRUE(all.ok()) << table << ": " << all.status().ToString();
    ASSERT_EQ(all->size(), 1u) << table;
    EXPECT_EQ(all->id(0), record.first) << table;
    EXPECT_EQ(all->document(0), record.second) << table;
    ASSERT_TRUE(all->metadata(0).has_value()) << table;
    EXPECT_EQ(all->metadata(0)->at("k"), MetadataValue(k++)) << table;
  }
}

// collection=COLUMN: a table of the application's own holding several
// collections by a column; an empty collection is kept in the comment.
TEST_F(PostgresLayoutsTest, CollectionColumnSplitsATable) {
  Sql("CREATE TABLE " + T("chunks") +
      " (id text PRIMARY KEY, tenant text, body text, metadata jsonb, embedding vector(3));"
      "INSERT INTO " + T("chunks") + " VALUES "
      "('1', 'acme', 'a', '{}', '[1,0,0]'), ('2', 'acme', 'b', NULL, '[0,1,0]'),"
      "('3', 'globex', 'c', '{\"x\": true}', '[0.9,0.1,0]')");
  auto store = Open("collection=tenant");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Names(*store), (std::set<std::string>{"acme", "globex"}));
  EXPECT_EQ(*store->Count("acme"), 2);
  const float q[3] = {0.9f, 0.1f, 0.0f};
  auto hits = store->Query("acme", q, 1, 3, 3);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  EXPECT_EQ(hits->ids[0], (std::vector<std::string>{"1", "2"}));
  CollectionInfo initech;
  initech.name = "initech";
  initech.metadata["plan"] = std::string("gold");
  ASSERT_TRUE(store->CreateCollection(initech).ok());
  EXPECT_EQ(Names(*store), (std::set<std::string>{"acme", "globex", "initech"}));
  EXPECT_EQ(*store->Count("initech"), 0);
  EXPECT_EQ(store->CreateCollection(initech).code(), StatusCode::kAlreadyExists);
  ASSERT_TRUE(store->RenameCollection("globex", "umbrella").ok());
  EXPECT_EQ(Names(*store), (std::set<std::string>{"acme", "initech", "umbrella"}));
  EXPECT_EQ(*store->Count("umbrella"), 1);
  ASSERT_TRUE(store->DeleteCollection("acme").ok());
  EXPECT_EQ(Names(*store), (std::set<std::string>{"initech", "umbrella"}));
  auto initech_info = store->GetCollection("initech");
  ASSERT_TRUE(initech_info.ok());
  EXPECT_EQ(Text(initech_info->metadata, "plan"), "gold");
}

// A rollback restores a collection from a snapshot of the same store and
// layout: a snapshot taken in layout=tables, rolled back into a store read
// as layout=langchain, would land in tables the application never reads.
TEST_F(PostgresLayoutsTest, ASnapshotOfAnotherLayoutIsRefusedBeforeAnythingChanges) {
  auto tables = Open("layout=tables");
  ASSERT_NE(tables, nullptr);
  CollectionInfo info;
  info.name = "docs";
  info.dimension = 3;
  ASSERT_TRUE(tables->CreateCollection(info).ok());
  auto snapshotted = tables->GetCollection("docs");
  ASSERT_TRUE(snapshotted.ok()) << snapshotted.status().ToString();
  EXPECT_TRUE(tables->CheckRestorable(*snapshotted).ok());

  auto langchain = Open("layout=langchain");
  ASSERT_NE(langchain, nullptr);
  Status refused = langchain->CheckRestorable(*snapshotted);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition) << refused.ToString();
  EXPECT_THAT(refused.message(), ::testing::HasSubstr("snapshotted from layout=tables"));
  EXPECT_THAT(refused.message(), ::testing::HasSubstr("layout=langchain"));
}

TEST(PostgresLayoutUriTest, LayoutsAndTheirParameters) {
  auto parsed = ParsePostgresUri(
      "postgresql://app@db:5432/v?layout=langchain-js&table=docs&collection_table=cols");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->layout, PostgresLayout::kLangchainJs);
  EXPECT_EQ(parsed->table, "docs");
  EXPECT_EQ(parsed->collection_table, "cols");
  EXPECT_EQ(parsed->ToString(),
            "postgresql://app@db:5432/v?schema=public&layout=langchain-js&table=docs&"
            "collection_table=cols");
  for (const char* layout : {"tables", "langchain", "langchain-js", "llamaindex", "llamaindex-ts"}) {
    auto p = ParsePostgresUri(std::string("postgresql://db/v?layout=") + layout);
    ASSERT_TRUE(p.ok()) << layout;
    EXPECT_STREQ(PostgresLayoutName(p->layout), layout);
  }
  EXPECT_FALSE(ParsePostgresUri("postgresql://db/v?layout=llamaindex&collection=x").ok());
  EXPECT_FALSE(ParsePostgresUri("postgresql://db/v?layout=langchain&table=x").ok());
  EXPECT_FALSE(ParsePostgresUri("postgresql://db/v?layout=llamaindex&id=x").ok());
  EXPECT_TRUE(ParsePostgresUri("postgresql://db/v?collection=tenant&table=chunks").ok());
}

}  // namespace
}  // namespace vecgate
