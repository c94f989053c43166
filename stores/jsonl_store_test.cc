// Tests of the jsonl: store: exact round trips (plain and gzip, NaN/Inf,
// unicode), streaming in pages, appends, errors that name file and line, and
// read faults injected through the Env.
#include "stores/jsonl_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/env.h"
#include "testutil/bad_sector_env.h"
#include "testutil/temp_dir.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;

class JsonlStoreTest : public ::testing::Test {
 protected:
  std::string PathOf(const std::string& name) const { return tmp_.File(name); }

  void WriteText(const std::string& name, const std::string& text) {
    std::ofstream f(PathOf(name), std::ios::binary);
    f << text;
  }

  std::unique_ptr<JsonlStore> Open(const std::string& name) {
    auto r = OpenJsonlFile(PathOf(name));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // The first error from opening and scanning every collection.
  Status OpenAndScanAll(const std::string& name) {
    auto r = OpenJsonlFile(PathOf(name));
    if (!r.ok()) return r.status();
    auto collections = (*r)->ListCollections();
    if (!collections.ok()) return collections.status();
    for (const auto& c : *collections) {
      Status s = (*r)->Scan(c.name, ScanOptions(),
                            [](RecordBatch&) { return Status::Ok(); });
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  // Writes TrickyRecords() to `file`, reopens it and checks every value.
  void RoundTrip(const std::string& file);

  testutil::TempDir tmp_;
};

CollectionInfo SampleInfo(const std::string& name, int64_t dim) {
  CollectionInfo info;
  info.name = name;
  info.metadata = {{"description", std::string("tést ☃")},
                   {"version", int64_t{3}},
                   {"weight", 1.0},
                   {"active", true},
                   {"nothing", std::monostate()}};
  info.configuration_json = R"({"hnsw":{"ef_search":100,"space":"cosine"}})";
  info.space = DistanceSpace::kCosine;
  info.dimension = dim;
  return info;
}

// Records with every kind of value a store must carry through unchanged.
RecordBatch TrickyRecords() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  RecordBatch b;
  std::vector<float> e1 = {0.1f, -0.0f, 1e-45f, 3.4028235e38f};
  std::vector<float> e2 = {nan, inf, -inf, 1.17549435e-38f};
  std::vector<float> e3 = {1.0f / 3.0f, -2.5e-7f, 123456.789f, 0.0f};
  b.Add("plain-1", std::string("Hola, ¿qué tal? Ñandú \"quoted\" \\ back"),
        Metadata{{"source_line", int64_t{42}},
                 {"authenticity_score", 0.875},
                 {"whole_float", 2.0},
                 {"big", int64_t{-9007199254740993}},
                 {"disputed", false},
                 {"language", std::string("es")},
                 {"empty", std::monostate()}},
        e1.data(), e1.size());
  b.Add("naïve-日本-🙂", std::string("tab\tnewline\ncr\rnul-free ctrl \x01 end"),
        Metadata{}, e2.data(), e2.size());
  b.Add("no-document", std::nullopt, std::nullopt, e3.data(), e3.size());
  b.Add("no-embedding", std::string(""), Metadata{{"k", std::string("")}},
        nullptr, 0);
  return b;
}

// Bitwise equality of floats, with any NaN equal to any NaN.
bool SameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

void ExpectSameRecords(const RecordBatch& want, const RecordBatch& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE("record " + want.id(i));
    EXPECT_EQ(want.id(i), got.id(i));
    EXPECT_EQ(want.document(i), got.document(i));
    EXPECT_EQ(want.metadata(i), got.metadata(i));
    ASSERT_EQ(want.embedding_size(i), got.embedding_size(i));
    for (size_t k = 0; k < want.embedding_size(i); ++k) {
      EXPECT_TRUE(SameFloat(want.embedding(i)[k], got.embedding(i)[k]))
          << "component " << k << ": " << want.embedding(i)[k] << " vs "
          << got.embedding(i)[k];
    }
  }
}

void ExpectSameInfo(const CollectionInfo& want, const CollectionInfo& got) {
  EXPECT_EQ(want.name, got.name);
  EXPECT_EQ(want.metadata, got.metadata);
  EXPECT_EQ(want.configuration_json, got.configuration_json);
  EXPECT_EQ(want.space, got.space);
  EXPECT_EQ(want.dimension, got.dimension);
}

void JsonlStoreTest::RoundTrip(const std::string& file) {
  RecordBatch records = TrickyRecords();
  CollectionInfo info = SampleInfo("sergio_humor", 4);
  {
    auto store = Open(file);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->CreateCollection(info).ok());
    Status s = store->Add("sergio_humor", records);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(store->Flush().ok());
  }
  auto store = Open(file);
  ASSERT_NE(store, nullptr);
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  ExpectSameInfo(info, (*list)[0]);
  auto count = store->Count("sergio_humor");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 4);
  auto all = ReadAll(*store, "sergio_humor");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ExpectSameRecords(records, *all);
}

TEST_F(JsonlStoreTest, RoundTripIsExactIncludingNanInfAndUnicode) {
  RoundTrip("plain.jsonl");
}

TEST_F(JsonlStoreTest, GzipRoundTripIsExactAndFileIsGzip) {
  RoundTrip("packed.jsonl.gz");
  std::ifstream f(PathOf("packed.jsonl.gz"), std::ios::binary);
  unsigned char magic[2] = {0, 0};
  f.read(reinterpret_cast<char*>(magic), 2);
  EXPECT_EQ(magic[0], 0x1f);
  EXPECT_EQ(magic[1], 0x8b);
}

TEST_F(JsonlStoreTest, NonFiniteComponentsAreWrittenAsStrings) {
  {
    auto store = Open("nan.jsonl");
    ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 4)).ok());
    RecordBatch b;
    std::vector<float> e = {std::nanf(""), INFINITY, -INFINITY, 0.5f};
    b.Add("x", std::nullopt, std::nullopt, e.data(), e.size());
    ASSERT_TRUE(store->Add("c", b).ok());
  }
  std::ifstream f(PathOf("nan.jsonl"));
  std::string header, record;
  std::getline(f, header);
  std::getline(f, record);
  EXPECT_THAT(record, HasSubstr(R"("embedding":["NaN","Infinity","-Infinity",0.5])"));
}

TEST_F(JsonlStoreTest, RandomFloatBitPatternsRoundTripExactly) {
  std::mt19937 rng(7);
  const size_t kRows = 2000, kDim = 64;
  RecordBatch b;
  std::vector<float> row(kDim);
  for (size_t i = 0; i < kRows; ++i) {
    for (auto& v : row) {
      uint32_t bits = rng();
      std::memcpy(&v, &bits, 4);
      if (std::isnan(v)) v = 0.25f;  // NaN payloads are not kept, by design
    }
    b.Add("r" + std::to_string(i), std::nullopt, std::nullopt, row.data(), kDim);
  }
  {
    auto store = Open("bits.jsonl");
    ASSERT_TRUE(store->CreateCollection(SampleInfo("c", kDim)).ok());
    ASSERT_TRUE(store->Add("c", b).ok());
  }
  auto store = Open("bits.jsonl");
  auto all = ReadAll(*store, "c");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->values().size(), b.values().size());
  EXPECT_EQ(std::memcmp(all->values().data(), b.values().data(),
                        b.values().size() * sizeof(float)),
            0);
}

// Embeddings written by other tools are not shortest-form floats: every
// decimal must still round to the nearest float32, as std::from_chars does.
// Includes decimals whose nearest double is exactly halfway between two
// floats, where rounding through double would go wrong.
TEST_F(JsonlStoreTest, DecimalComponentsRoundToTheNearestFloat) {
  std::vector<std::string> numbers = {
      "1.0000000596046448",   // nearest double is the midpoint 1 + 2^-24
      "-1.0000000596046448", "1.00000005960464477539062500001",
      // Short decimals whose nearest double is a float midpoint.
      "0.004827489843592048", "7249262489494867e-20", "-7249262489494868e-20",
      "5.881124816369265e-4",
      "0.1", "-0.0", "0", "1e-46", "1.4e-45", "3.4028235e38", "3.4028234e38",
      "1.17549435e-38", "1.1754942e-38", "123456789012345678901234567890",
      "0.000000000000000000000000000001", "7E+3", "7e-3", "-12.5E2"};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string digits = std::to_string(rng() % 1000000000000000000ULL);
    digits = digits.substr(0, 1 + rng() % digits.size());
    size_t point = rng() % (digits.size() + 1);
    std::string text = (rng() % 2 ? "-" : "") +
                       (point == 0 ? "0" : digits.substr(0, point)) + "." +
                       (point == digits.size() ? "0" : digits.substr(point));
    if (text[0] != '-' && text.size() > 1 && text[0] == '0' && text[1] != '.') continue;
    if (rng() % 3 == 0) text += "e" + std::to_string(static_cast<int>(rng() % 40) - 30);
    numbers.push_back(text);
  }
  std::string line = R"({"collection":"c","id":"x","embedding":[)";
  for (size_t i = 0; i < numbers.size(); ++i) {
    line += (i ? "," : "") + numbers[i];
  }
  WriteText("decimals.jsonl", line + "]}\n");
  auto store = Open("decimals.jsonl");
  ASSERT_NE(store, nullptr);
  auto all = ReadAll(*store, "c");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->embedding_size(0), numbers.size());
  int checked = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const std::string& t = numbers[i];
    float want = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), want);
    if (r.ec != std::errc()) continue;  // out of float range: tested elsewhere
    ++checked;
    EXPECT_TRUE(SameFloat(want, all->embedding(0)[i]))
        << t << ": want " << want << " got " << all->embedding(0)[i];
  }
  EXPECT_GT(checked, 15000);
  EXPECT_EQ(all->embedding(0)[0], std::nextafter(1.0f, 2.0f));
}

TEST_F(JsonlStoreTest, ScanStreamsPagesOfTheRequestedSizeInFileOrder) {
  auto store = Open("pages.jsonl");
  ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 2)).ok());
  RecordBatch b;
  for (int i = 0; i < 10; ++i) {
    float e[2] = {static_cast<float>(i), 1.0f};
    b.Add("id" + std::to_string(i), std::nullopt, std::nullopt, e, 2);
  }
  ASSERT_TRUE(store->Add("c", b).ok());
  ScanOptions options;
  options.page_size = 3;
  std::vector<size_t> sizes;
  std::vector<std::string> ids;
  ASSERT_TRUE(store
                  ->Scan("c", options,
                         [&](RecordBatch& page) {
                           sizes.push_back(page.size());
                           for (const auto& id : page.ids()) ids.push_back(id);
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 3, 1}));
  EXPECT_EQ(ids, b.ids());
}

TEST_F(JsonlStoreTest, ScanHonoursIncludeAndSinkErrors) {
  RoundTrip("inc.jsonl");
  auto store = Open("inc.jsonl");
  ScanOptions options;
  options.include.embeddings = false;
  options.include.documents = false;
  size_t rows = 0;
  ASSERT_TRUE(store
                  ->Scan("sergio_humor", options,
                         [&](RecordBatch& page) {
                           for (size_t i = 0; i < page.size(); ++i) {
                             EXPECT_FALSE(page.has_embedding(i));
                             EXPECT_FALSE(page.document(i).has_value());
                             ++rows;
                           }
                           return Status::Ok();
                         })
                  .ok());
  EXPECT_EQ(rows, 4u);
  Status s = store->Scan("sergio_humor", ScanOptions(),
                         [](RecordBatch&) { return Aborted("stop here"); });
  EXPECT_EQ(s.code(), StatusCode::kAborted);
}

TEST_F(JsonlStoreTest, InterleavedAndHeaderlessCollections) {
  WriteText("mixed.jsonl",
            R"({"collection":"a","id":"a1","document":"x","metadata":null,"embedding":[1,2,3]}
{"collection":"b","id":"b1","document":null,"metadata":{"n":1},"embedding":[1,2]}

{"collection":"a","id":"a2","embedding":[4,5,6]}
{"_collection":{"name":"b","metadata":null,"configuration":{},"space":"ip","dimension":0}}
{"collection":"b","id":"b2","embedding":null})");  // no final newline
  auto store = Open("mixed.jsonl");
  ASSERT_NE(store, nullptr);
  auto a = store->GetCollection("a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->space, DistanceSpace::kL2);  // no header: Chroma's default
  EXPECT_EQ(a->dimension, 3);
  auto b = store->GetCollection("b");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->space, DistanceSpace::kIp);
  EXPECT_EQ(b->dimension, 2);  // header says 0: the first embedding's
  EXPECT_EQ(*store->Count("a"), 2);
  EXPECT_EQ(*store->Count("b"), 2);
  auto all_a = ReadAll(*store, "a");
  ASSERT_TRUE(all_a.ok());
  EXPECT_EQ(all_a->ids(), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(all_a->embedding(1)[2], 6.0f);
  auto all_b = ReadAll(*store, "b");
  ASSERT_TRUE(all_b.ok());
  EXPECT_EQ(all_b->ids(), (std::vector<std::string>{"b1", "b2"}));
  EXPECT_FALSE(all_b->has_embedding(1));
  // Appending after a last line without newline keeps both lines intact.
  RecordBatch more;
  float e[3] = {7, 8, 9};
  more.Add("a3", std::nullopt, std::nullopt, e, 3);
  ASSERT_TRUE(store->Add("a", more).ok());
  store.reset();
  store = Open("mixed.jsonl");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->Count("a"), 3);
  EXPECT_EQ(*store->Count("b"), 2);
}

TEST_F(JsonlStoreTest, WritesAreVisibleToReadsOfTheSameStoreAndAppendsPersist) {
  for (const std::string file : {"live.jsonl", "live.jsonl.gz"}) {
    SCOPED_TRACE(file);
    auto store = Open(file);
    ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 1)).ok());
    for (int round = 0; round < 3; ++round) {
      RecordBatch b;
      float e = static_cast<float>(round);
      b.Add("r" + std::to_string(round), std::nullopt, std::nullopt, &e, 1);
      ASSERT_TRUE(store->Add("c", b).ok());
      auto all = ReadAll(*store, "c");  // reads between writes (gzip members)
      ASSERT_TRUE(all.ok()) << all.status().ToString();
      EXPECT_EQ(all->size(), static_cast<size_t>(round + 1));
    }
    store.reset();
    store = Open(file);  // reopen and append more
    RecordBatch b;
    float e = 9;
    b.Add("r9", std::nullopt, std::nullopt, &e, 1);
    ASSERT_TRUE(store->Add("c", b).ok());
    store.reset();
    store = Open(file);
    auto all = ReadAll(*store, "c");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(all->ids(), (std::vector<std::string>{"r0", "r1", "r2", "r9"}));
    EXPECT_EQ(store->CreateCollection(SampleInfo("c", 1)).code(),
              StatusCode::kAlreadyExists);
  }
}

TEST_F(JsonlStoreTest, GetReturnsOnlyRequestedIds) {
  RoundTrip("get.jsonl");
  auto store = Open("get.jsonl");
  auto got = store->Get("sergio_humor", {"no-document", "missing", "plain-1"},
                        Include());
  ASSERT_TRUE(got.ok());
  std::vector<std::string> ids = got->ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"no-document", "plain-1"}));
  EXPECT_EQ(store->Get("nope", {"x"}, Include()).status().code(),
            StatusCode::kNotFound);
}

// Lists (Chroma 1.5 arrays) and nested values (kept as their JSON text)
// are written and read back as they were; a nested value no longer makes
// the file unreadable.
TEST_F(JsonlStoreTest, ListsAndNestedValuesRoundTrip) {
  const Metadata metadata{{"tags", MetadataArray{std::string("a"), std::string("b")}},
                          {"nums", MetadataArray{int64_t{1}, 2.5}},
                          {"flags", MetadataArray{true}},
                          {"o", NestedJson{R"({"a":[1,null]})"}}};
  {
    auto store = Open("lists.jsonl");
    ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 2)).ok());
    RecordBatch b;
    const float v[2] = {1, 2};
    b.Add("r", std::nullopt, metadata, v, 2);
    ASSERT_TRUE(store->Add("c", b).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  auto store = Open("lists.jsonl");
  auto got = store->Get("c", {"r"}, Include());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(*got->metadata(0), metadata);
  WriteText("other.jsonl", R"({"collection":"c","id":"x","metadata":{"a":{"b":1}}})"
                           "\n");
  auto other = Open("other.jsonl");
  auto read = other->Get("c", {"x"}, Include());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->metadata(0)->at("a"), MetadataValue(NestedJson{R"({"b":1})"}));
}

TEST_F(JsonlStoreTest, MissingFileIsNotFoundUntilFirstWrite) {
  auto store = Open("new.jsonl");
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ListCollections().status().code(), StatusCode::kNotFound);
  EXPECT_THAT(store->ListCollections().status().message(),
              HasSubstr(PathOf("new.jsonl")));
  EXPECT_EQ(store->Count("c").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 2)).ok());
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
  EXPECT_EQ(*store->Count("c"), 0);
  RecordBatch b;
  EXPECT_EQ(store->Add("other", b).code(), StatusCode::kNotFound);
}

TEST_F(JsonlStoreTest, EmptyFileIsAnEmptyStore) {
  WriteText("empty.jsonl", "");
  auto store = Open("empty.jsonl");
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(JsonlStoreTest, RenameAndDeleteAreUnimplemented) {
  RoundTrip("rd.jsonl");
  auto store = Open("rd.jsonl");
  Status r = store->RenameCollection("sergio_humor", "x");
  EXPECT_EQ(r.code(), StatusCode::kUnimplemented);
  EXPECT_THAT(r.message(), HasSubstr("append-only"));
  EXPECT_EQ(store->DeleteCollection("sergio_humor").code(),
            StatusCode::kUnimplemented);
  EXPECT_TRUE(store->writable());
  EXPECT_FALSE(store->can_query());
}

TEST_F(JsonlStoreTest, UriParsing) {
  EXPECT_EQ(OpenJsonlStore("jsonl:", OpenOptions()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenJsonlStore("chroma://x", OpenOptions()).status().code(),
            StatusCode::kInvalidArgument);
  auto s = OpenJsonlStore("jsonl:" + PathOf("u.jsonl"), OpenOptions());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->Describe(), "jsonl:" + PathOf("u.jsonl"));
}

TEST_F(JsonlStoreTest, WriteRejectsWhatJsonCannotCarry) {
  auto store = Open("w.jsonl");
  ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 1)).ok());
  RecordBatch bad_utf8;
  bad_utf8.Add("x", std::string("\xff\xfe"), std::nullopt, nullptr, 0);
  Status s = store->Add("c", bad_utf8);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("UTF-8"));
  RecordBatch nan_meta;
  nan_meta.Add("y", std::nullopt,
               Metadata{{"score", std::numeric_limits<double>::quiet_NaN()}},
               nullptr, 0);
  EXPECT_EQ(store->Add("c", nan_meta).code(), StatusCode::kInvalidArgument);
  // Nothing of a refused batch was written.
  EXPECT_EQ(*store->Count("c"), 0);
}

struct BadLineCase {
  const char* name;
  const char* line;
  const char* expected;  // part of the error message
};

// Names the case in googletest output instead of dumping its bytes.
void PrintTo(const BadLineCase& c, std::ostream* os) { *os << c.name; }

class JsonlBadInputTest : public JsonlStoreTest,
                          public ::testing::WithParamInterface<BadLineCase> {};

TEST_P(JsonlBadInputTest, CorruptionNamesFileLineAndProblem) {
  const BadLineCase& c = GetParam();
  WriteText("bad.jsonl",
            std::string(R"({"_collection":{"name":"c","space":"cosine","dimension":2}})") +
                "\n" + R"({"collection":"c","id":"ok","embedding":[1,2]})" +
                "\n" + c.line + "\n" +
                R"({"collection":"c","id":"ok2","embedding":[1,2]})" + "\n");
  Status s = OpenAndScanAll("bad.jsonl");
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(PathOf("bad.jsonl")));
  EXPECT_THAT(s.message(), HasSubstr("line 3"));
  EXPECT_THAT(s.message(), HasSubstr(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Lines, JsonlBadInputTest,
    ::testing::Values(
        BadLineCase{"NotJson", "this is not json", "not a JSON object"},
        BadLineCase{"NotObject", "[1,2,3]", "not a JSON object"},
        BadLineCase{"Truncated", R"({"collection":"c","id":"x","embed)",
                    "not JSON"},
        BadLineCase{"MissingId", R"({"collection":"c","embedding":[1,2]})",
                    "no \"id\""},
        BadLineCase{"NumericId", R"({"collection":"c","id":7})",
                    "\"id\" is a number"},
        BadLineCase{"MissingCollection", R"({"id":"x","embedding":[1,2]})",
                    "no \"collection\""},
        BadLineCase{"EmbeddingString",
                    R"({"collection":"c","id":"x","embedding":"1,2"})",
                    "\"embedding\" is a string"},
        BadLineCase{"EmbeddingComponentWord",
                    R"({"collection":"c","id":"x","embedding":[1,"oops"]})",
                    "component 1 is the string \"oops\""},
        BadLineCase{"EmbeddingComponentObject",
                    R"({"collection":"c","id":"x","embedding":[1,{"a":1}]})",
                    "component 1"},
        BadLineCase{"EmbeddingComponentBare",
                    R"({"collection":"c","id":"x","embedding":[nan,1]})",
                    "component 0 (nan) is not a number"},
        BadLineCase{"EmbeddingOverflow",
                    R"({"collection":"c","id":"x","embedding":[1e39,1]})",
                    "outside the float32 range"},
        BadLineCase{"HugeIntegerInAList",
                    R"({"collection":"c","id":"x","metadata":{"a":[1,18446744073709551615]}})",
                    "metadata key 'a' holds an integer outside the int64 range"},
        BadLineCase{"MetadataArray",
                    R"({"collection":"c","id":"x","metadata":[1]})",
                    "\"metadata\" is an array"},
        BadLineCase{"DuplicateHeader", R"({"_collection":{"name":"c"}})",
                    "second \"_collection\" header"},
        BadLineCase{"BadSpace",
                    R"({"_collection":{"name":"d","space":"hamming"}})",
                    "\"_collection.space\""},
        BadLineCase{"TrailingGarbage",
                    R"({"collection":"c","id":"x"} {"x":1})",
                    "unexpected text after the JSON object"},
        BadLineCase{"HugeHeaderDimension",
                    R"({"_collection":{"name":"d","dimension":1000000000000}})",
                    "\"_collection.dimension\" is 1000000000000, more than "
                    "the 65536"},
        BadLineCase{"DuplicateId", R"({"collection":"c","id":"x","id":"y"})",
                    "the key \"id\" appears twice"},
        BadLineCase{"DuplicateEmbedding",
                    R"({"collection":"c","id":"x","embedding":[1,2],"embedding":[3,4]})",
                    "the key \"embedding\" appears twice"},
        BadLineCase{"DuplicateUnknownKey",
                    R"({"collection":"c","id":"x","note":1,"note":2})",
                    "the key \"note\" appears twice"},
        BadLineCase{"RecordThenHeader",
                    R"({"collection":"c","id":"x","_collection":{"name":"z"}})",
                    "never both"},
        BadLineCase{"HeaderThenRecord",
                    R"({"_collection":{"name":"z"},"collection":"c","id":"x"})",
                    "never both"},
        BadLineCase{"DuplicateHeaderKey",
                    R"({"_collection":{"name":"z","name":"w"}})",
                    "\"_collection\" has the key \"name\" twice"},
        BadLineCase{"DuplicateMetadataKey",
                    R"({"collection":"c","id":"x","metadata":{"a":1,"a":2}})",
                    "metadata has the key 'a' twice"},
        BadLineCase{"InvalidUtf8", "{\"collection\":\"c\",\"id\":\"\xff\xfe\"}",
                    "UTF-8"},
        BadLineCase{"EscapeInSpace",
                    R"({"_collection":{"name":"d","space":"\u001b]0;pwned\u0007"}})",
                    "\"_collection.space\" is \"\\x1B]0;pwned\\x07\""}),
    [](const ::testing::TestParamInfo<BadLineCase>& info) {
      return std::string(info.param.name);
    });

// An embedding longer than kMaxDimension is refused by the index pass (when
// it sets the dimension) or by the scan (when a header set it), never held.
TEST_F(JsonlStoreTest, EmbeddingsLongerThanTheMaximumDimensionAreRefused) {
  std::string wide = "[";
  for (int64_t i = 0; i <= kMaxDimension; ++i) wide += i ? ",1" : "1";
  wide += "]";
  WriteText("first.jsonl", R"({"collection":"c","id":"x","embedding":)" + wide + "}\n");
  Status s = OpenAndScanAll("first.jsonl");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr(PathOf("first.jsonl") + "' line 1"));
  EXPECT_THAT(s.message(), HasSubstr("more than the 65536"));

  WriteText("later.jsonl",
            std::string(R"({"_collection":{"name":"c","dimension":2}})") + "\n" +
                R"({"collection":"c","id":"x","embedding":)" + wide + "}\n");
  s = OpenAndScanAll("later.jsonl");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr(PathOf("later.jsonl") + "' line 2"));
  EXPECT_THAT(s.message(), HasSubstr("65536"));
}

// Nesting deeper than 64 levels is refused (the parser's depth limit), even
// under a key the store otherwise ignores.
TEST_F(JsonlStoreTest, DeepNestingIsRefused) {
  const std::string deep = std::string(R"({"collection":"c","id":"x","extra":)") +
                           std::string(100, '[') + std::string(100, ']') + "}\n";
  WriteText("deep.jsonl", deep);
  Status s = OpenAndScanAll("deep.jsonl");
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_THAT(s.message(), HasSubstr(PathOf("deep.jsonl") + "' line 1"));
  WriteText("ok.jsonl", std::string(R"({"collection":"c","id":"x","extra":)") +
                            std::string(30, '[') + std::string(30, ']') + "}\n");
  EXPECT_TRUE(OpenAndScanAll("ok.jsonl").ok());
}

// The largest accepted dimension still reads back.
TEST_F(JsonlStoreTest, MaximumDimensionIsAccepted) {
  std::string wide = "[";
  for (int64_t i = 0; i < kMaxDimension; ++i) wide += i ? ",0.5" : "0.5";
  wide += "]";
  WriteText("max.jsonl",
            std::string(R"({"_collection":{"name":"c","dimension":65536}})") + "\n" +
                R"({"collection":"c","id":"x","embedding":)" + wide + "}\n");
  auto store = Open("max.jsonl");
  ASSERT_NE(store, nullptr);
  auto all = ReadAll(*store, "c");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->embedding_size(0), static_cast<size_t>(kMaxDimension));
}

TEST_F(JsonlStoreTest, GzipNameOnPlainFileAndPlainNameOnGzipAreRefused) {
  WriteText("plain.jsonl.gz", R"({"collection":"c","id":"x"})" "\n");
  auto r = OpenJsonlFile(PathOf("plain.jsonl.gz"));
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(r.status().message(), HasSubstr("not gzip"));
  RoundTrip("real.jsonl.gz");
  std::filesystem::copy_file(PathOf("real.jsonl.gz"), PathOf("real.jsonl"));
  auto r2 = OpenJsonlFile(PathOf("real.jsonl"));
  EXPECT_EQ(r2.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(r2.status().message(), HasSubstr("gzip-compressed"));
}

TEST_F(JsonlStoreTest, TruncatedGzipIsCorruptionNotAShortRead) {
  auto store = Open("t.jsonl.gz");
  ASSERT_TRUE(store->CreateCollection(SampleInfo("c", 8)).ok());
  RecordBatch b;
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    float e[8];
    for (float& v : e) v = static_cast<float>(rng()) / 1e9f;
    b.Add("id" + std::to_string(i), std::string("doc"), std::nullopt, e, 8);
  }
  ASSERT_TRUE(store->Add("c", b).ok());
  store.reset();
  auto size = std::filesystem::file_size(PathOf("t.jsonl.gz"));
  std::filesystem::resize_file(PathOf("t.jsonl.gz"), size / 2);
  Status s = OpenAndScanAll("t.jsonl.gz");
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("truncated"));
}

// A metadata decimal of more than 19 digits reads as the nearest double (the
// On-Demand number parser of libsimdjson 3.0.1 read this one as 4.1e-16), and
// a gzip file followed by bytes that are not gzip is damaged, not complete.
TEST_F(JsonlStoreTest, LongMetadataDecimalsReadAsTheNearestDouble) {
  WriteText("long.jsonl",
            R"({"collection":"c","id":"x","metadata":{"p":0.1000000000000000055511151231257827}})"
            "\n");
  auto store = Open("long.jsonl");
  ASSERT_NE(store, nullptr);
  auto all = ReadAll(*store, "c");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(std::get<double>(all->metadata(0)->at("p")), 0.1);
}

TEST_F(JsonlStoreTest, BytesAfterTheLastGzipMemberAreCorruption) {
  RoundTrip("tail.jsonl.gz");
  {
    std::ofstream f(PathOf("tail.jsonl.gz"), std::ios::binary | std::ios::app);
    f << "not gzip";
  }
  Status s = OpenAndScanAll("tail.jsonl.gz");
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(PathOf("tail.jsonl.gz")));
}

// A read fault, while opening or in the middle of a scan, of a plain or a
// gzip file, is an IoError naming the file: never a short result returned as
// if complete, and never Corruption (the bytes may be fine).
TEST_F(JsonlStoreTest, ReadFaultsAreIoErrorsNamingTheFileNeverShortResults) {
  const size_t kRows = 6000, kDim = 32;
  for (const std::string name : {"fault.jsonl", "fault.jsonl.gz"}) {
    SCOPED_TRACE(name);
    {
      auto store = Open(name);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->CreateCollection(SampleInfo("c", kDim)).ok());
      std::mt19937 rng(3);
      RecordBatch b;
      std::vector<float> row(kDim);
      for (size_t i = 0; i < kRows; ++i) {
        for (float& v : row) v = static_cast<float>(rng()) / 1e9f;
        b.Add("id" + std::to_string(i), std::string("doc"), std::nullopt, row.data(),
              kDim);
      }
      ASSERT_TRUE(store->Add("c", b).ok());
    }
    const uint64_t size = std::filesystem::file_size(PathOf(name));
    ASSERT_GT(size, 1u << 19) << "reads must fail part way, after a first chunk";
    testutil::BadSectorEnv bad(PathOf(name), size * 3 / 4, /*armed=*/false);

    // Opened before the fault: the scan meets it part way.
    auto opened = OpenJsonlFile(PathOf(name), &bad);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    bad.Arm();
    size_t delivered = 0;
    Status scan = (*opened)->Scan("c", ScanOptions(), [&](RecordBatch& page) {
      delivered += page.size();
      return Status::Ok();
    });
    EXPECT_EQ(scan.code(), StatusCode::kIoError) << scan.ToString();
    EXPECT_THAT(scan.message(), HasSubstr(PathOf(name)));
    EXPECT_THAT(scan.message(), HasSubstr("injected read error"));
    EXPECT_LT(delivered, kRows);
    auto got = (*opened)->Get("c", {"id0", "id" + std::to_string(kRows - 1)}, Include());
    EXPECT_EQ(got.status().code(), StatusCode::kIoError) << "Get must not return a part";

    // Opening meets it while indexing.
    auto reopened = OpenJsonlFile(PathOf(name), &bad);
    EXPECT_EQ(reopened.status().code(), StatusCode::kIoError) << reopened.status().ToString();
    EXPECT_THAT(reopened.status().message(), HasSubstr(PathOf(name)));
    EXPECT_GT(bad.failed_reads(), 0);
    EXPECT_EQ(bad.sequential_opens(), 0)
        << "the store reads through random-access handles only; a sequential "
           "one would escape the fault";
  }
}

}  // namespace
}  // namespace vecgate
