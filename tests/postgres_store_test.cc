// The postgresql:// adapter against a real PostgreSQL with pgvector (PGlite):
// tables made by hand the way users make them, the catalog facts vecgate
// reads from them, and bad input ending in clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <set>
#include <vector>

#include "core/store.h"
#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/postgres_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::PostgresTestServer;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uri_ = PostgresTestServer::Get().NewSchemaUri("pgtest");
    schema_ = uri_.substr(uri_.find("schema=") + 7);
    Sql("CREATE EXTENSION IF NOT EXISTS vector; CREATE SCHEMA " + schema_);
  }
  void Sql(const std::string& sql) {
    Status s = ExecutePostgres(uri_, sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  std::unique_ptr<Store> Open(const std::string& extra = "") {
    auto store = OpenStore(uri_ + extra, OpenOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::string T(const std::string& table) const { return schema_ + "." + table; }

  std::string uri_;
  std::string schema_;
};

TEST(PostgresUriTest, PasswordInTheUriIsRefusedWithoutEchoingIt) {
  for (const std::string uri : {"postgresql://app:s3cr3tpw@localhost:5432/db",
                                "postgres://localhost/db?password=s3cr3tpw"}) {
    auto parsed = ParsePostgresUri(uri);
    ASSERT_FALSE(parsed.ok()) << uri;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("PGPASSWORD"));
    EXPECT_THAT(parsed.status().message(), Not(HasSubstr("s3cr3tpw")));
  }
}

TEST(PostgresUriTest, ParsesParametersAndPassesLibpqOnesThrough) {
  auto parsed = ParsePostgresUri(
      "postgresql://app@db.example:6543/vectors?schema=rag&layout=langchain&sslmode=require");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->user, "app");
  EXPECT_EQ(parsed->host, "db.example");
  EXPECT_EQ(parsed->port, 6543);
  EXPECT_EQ(parsed->database, "vectors");
  EXPECT_EQ(parsed->schema, "rag");
  EXPECT_EQ(parsed->layout, PostgresLayout::kLangchain);
  ASSERT_EQ(parsed->libpq_params.size(), 1u);
  EXPECT_EQ(parsed->libpq_params[0].first, "sslmode");
  EXPECT_EQ(parsed->ToString(),
            "postgresql://app@db.example:6543/vectors?schema=rag&layout=langchain&sslmode=require");
  EXPECT_FALSE(ParsePostgresUri("postgresql://localhost/db?layout=graph").ok());
  EXPECT_FALSE(ParsePostgresUri("postgresql://localhost").ok());
  EXPECT_FALSE(ParsePostgresUri("postgresql://localhost:99999/db").ok());
}

TEST(PostgresConnectTest, NoServerIsUnavailableAndSaysWhere) {
  // A port nothing listens on: the one a stopped private server had.
  testutil::TempDir dir;
  testutil::ServerProcess server("pglite");
  std::string error;
  ASSERT_TRUE(server.Start(dir.path() + "/data", &error)) << error;
  const int port = server.port();
  server.Stop();
  ::setenv("PGPASSWORD", "pw-that-must-not-show", 1);
  auto store = OpenStore("postgresql://app@127.0.0.1:" + std::to_string(port) + "/db",
                         OpenOptions());
  ::unsetenv("PGPASSWORD");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("127.0.0.1:" + std::to_string(port)));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("pw-that-must-not-show")));
}

TEST_F(PostgresStoreTest, HandMadeTableIsACollectionWithTypesFromTheCatalog) {
  Sql("CREATE TABLE " + T("docs") +
      " (doc_id integer PRIMARY KEY, content text, meta jsonb, emb vector(3));"
      "CREATE INDEX docs_emb_idx ON " + T("docs") + " USING hnsw (emb vector_ip_ops);"
      "INSERT INTO " + T("docs") + " VALUES "
      "(2, 'two', '{\"n\": 2, \"f\": 2.0, \"e\": 25e-2, \"big\": 1e3, \"s\": \"x\", \"b\": true, \"z\": null, "
      "\"arr\": [1, 2]}', '[0.5, 0.25, 1]'),"
      "(10, 'ten', NULL, '[1, 0, 0]'), (1, NULL, '{}', NULL);"
      "CREATE TABLE " + T("notes") + " (id text PRIMARY KEY, body text)");
  auto store = Open();
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u) << "a table without an embedding column is not a collection";
  const CollectionInfo& info = (*list)[0];
  EXPECT_EQ(info.name, "docs");
  EXPECT_EQ(info.dimension, 3);
  EXPECT_EQ(info.space, DistanceSpace::kIp) << "from the index's vector_ip_ops";
  EXPECT_THAT(info.configuration_json, HasSubstr("\"ann_index\":\"hnsw\""));
  EXPECT_THAT(info.configuration_json, HasSubstr("USING hnsw (emb vector_ip_ops)"));

  auto all = ReadAll(*store, "docs");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  // Integer ids in numeric order, read as strings.
  EXPECT_EQ(all->ids(), (std::vector<std::string>{"1", "2", "10"}));
  EXPECT_FALSE(all->document(0).has_value());
  EXPECT_FALSE(all->has_embedding(0));
  EXPECT_EQ(all->document(1), "two");
  const Metadata& m = *all->metadata(1);
  EXPECT_EQ(m.at("n"), MetadataValue(int64_t{2}));
  EXPECT_EQ(m.at("f"), MetadataValue(2.0));
  EXPECT_EQ(m.at("e"), MetadataValue(0.25));
  // jsonb keeps numbers as numeric: 1e3 is stored as 1000, a whole number.
  EXPECT_EQ(m.at("big"), MetadataValue(int64_t{1000}));
  EXPECT_EQ(m.at("s"), MetadataValue(std::string("x")));
  EXPECT_EQ(m.at("b"), MetadataValue(true));
  EXPECT_EQ(m.at("z"), MetadataValue());
  // A jsonb list of scalars is a metadata list (Chroma 1.5's arrays).
  EXPECT_EQ(m.at("arr"), MetadataValue(MetadataArray{int64_t{1}, int64_t{2}}));
  ASSERT_EQ(all->embedding_size(1), 3u);
  EXPECT_EQ(all->embedding(1)[0], 0.5f);
  EXPECT_FALSE(all->metadata(2).has_value());

  auto got = store->Get("docs", {"10", "not-a-number", "99"}, Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->id(0), "10");

  // Inner product: vecgate's distance is 1 - dot.
  float q[3] = {1, 0, 0};
  auto result = store->Query("docs", q, 1, 3, 2);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->ids[0].size(), 2u);
  EXPECT_EQ(result->ids[0][0], "10");
  EXPECT_NEAR(result->distances[0][0], 0.0, 1e-6);
  EXPECT_NEAR(result->distances[0][1], 0.5, 1e-6);
}

TEST_F(PostgresStoreTest, HalfvecAndArrayColumnsAreReadAsFloat32) {
  Sql("CREATE TABLE " + T("half") + " (id uuid PRIMARY KEY, embedding halfvec(2));"
      "INSERT INTO " + T("half") + " VALUES ('00000000-0000-0000-0000-000000000001', '[0.1, 2]');"
      "CREATE TABLE " + T("arr") + " (id text PRIMARY KEY, embedding double precision[]);"
      "INSERT INTO " + T("arr") + " VALUES ('a', '{0.1, 3}'), ('b', '{1, 1}')");
  auto store = Open();
  auto half = ReadAll(*store, "half");
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  ASSERT_EQ(half->embedding_size(0), 2u);
  // 0.1 as a half is 0.0999755859375, exactly a float too.
  EXPECT_EQ(half->embedding(0)[0], 0.0999755859375f);
  auto arr = ReadAll(*store, "arr");
  ASSERT_TRUE(arr.ok()) << arr.status().ToString();
  EXPECT_EQ(arr->embedding(0)[0], 0.1f);
  auto info = store->GetCollection("arr");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->dimension, 2);
  EXPECT_THAT(info->configuration_json, HasSubstr("\"ann_index\":null"));
  // No index: the query is an exact scan, and still right.
  float q[2] = {1, 1};
  auto result = store->Query("arr", q, 1, 2, 1);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->ids[0][0], "b");
}

TEST_F(PostgresStoreTest, ArrayNullsReadAsNaNAndGridsAreRefusedNamingTheRecord) {
  Sql("CREATE TABLE " + T("holes") + " (id text PRIMARY KEY, embedding real[]);"
      "INSERT INTO " + T("holes") + " VALUES ('a', '{1, NULL, 3}');"
      "CREATE TABLE " + T("grid") + " (id text PRIMARY KEY, embedding real[]);"
      "INSERT INTO " + T("grid") + " VALUES ('g', '{{1, 2}, {3, 4}}')");
  auto store = Open();
  auto holes = ReadAll(*store, "holes");
  ASSERT_TRUE(holes.ok()) << holes.status().ToString();
  ASSERT_EQ(holes->embedding_size(0), 3u);
  EXPECT_EQ(holes->embedding(0)[0], 1.0f);
  EXPECT_TRUE(std::isnan(holes->embedding(0)[1]));
  EXPECT_EQ(holes->embedding(0)[2], 3.0f);
  auto grid = ReadAll(*store, "grid");
  ASSERT_FALSE(grid.ok());
  EXPECT_EQ(grid.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(grid.status().message(), HasSubstr("'g'"));
  EXPECT_THAT(grid.status().message(), HasSubstr("one-dimensional list of numbers"));
}

TEST_F(PostgresStoreTest, ManyQueriesAtOnceAreEachAnsweredNearestFirst) {
  // 250 points on a line under an HNSW index; 230 queries, more than one
  // statement's batch, each a quarter step past a point.
  Sql("CREATE TABLE " + T("line") + " (id text PRIMARY KEY, embedding vector(2));"
      "INSERT INTO " + T("line") + " SELECT 'p' || i, ('[' || i || ', 1]')::vector "
      "FROM generate_series(0, 249) AS i;"
      "CREATE INDEX ON " + T("line") + " USING hnsw (embedding vector_l2_ops)");
  auto store = Open();
  constexpr size_t kQueries = 230;
  std::vector<float> queries;
  for (size_t j = 0; j < kQueries; ++j) {
    queries.push_back(static_cast<float>(j) + 0.25f);
    queries.push_back(1.0f);
  }
  auto result = store->Query("line", queries.data(), kQueries, 2, 3);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->ids.size(), kQueries);
  ASSERT_EQ(result->distances.size(), kQueries);
  for (size_t j = 0; j < kQueries; ++j) {
    const std::string p = "p" + std::to_string(j);
    const std::string next = "p" + std::to_string(j + 1);
    const std::string third = j == 0 ? "p2" : "p" + std::to_string(j - 1);
    EXPECT_EQ(result->ids[j], (std::vector<std::string>{p, next, third})) << "query " << j;
    ASSERT_EQ(result->distances[j].size(), 3u);
    EXPECT_LT(result->distances[j][0], result->distances[j][1]) << "query " << j;
    EXPECT_LT(result->distances[j][1], result->distances[j][2]) << "query " << j;
  }
}

TEST_F(PostgresStoreTest, TablesThatAreNotCollectionsSayWhy) {
  Sql("CREATE TABLE " + T("plain") + " (id text PRIMARY KEY, body text);"
      "CREATE TABLE " + T("twice") + " (id text PRIMARY KEY, a vector(2), b vector(2));"
      "CREATE TABLE " + T("nokey") + " (name text, embedding vector(2))");
  auto store = Open();
  auto unknown = store->GetCollection("no_such_table");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("no_such_table"));
  EXPECT_THAT(unknown.status().message(), HasSubstr(schema_));

  auto plain = store->Count("plain");
  ASSERT_FALSE(plain.ok());
  EXPECT_THAT(plain.status().message(), HasSubstr("has no embedding column"));

  auto twice = store->GetCollection("twice");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.status().message(), HasSubstr("2 embedding columns (a, b)"));
  EXPECT_THAT(twice.status().message(), HasSubstr("?embedding="));
  // Naming the column makes it a collection.
  auto chosen = Open("&embedding=b");
  auto b = chosen->GetCollection("twice");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->dimension, 2);

  Status s = store->Scan("nokey", ScanOptions(), [](RecordBatch&) { return Status::Ok(); });
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("no single-column primary key"));
  EXPECT_THAT(s.message(), HasSubstr("?id="));
}

TEST_F(PostgresStoreTest, NaNIsRefusedByVectorColumnsNamingTheRecord) {
  auto store = Open();
  CollectionInfo info;
  info.name = "nan_coll";
  info.dimension = 2;
  ASSERT_TRUE(store->CreateCollection(info).ok());
  RecordBatch batch;
  float good[2] = {1, 2}, bad[2] = {NAN, 1};
  batch.Add("fine", std::nullopt, std::nullopt, good, 2);
  batch.Add("broken", std::nullopt, std::nullopt, bad, 2);
  Status s = store->Add("nan_coll", batch);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'broken'"));
  EXPECT_EQ(*store->Count("nan_coll"), 0);
}

TEST_F(PostgresStoreTest, RenameMovesTheIndexesAndCreateReplaysThem) {
  auto store = Open();
  CollectionInfo info;
  info.name = "moving";
  info.space = DistanceSpace::kCosine;
  info.dimension = 4;
  ASSERT_TRUE(store->CreateCollection(info).ok());
  auto created = store->GetCollection("moving");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->space, DistanceSpace::kCosine);
  EXPECT_THAT(created->configuration_json, HasSubstr("moving_embedding_idx"));
  Sql("CREATE INDEX moving_doc_idx ON " + T("moving") + " (document)");
  created = store->GetCollection("moving");
  ASSERT_TRUE(created.ok());

  ASSERT_TRUE(store->RenameCollection("moving", "moving_failed_20260101000000").ok());
  auto aside = store->GetCollection("moving_failed_20260101000000");
  ASSERT_TRUE(aside.ok());
  EXPECT_THAT(aside->configuration_json,
              HasSubstr("moving_failed_20260101000000_embedding_idx"));
  EXPECT_THAT(aside->configuration_json, HasSubstr("moving_failed_20260101000000_doc_idx"));

  // A snapshot restore recreates the table from the recorded configuration.
  ASSERT_TRUE(store->CreateCollection(*created).ok());
  auto restored = store->GetCollection("moving");
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->configuration_json, created->configuration_json);
}

TEST(PostgresServerGoneTest, ScanFailsClearlyWhenTheServerStopsMidway) {
  testutil::TempDir dir;
  testutil::ServerProcess server("pglite");
  std::string error;
  ASSERT_TRUE(server.Start(dir.path() + "/data", &error)) << error;
  const std::string uri = "postgresql://postgres@127.0.0.1:" + std::to_string(server.port()) +
                          "/postgres?schema=gone";
  auto opened = OpenStore(uri, OpenOptions());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  CollectionInfo info;
  info.name = "big";
  info.dimension = 4;
  ASSERT_TRUE(store.CreateCollection(info).ok());
  RecordBatch batch;
  float e[4] = {1, 2, 3, 4};
  for (int i = 0; i < 100; ++i) batch.Add("r" + std::to_string(1000 + i), std::nullopt, std::nullopt, e, 4);
  ASSERT_TRUE(store.Add("big", batch).ok());
  ScanOptions options;
  options.page_size = 10;
  int pages = 0;
  Status s = store.Scan("big", options, [&](RecordBatch&) {
    if (++pages == 2) server.Stop();
    return Status::Ok();
  });
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("scanning collection 'big' after id 'r1019'"));
  EXPECT_THAT(s.message(), HasSubstr("connection"));
}

}  // namespace
}  // namespace vecgate
