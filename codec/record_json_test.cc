// Tests of the record codec: what it writes reads back exactly (odd unicode,
// extreme doubles, ints against floats, non-finite embedding components), and
// what it refuses (invalid UTF-8, nested or repeated metadata, deep nesting).
#include "codec/record_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/text.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;

// Writes `metadata`, reads it back with the codec's reader.
Result<Metadata> RoundTrip(const Metadata& metadata,
                           MetadataNulls nulls = MetadataNulls::kWrite) {
  std::string text;
  RETURN_IF_ERROR(AppendMetadataJson(metadata, "record 'r'", nulls, &text));
  RecordJsonReader reader;
  return reader.ParseMetadata(text, text.size(), "metadata",
                              LargeIntegers::kRefuse);
}

Result<Metadata> Read(const std::string& text,
                      LargeIntegers large = LargeIntegers::kRefuse) {
  RecordJsonReader reader;
  return reader.ParseMetadata(text, text.size(), "metadata", large);
}

TEST(RecordJsonTest, OddUnicodeAndControlCharactersRoundTrip) {
  const std::vector<std::string> texts = {
      "",
      "quote \" backslash \\ slash /",
      "nl \n cr \r tab \t bs \b ff \f bell \x07 esc \x1b del \x7f",
      "é 漢字 😀 \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7 zero\u200bwidth rtl \u202e",
      "U+FFFF \xEF\xBF\xBF max \xF4\x8F\xBF\xBF",
      std::string("nul \0 inside", 12),
  };
  for (const std::string& text : texts) {
    std::string out;
    ASSERT_TRUE(AppendJsonText(text, "text", &out).ok());
    EXPECT_EQ(out.size(), JsonStringSize(text));
    Result<Metadata> read = RoundTrip(Metadata{{text, text}});
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    ASSERT_EQ(read->count(text), 1u);
    EXPECT_EQ(std::get<std::string>(read->at(text)), text);
  }
  std::string out;
  AppendJsonString("a\x01\x1f\"", &out);
  EXPECT_EQ(out, "\"a\\u0001\\u001f\\\"\"");
}

TEST(RecordJsonTest, InvalidUtf8IsRefusedWithAValidMessage) {
  for (const std::string bad : {"\xff", "\xC3\x28", "\xED\xA0\x80" /* surrogate */,
                                "\xC0\xAF" /* overlong */, "\xE6\x96" /* cut */}) {
    std::string out;
    Status s = AppendJsonText(bad, "the document of record 'r'", &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("not valid UTF-8"));
    EXPECT_TRUE(out.empty());

    s = AppendMetadataJson(Metadata{{"k", bad}}, "record 'r'",
                           MetadataNulls::kWrite, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("metadata 'k'"));
    EXPECT_TRUE(IsValidUtf8(s.message()));

    s = AppendMetadataJson(Metadata{{bad, int64_t{1}}}, "record 'r'",
                           MetadataNulls::kWrite, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(IsValidUtf8(s.message())) << "the bad key is not echoed";

    // Read: simdjson refuses the input; the message is still valid UTF-8.
    Result<Metadata> read = Read("{\"k\":\"" + bad + "\"}");
    EXPECT_EQ(read.status().code(), StatusCode::kCorruption);
    EXPECT_TRUE(IsValidUtf8(read.status().message()));
  }
}

TEST(RecordJsonTest, ExtremeDoublesStayDoublesAndRoundTripExactly) {
  const double kDoubles[] = {
      1.0, -3.0, 0.1, -0.0, 1e22, 1e23, 123456789.125,
      std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min(),
      9007199254740993.0, 2.2250738585072009e-308};
  for (double d : kDoubles) {
    Result<Metadata> read = RoundTrip(Metadata{{"d", d}});
    ASSERT_TRUE(read.ok()) << d << ": " << read.status().ToString();
    ASSERT_TRUE(std::holds_alternative<double>(read->at("d"))) << d;
    const double got = std::get<double>(read->at("d"));
    EXPECT_EQ(std::memcmp(&got, &d, sizeof(d)), 0) << d << " read as " << got;
  }
  std::string one;
  AppendJsonDouble(1.0, &one);
  EXPECT_EQ(one, "1.0");
}

// The decimal that the On-Demand parser of libsimdjson 3.0.1 read as 4.1e-16.
TEST(RecordJsonTest, LongDecimalsReadAsTheNearestDouble) {
  Result<Metadata> read = Read(R"({"x":0.1000000000000000055511151231257827,)"
                               R"("y":123456789012345678901234567890.5})");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(std::get<double>(read->at("x")), 0.1);
  EXPECT_EQ(std::get<double>(read->at("y")), 123456789012345678901234567890.5);
}

TEST(RecordJsonTest, IntegersStayIntegersAndFloatsStayFloats) {
  const Metadata metadata{{"min", std::numeric_limits<int64_t>::min()},
                          {"max", std::numeric_limits<int64_t>::max()},
                          {"zero", int64_t{0}},
                          {"three", int64_t{3}},
                          {"three_f", 3.0},
                          {"yes", true},
                          {"none", std::monostate()}};
  Result<Metadata> read = RoundTrip(metadata);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, metadata);
  EXPECT_TRUE(std::holds_alternative<int64_t>(read->at("three")));
  EXPECT_TRUE(std::holds_alternative<double>(read->at("three_f")));
}

TEST(RecordJsonTest, IntegersBeyondInt64AreRefusedOrKeptAsDoubles) {
  const std::string text = R"({"big":9223372036854775808})";
  Result<Metadata> refused = Read(text, LargeIntegers::kRefuse);
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("metadata key 'big' is an integer outside the int64 range"));
  Result<Metadata> kept = Read(text, LargeIntegers::kAsDouble);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(std::get<double>(kept->at("big")), 9223372036854775808.0);
  // Beyond uint64 simdjson refuses the number itself.
  EXPECT_EQ(Read(R"({"huge":18446744073709551616})").status().code(),
            StatusCode::kCorruption);
}

TEST(RecordJsonTest, NullsAreWrittenOrOmitted) {
  const Metadata metadata{{"a", int64_t{1}}, {"n", std::monostate()}};
  std::string kept, omitted, empty_kept, empty_omitted;
  ASSERT_TRUE(AppendMetadataJson(metadata, "r", MetadataNulls::kWrite, &kept).ok());
  ASSERT_TRUE(AppendMetadataJson(metadata, "r", MetadataNulls::kOmit, &omitted).ok());
  ASSERT_TRUE(AppendMetadataJson({}, "r", MetadataNulls::kWrite, &empty_kept).ok());
  ASSERT_TRUE(AppendMetadataJson({{"n", std::monostate()}}, "r", MetadataNulls::kOmit,
                                 &empty_omitted)
                  .ok());
  EXPECT_EQ(kept, R"({"a":1,"n":null})");
  EXPECT_EQ(omitted, R"({"a":1})");
  EXPECT_EQ(empty_kept, "{}");
  EXPECT_EQ(empty_omitted, "null");
}

TEST(RecordJsonTest, NonFiniteMetadataIsRefusedNamingOwnerAndKey) {
  for (double d : {std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::infinity()}) {
    std::string out;
    Status s = AppendMetadataJson(Metadata{{"score", d}}, "record 'r9'",
                                  MetadataNulls::kWrite, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr("record 'r9', metadata 'score'"));
  }
}

TEST(RecordJsonTest, RepeatedAndNonObjectMetadataIsRefused) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({"a":[1,18446744073709551615]})",
                "key 'a' holds an integer outside the int64 range"},
           Case{R"({"a":1,"a":2})", "metadata has the key 'a' twice"},
           Case{R"({"a":1,"b":2,"a":"x"})", "has the key 'a' twice"},
           Case{R"([1])", "metadata is an array; expected an object"},
           Case{R"({"a":1)", "metadata: not JSON"},
       }) {
    Result<Metadata> read = Read(c.text);
    EXPECT_EQ(read.status().code(), StatusCode::kCorruption) << c.text;
    EXPECT_THAT(read.status().message(), HasSubstr(c.expected)) << c.text;
  }
}

TEST(RecordJsonTest, NestingDeeperThanTheLimitIsRefused) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  RecordJsonReader reader;
  Result<simdjson::dom::element> parsed = reader.Parse(deep, "line 1");
  EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(parsed.status().message(), HasSubstr("nested deeper than 64"));
  EXPECT_FALSE(JsonDepthWithin(deep, kMaxJsonDepth));
  const std::string shallow = std::string(30, '[') + std::string(30, ']');
  EXPECT_TRUE(reader.Parse(shallow, "line 2").ok());
}

// Bitwise equality of floats, with any NaN equal to any NaN.
bool SameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

TEST(RecordJsonTest, EmbeddingsRoundTripBitForBitIncludingNonFinite) {
  const std::vector<float> values = {
      0.1f, -0.0f, 1e-45f, 3.4028235e38f, -3.4028235e38f, 1.17549435e-38f,
      std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
      -std::numeric_limits<float>::infinity(), 1.0f / 3.0f, 16777217.0f};
  std::string text;
  AppendEmbeddingJson(values.data(), values.size(), &text);
  EXPECT_THAT(text, HasSubstr("\"NaN\",\"Infinity\",\"-Infinity\""));
  std::vector<float> read = {42.0f};  // appended after what is there
  std::string what;
  ASSERT_TRUE(ParseEmbeddingJson(text, &read, &what)) << what;
  ASSERT_EQ(read.size(), values.size() + 1);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_TRUE(SameFloat(values[i], read[i + 1])) << i << ": " << read[i + 1];
  }
  // Decimals round straight to float32 (no double rounding).
  read.clear();
  ASSERT_TRUE(ParseEmbeddingJson("[1.00000005960464477539062500001, 8e-46]", &read, &what))
      << what;
  EXPECT_EQ(read[0], 1.00000012f);
  EXPECT_EQ(read[1], 1e-45f);
}

TEST(RecordJsonTest, BadEmbeddingsAreRefusedAndLeaveTheOutputUnchanged) {
  for (const char* text : {"[1,\"oops\"]", "[1e39]", "[1,2", "{}", "[1,]", "[nan]"}) {
    std::vector<float> out = {7.0f};
    std::string what;
    EXPECT_FALSE(ParseEmbeddingJson(text, &out, &what)) << text;
    EXPECT_FALSE(what.empty()) << text;
    EXPECT_EQ(out, std::vector<float>{7.0f}) << text;
  }
}

CollectionInfo SampleInfo() {
  CollectionInfo info;
  info.name = "docs ☃";
  info.metadata = {{"description", std::string("tést")},
                   {"version", int64_t{3}},
                   {"weight", 1.0},
                   {"nothing", std::monostate()}};
  info.configuration_json = R"({"hnsw":{"space":"cosine","ef_search":100}})";
  info.space = DistanceSpace::kCosine;
  info.dimension = 384;
  return info;
}

TEST(RecordJsonTest, CollectionInfoRoundTripsWithCanonicalConfiguration) {
  std::string text;
  ASSERT_TRUE(AppendCollectionInfoJson(SampleInfo(), &text).ok());
  EXPECT_EQ(text,
            R"({"name":"docs ☃","metadata":{"description":"tést","nothing":null,)"
            R"("version":3,"weight":1.0},"configuration":{"hnsw":{"ef_search":100,)"
            R"("space":"cosine"}},"space":"cosine","dimension":384})");
  RecordJsonReader reader;
  Result<simdjson::dom::element> root = reader.Parse(text, "header");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  Result<CollectionInfo> info = CollectionInfoFromDom(*root, "_collection");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  const CollectionInfo want = SampleInfo();
  EXPECT_EQ(info->name, want.name);
  EXPECT_EQ(info->metadata, want.metadata);
  EXPECT_EQ(info->configuration_json, R"({"hnsw":{"ef_search":100,"space":"cosine"}})");
  EXPECT_EQ(info->space, want.space);
  EXPECT_EQ(info->dimension, want.dimension);
}

TEST(RecordJsonTest, DamagedCollectionInfoIsRefusedNamingTheField) {
  struct Case {
    const char* text;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({"name":"a","name":"b"})", "\"_collection\" has the key \"name\" twice"},
           Case{R"({"space":"l2"})", "\"_collection\" header has no \"name\""},
           Case{R"({"name":"a","space":"hamming"})", "\"_collection.space\" is \"hamming\""},
           Case{R"({"name":"a","dimension":-1})", "must be a non-negative integer"},
           Case{R"({"name":"a","dimension":1.5})", "must be a non-negative integer"},
           Case{R"({"name":"a","dimension":100000})", "is 100000, more than the 65536"},
           Case{R"({"name":"a","metadata":[1]})", "\"_collection.metadata\" is an array"},
           Case{R"({"name":"a","configuration":"x"})",
                "\"_collection.configuration\" is a string"},
           Case{R"({"name":7})", "\"_collection.name\" is a number"},
       }) {
    RecordJsonReader reader;
    Result<simdjson::dom::element> root = reader.Parse(c.text, "header");
    ASSERT_TRUE(root.ok()) << c.text;
    Result<CollectionInfo> info = CollectionInfoFromDom(*root, "_collection");
    EXPECT_EQ(info.status().code(), StatusCode::kCorruption) << c.text;
    EXPECT_THAT(info.status().message(), HasSubstr(c.expected)) << c.text;
  }
}

TEST(RecordJsonTest, CollectionInfoWithBadConfigurationOrNameIsNotWritten) {
  CollectionInfo info = SampleInfo();
  info.configuration_json = "[1]";
  std::string out;
  EXPECT_EQ(AppendCollectionInfoJson(info, &out).code(), StatusCode::kInvalidArgument);
  info.configuration_json = "{";
  EXPECT_EQ(AppendCollectionInfoJson(info, &out).code(), StatusCode::kInvalidArgument);
  info = SampleInfo();
  info.name = "bad \xff";
  EXPECT_EQ(AppendCollectionInfoJson(info, &out).code(), StatusCode::kInvalidArgument);
}

TEST(RecordJsonTest, NlohmannMetadataFollowsTheSameRules) {
  const Metadata metadata{{"i", int64_t{-7}}, {"d", 2.0}, {"s", std::string("☃")},
                          {"b", false}, {"n", std::monostate()}};
  Result<Metadata> back = JsonToMetadata(MetadataToJson(metadata), "manifest");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, metadata);
  Result<Metadata> nested =
      JsonToMetadata(nlohmann::json::parse(R"({"a":{"b":1}})"), "manifest");
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(nested->at("a"), MetadataValue(NestedJson{R"({"b":1})"}));
  const Metadata with_arrays{{"tags", MetadataArray{std::string("a"), std::string("b")}},
                             {"n", MetadataArray{int64_t{1}, 2.5}},
                             {"o", NestedJson{R"({"b":[1,null]})"}}};
  Result<Metadata> arrays_back = JsonToMetadata(MetadataToJson(with_arrays), "manifest");
  ASSERT_TRUE(arrays_back.ok()) << arrays_back.status().ToString();
  EXPECT_EQ(*arrays_back, with_arrays);
}

// Chroma 1.5's metadata lists: strings, ints, doubles and bools, written
// and read in order with the rules of single values.
TEST(RecordJsonTest, ArraysOfScalarsRoundTrip) {
  const Metadata metadata{
      {"tags", MetadataArray{std::string("a"), std::string("b\"\n")}},
      {"ints", MetadataArray{int64_t{1}, int64_t{-9007199254740993}}},
      {"floats", MetadataArray{1.0, 0.1, -2.5e-300}},
      {"flags", MetadataArray{true, false}},
      {"mixed", MetadataArray{int64_t{1}, 2.5, std::string("x")}},
      {"empty", MetadataArray{}}};
  for (MetadataDoubles doubles : {MetadataDoubles::kShortest, MetadataDoubles::kPlain}) {
    std::string text;
    ASSERT_TRUE(
        AppendMetadataJson(metadata, "record 'r'", MetadataNulls::kWrite, doubles, &text).ok());
    Result<Metadata> back = Read(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << " " << text;
    EXPECT_EQ(*back, metadata) << text;
  }
  std::string text;
  ASSERT_TRUE(AppendMetadataJson(Metadata{{"f", MetadataArray{1.0, int64_t{2}}}}, "record 'r'",
                                 MetadataNulls::kWrite, &text)
                  .ok());
  EXPECT_EQ(text, R"({"f":[1.0,2]})");
  EXPECT_EQ(MetadataTypeName(metadata.at("tags")), std::string("array<string>"));
  EXPECT_EQ(MetadataTypeName(metadata.at("ints")), std::string("array<int>"));
  EXPECT_EQ(MetadataTypeName(metadata.at("floats")), std::string("array<float>"));
  EXPECT_EQ(MetadataTypeName(metadata.at("flags")), std::string("array<bool>"));
  EXPECT_EQ(MetadataTypeName(metadata.at("mixed")), std::string("array<mixed>"));
  EXPECT_EQ(MetadataTypeName(metadata.at("empty")), std::string("array"));
  EXPECT_EQ(MetadataValueToString(metadata.at("tags")), "[\"a\", \"b\"\n\"]");
}

TEST(RecordJsonTest, ArrayElementsFollowTheValueRulesWhenWritten) {
  std::string out;
  Status s = AppendMetadataJson(
      Metadata{{"v", MetadataArray{1.0, std::numeric_limits<double>::infinity()}}},
      "record 'r3'", MetadataNulls::kWrite, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("record 'r3', metadata 'v' element 1"));
  out.clear();
  s = AppendMetadataJson(Metadata{{"t", MetadataArray{std::string("ok"), std::string("\xff")}}},
                         "record 'r4'", MetadataNulls::kWrite, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("record 'r4', metadata 't' element 1"));
}

// An object, or a list that holds more than scalars, no longer stops a
// read: it is nested JSON, kept as canonical text and written back as JSON.
TEST(RecordJsonTest, NestedValuesAreKeptAsNestedJson) {
  Result<Metadata> read = Read(R"({"o":{"z":1,"a":[true]},"l":[1,null],"ll":[[1]],"s":"x"})");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->at("o"), MetadataValue(NestedJson{R"({"a":[true],"z":1})"}));
  EXPECT_EQ(read->at("l"), MetadataValue(NestedJson{"[1,null]"}));
  EXPECT_EQ(read->at("ll"), MetadataValue(NestedJson{"[[1]]"}));
  EXPECT_EQ(MetadataTypeName(read->at("o")), std::string("nested"));
  std::string text;
  ASSERT_TRUE(AppendMetadataJson(*read, "record 'r'", MetadataNulls::kWrite, &text).ok());
  EXPECT_EQ(text, R"({"l":[1,null],"ll":[[1]],"o":{"a":[true],"z":1},"s":"x"})");
  Result<Metadata> again = Read(text);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *read);
  text.clear();
  EXPECT_EQ(AppendMetadataJson(Metadata{{"o", NestedJson{"{"}}}, "record 'r'",
                               MetadataNulls::kWrite, &text)
                .code(),
            StatusCode::kInvalidArgument);
}

// jsonb prints a number back with the digits it was given and no exponent,
// so a whole double must be written with its fraction to stay a double.
TEST(RecordJsonTest, PlainDoublesHaveNoExponentAndReadBackAsDoubles) {
  const std::vector<std::pair<double, std::string>> cases = {
      {1e18, "1000000000000000000.0"},
      {2.0, "2.0"},
      {0.25, "0.25"},
      {-1.5e-7, "-0.00000015"},
      {1e22, "1" + std::string(22, '0') + ".0"}};
  for (const auto& [value, text] : cases) {
    std::string out;
    AppendJsonDoublePlain(value, &out);
    EXPECT_EQ(out, text);
  }
  const Metadata metadata{{"big", 1e18},
                          {"tiny", 5e-324},
                          {"max", 1.7976931348623157e308},
                          {"i", int64_t{1000}}};
  std::string text;
  ASSERT_TRUE(AppendMetadataJson(metadata, "record 'r'", MetadataNulls::kWrite,
                                 MetadataDoubles::kPlain, &text)
                  .ok());
  EXPECT_EQ(text.find_first_of("eE"), std::string::npos) << text;
  Result<Metadata> back = Read(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, metadata);
  // The shortest form, for every other reader, keeps its exponent.
  text.clear();
  ASSERT_TRUE(
      AppendMetadataJson(metadata, "record 'r'", MetadataNulls::kWrite, &text)
          .ok());
  EXPECT_THAT(text, HasSubstr("1e+18"));
}

// PostgreSQL's columns are written by other tools: lists of scalars are
// arrays, other nested values are kept as JSON text (keys sorted), a repeated key takes its last value, and an
// integer beyond int64 is the nearest double.
TEST(RecordJsonTest, PostgresRulesKeepNestedValuesAndTheLastOfARepeatedKey) {
  const MetadataReadRules rules{LargeIntegers::kAsDouble,
                                NestedValues::kAsJsonText,
                                RepeatedKeys::kLastWins};
  const std::string text =
      R"({"arr": [1, 2.0, "x", {"z": 1, "a": null}], "obj": {"b": 0.5, "a": []},)"
      R"( "list": [1, 2.0, "x"],)"
      R"( "k": 1, "k": "last", "huge": 18446744073709551615})";
  RecordJsonReader reader;
  Result<simdjson::dom::element> root = reader.Parse(text, "meta");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  Result<Metadata> m = MetadataFromDom(*root, "meta", rules);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->at("arr"),
            MetadataValue(std::string(R"([1,2.0,"x",{"a":null,"z":1}])")));
  EXPECT_EQ(m->at("list"), MetadataValue(MetadataArray{int64_t{1}, 2.0, std::string("x")}));
  EXPECT_EQ(m->at("obj"), MetadataValue(std::string(R"({"a":[],"b":0.5})")));
  EXPECT_EQ(m->at("k"), MetadataValue(std::string("last")));
  EXPECT_EQ(m->at("huge"), MetadataValue(18446744073709551615.0));
  // The same text under the default rules is refused (the repeated key).
  Result<Metadata> strict = Read(text, LargeIntegers::kAsDouble);
  EXPECT_EQ(strict.status().code(), StatusCode::kCorruption);
  Result<Metadata> from_nlohmann = JsonToMetadata(
      nlohmann::json::parse(R"({"a":{"b":1}})"), "comment", rules);
  ASSERT_TRUE(from_nlohmann.ok()) << from_nlohmann.status().ToString();
  EXPECT_EQ(from_nlohmann->at("a"), MetadataValue(std::string(R"({"b":1})")));
}

// Manifests and snapshot info members build on this object and must stay
// byte-identical: the keys, a configuration kept as JSON, {} for text that
// is not JSON.
TEST(RecordJsonTest, CollectionInfoToJsonHasTheHeaderKeys) {
  CollectionInfo info = SampleInfo();
  info.configuration_json = R"({"hnsw":{"space":"l2"}})";
  const nlohmann::json j = CollectionInfoToJson(info);
  EXPECT_EQ(j.at("name"), info.name);
  EXPECT_EQ(j.at("configuration"),
            nlohmann::json::parse(info.configuration_json));
  EXPECT_EQ(j.at("space"), DistanceSpaceName(info.space));
  EXPECT_EQ(j.at("dimension"), info.dimension);
  Result<Metadata> metadata = JsonToMetadata(j.at("metadata"), "info");
  ASSERT_TRUE(metadata.ok()) << metadata.status().ToString();
  EXPECT_EQ(*metadata, info.metadata);
  EXPECT_EQ(j.size(), 5u);
  info.configuration_json = "not json";
  EXPECT_EQ(CollectionInfoToJson(info).at("configuration"),
            nlohmann::json::object());
}

}  // namespace
}  // namespace vecgate
