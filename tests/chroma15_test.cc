// What vecgate does against a current Chroma (the PyPI `chromadb` 1.5
// server, Chroma15TestServer), where it differs from the pinned 1.0: metadata
// lists are stored and read back, NaN and infinite embeddings are refused on
// add (AddAccepted names them and adds the rest), and keys starting with '#'
// or '$' are refused (found before anything is written). The list faults go
// through the gate here too. Each test skips, saying why, when no 1.5 server
// can be had.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "stores/chroma_store.h"
#include "tests/chroma_test_env.h"
#include "tests/gate_test_util.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::Chroma15TestServer;

#define REQUIRE_CHROMA15()                                          \
  Chroma15TestServer* server = Chroma15TestServer::GetOrNull();    \
  if (server == nullptr) GTEST_SKIP() << Chroma15TestServer::Missing()

CollectionInfo Info(const std::string& name) {
  CollectionInfo info;
  info.name = name;
  info.space = DistanceSpace::kL2;
  info.configuration_json = R"({"hnsw":{"space":"l2"}})";
  return info;
}

RecordBatch ScanAll(Store& store, const std::string& collection) {
  RecordBatch all;
  ScanOptions scan;
  scan.page_size = 7;
  Status s = store.Scan(collection, scan, [&](RecordBatch& page) {
    for (size_t i = 0; i < page.size(); ++i) all.AddFrom(page, i);
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return all;
}

TEST(Chroma15Test, ListsRoundTripThroughAddAndScan) {
  REQUIRE_CHROMA15();
  auto store = server->NewDatabase("lists");
  ASSERT_TRUE(store->CreateCollection(Info("lists")).ok());
  RecordBatch batch;
  const float v[2] = {0.5f, 0.25f};
  const std::vector<Metadata> metadatas = {
      {{"tags", MetadataArray{std::string("a"), std::string("b")}}, {"n", int64_t{1}}},
      {{"pages", MetadataArray{int64_t{1}, int64_t{-7}}}},
      {{"scores", MetadataArray{0.5, 1e-300}}},
      {{"flags", MetadataArray{true, false, true}}},
  };
  for (size_t i = 0; i < metadatas.size(); ++i) {
    batch.Add("r" + std::to_string(i), "doc", metadatas[i], v, 2);
  }
  ASSERT_TRUE(store->Add("lists", batch).ok());
  RecordBatch back = ScanAll(*store, "lists");
  ASSERT_EQ(back.size(), metadatas.size());
  for (size_t i = 0; i < back.size(); ++i) {
    EXPECT_EQ(back.id(i), "r" + std::to_string(i));
    ASSERT_TRUE(back.metadata(i).has_value());
    EXPECT_EQ(*back.metadata(i), metadatas[i]) << back.id(i);
  }
}

// Chroma 1.5 keeps a list of ints and doubles as doubles: [1, 2.5] comes
// back [1.0, 2.5], which content takes as unchanged (numbers by value).
TEST(Chroma15Test, AListOfIntsAndDoublesComesBackAsDoubles) {
  REQUIRE_CHROMA15();
  auto store = server->NewDatabase("mixed_numbers");
  ASSERT_TRUE(store->CreateCollection(Info("nums")).ok());
  RecordBatch batch;
  const float v[2] = {0.5f, 0.25f};
  batch.Add("r", std::nullopt, Metadata{{"x", MetadataArray{int64_t{1}, 2.5}}}, v, 2);
  ASSERT_TRUE(store->Add("nums", batch).ok());
  RecordBatch back = ScanAll(*store, "nums");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.metadata(0)->at("x"), MetadataValue(MetadataArray{1.0, 2.5}));
}

// Since 1.1.0 Chroma refuses keys that are empty or start with '#' or '$';
// it cannot hold nested values, drops an empty list and refuses a list of
// mixed kinds. All of it is found before the first request, every record
// named.
TEST(Chroma15Test, MetadataChromaRefusesIsFoundBeforeAnythingIsWritten) {
  REQUIRE_CHROMA15();
  auto store = server->NewDatabase("reserved_keys");
  ASSERT_TRUE(store->CreateCollection(Info("keys")).ok());
  RecordBatch batch;
  const float v[2] = {0.5f, 0.25f};
  batch.Add("good", std::nullopt, Metadata{{"k", int64_t{1}}}, v, 2);
  batch.Add("hash", std::nullopt, Metadata{{"#document", int64_t{1}}}, v, 2);
  batch.Add("dollar", std::nullopt, Metadata{{"$and", int64_t{1}}}, v, 2);
  batch.Add("empty_key", std::nullopt, Metadata{{"", int64_t{1}}}, v, 2);
  batch.Add("nested", std::nullopt, Metadata{{"o", NestedJson{R"({"a":1})"}}}, v, 2);
  batch.Add("empty_list", std::nullopt, Metadata{{"t", MetadataArray{}}}, v, 2);
  batch.Add("mixed", std::nullopt,
            Metadata{{"t", MetadataArray{int64_t{1}, std::string("x")}}}, v, 2);
  Status s = store->Add("keys", batch);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("6 records of collection 'keys' cannot be written"));
  for (const char* id : {"hash", "dollar", "empty_key", "nested", "empty_list", "mixed"}) {
    EXPECT_THAT(s.message(), HasSubstr(std::string("record '") + id + "'"));
  }
  EXPECT_THAT(s.message(), Not(HasSubstr("record 'good'")));
  EXPECT_THAT(s.message(), HasSubstr("Nothing was added"));
  auto count = store->Count("keys");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0);
}

// Chroma 1.5 refuses a whole add holding a NaN or infinite component, with
// a message that does not name the record: AddAccepted halves the request
// until the refused records stand alone, names them, and adds the rest.
TEST(Chroma15Test, AddAcceptedAddsAllButTheNonFiniteRecordsAndNamesThem) {
  REQUIRE_CHROMA15();
  auto store = server->NewDatabase("nan_add");
  ASSERT_TRUE(store->CreateCollection(Info("vectors")).ok());
  RecordBatch batch;
  std::set<std::string> bad;
  for (int i = 0; i < 40; ++i) {
    float v[3] = {0.5f, 0.25f, static_cast<float>(i)};
    if (i == 3 || i == 17 || i == 18) {
      v[i % 3] = i == 17 ? std::numeric_limits<float>::infinity()
                         : std::numeric_limits<float>::quiet_NaN();
      bad.insert("r" + std::to_string(i));
    }
    batch.Add("r" + std::to_string(i), std::nullopt, std::nullopt, v, 3);
  }
  std::vector<RefusedRecord> refused;
  Status s = store->AddAccepted("vectors", batch, &refused);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> named;
  for (const auto& r : refused) {
    named.insert(r.id);
    EXPECT_THAT(r.reason, HasSubstr("Non-finite")) << r.id;
  }
  EXPECT_EQ(named, bad);
  auto count = store->Count("vectors");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 37);
  // The strict Add still refuses: all or an error.
  ASSERT_TRUE(store->CreateCollection(Info("strict")).ok());
  EXPECT_EQ(store->Add("strict", batch).code(), StatusCode::kInvalidArgument);
}

// `fixtures migrate --inject nan` into Chroma 1.5: the store refuses the
// damaged records, the log says which (refused_by_store), the rest arrive.
TEST(Chroma15Test, FaultInjectionLogsTheNanRecordsChromaRefuses) {
  REQUIRE_CHROMA15();
  auto source = server->NewDatabase("nan_src");
  CorpusOptions options;
  options.scale = 0.02;
  options.dimension = 8;
  ASSERT_TRUE(LoadCorpus(options, *source).ok());
  auto target = server->NewDatabase("nan_dst");
  FaultSpec spec;
  spec.rates[FaultKind::kNan] = 0.1;
  auto log = MigrateWithFaults(*source, *target, spec, /*seed=*/3);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_FALSE(log->Of(FaultKind::kNan).empty());
  for (const auto& e : log->Of(FaultKind::kNan)) {
    EXPECT_TRUE(e.refused_by_store) << e.id;
    EXPECT_THAT(e.detail, HasSubstr("refused by the destination")) << e.id;
    auto got = target->Get(e.collection, {e.id}, Include{false, false, false});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->size(), 0u) << e.id;
  }
  for (const auto& [name, n] : log->source_counts) {
    int64_t refused = 0;
    for (const auto& e : log->Of(FaultKind::kNan)) refused += e.collection == name;
    EXPECT_EQ(log->written_counts.at(name), n - refused) << name;
  }
}

// Since 1.2.2 a collection has a "schema" and its configuration an
// "embedding_function": a copy (fixtures migrate, rollback) carries both.
TEST(Chroma15Test, CollectionConfigurationIsCarriedWhole) {
  REQUIRE_CHROMA15();
  auto first = server->NewDatabase("config_src");
  CollectionInfo info = Info("configured");
  info.space = DistanceSpace::kCosine;
  info.configuration_json =
      R"({"hnsw":{"space":"cosine","ef_search":77},"embedding_function":{"type":"known",)"
      R"("name":"openai","config":{"api_key_env_var":"OPENAI_API_KEY",)"
      R"("model_name":"text-embedding-3-small"}}})";
  ASSERT_TRUE(first->CreateCollection(info).ok());
  auto read = first->GetCollection("configured");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const nlohmann::json source = nlohmann::json::parse(read->configuration_json);
  ASSERT_TRUE(source.contains("schema")) << read->configuration_json;
  EXPECT_EQ(source["embedding_function"]["name"], "openai");
  EXPECT_EQ(source["hnsw"]["ef_search"], 77);

  auto second = server->NewDatabase("config_dst");
  ASSERT_TRUE(second->CreateCollection(*read).ok());
  auto copy = second->GetCollection("configured");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  const nlohmann::json copied = nlohmann::json::parse(copy->configuration_json);
  EXPECT_EQ(copied["embedding_function"], source["embedding_function"]);
  EXPECT_EQ(copied["schema"], source["schema"]);
  EXPECT_EQ(copied["hnsw"], source["hnsw"]);
  EXPECT_EQ(copy->space, DistanceSpace::kCosine);
}

// Chroma 1.5 takes one '+' in a name (a topology prefix).
TEST(Chroma15Test, ACollectionNamedWithOnePlusIsWrittenAndRead) {
  REQUIRE_CHROMA15();
  auto store = server->NewDatabase("plus");
  ASSERT_TRUE(store->CreateCollection(Info("topo+docs")).ok());
  RecordBatch batch;
  const float v[2] = {0.5f, 0.25f};
  batch.Add("r", "doc", std::nullopt, v, 2);
  ASSERT_TRUE(store->Add("topo+docs", batch).ok());
  EXPECT_EQ(ScanAll(*store, "topo+docs").size(), 1u);
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "topo+docs");
}

// More collections than one page of the listing: all of them, by count.
TEST(Chroma15Test, ListingPagesUntilTheCountIsReached) {
  REQUIRE_CHROMA15();
  auto store = server->NewDatabase("many");
  std::set<std::string> names;
  for (int i = 0; i < 130; ++i) {
    const std::string name = "c" + std::to_string(1000 + i);
    ASSERT_TRUE(store->CreateCollection(Info(name)).ok()) << name;
    names.insert(name);
  }
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  std::set<std::string> listed;
  for (const auto& c : *list) listed.insert(c.name);
  EXPECT_EQ(listed, names);
}

// The list faults through the gate, Chroma 1.5 to Chroma 1.5.
class Chroma15GateListFaultTest : public ::testing::TestWithParam<FaultKind> {};

TEST_P(Chroma15GateListFaultTest, ContentFailsWithTheLoggedIds) {
  REQUIRE_CHROMA15();
  static Store* const source = testutil::LoadGateSource(
      Chroma15TestServer::GetOrNull()->NewDatabase("gate15_src"), testutil::GateListCorpus());
  ASSERT_NE(source, nullptr);
  testutil::GateTarget target;
  target.open = [](const std::string& hint) {
    return Chroma15TestServer::GetOrNull()->NewDatabase(hint);
  };
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = testutil::RateFor(fault);
  testutil::GateRun run;
  ASSERT_NO_FATAL_FAILURE(testutil::MigrateAndValidate(*source, target, spec,
                                                      std::string("gate15_") + FaultName(fault),
                                                      testutil::GateSuite(), &run));
  testutil::ExpectContentFaultCaught(fault, *source, run);
}

INSTANTIATE_TEST_SUITE_P(EveryListFault, Chroma15GateListFaultTest,
                         ::testing::ValuesIn(ListFaultKinds()), testutil::FaultTestName);

}  // namespace
}  // namespace vecgate
