// Unit tests of the chroma:// adapter's parts that need no server: URI
// parsing, base64, request bodies and batch planning, and decoding of canned
// `get` answers (shaped like Chroma 1.0's). Tests against the real server are
// in tests/.
#include "stores/chroma_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "stores/base64.h"
#include "stores/chroma_page_decoder.h"
#include "stores/chroma_request_encoder.h"
#include "stores/http_client.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// ------------------------------------------------------------------- URIs

TEST(ChromaUriTest, HostAndPortUseDefaultTenantAndDatabase) {
  Result<ChromaUri> uri = ParseChromaUri("chroma://localhost:8000");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_FALSE(uri->tls);
  EXPECT_EQ(uri->host, "localhost");
  EXPECT_EQ(uri->port, 8000);
  EXPECT_EQ(uri->tenant, "default_tenant");
  EXPECT_EQ(uri->database, "default_database");
  EXPECT_EQ(uri->BaseUrl(), "http://localhost:8000");
  EXPECT_EQ(uri->ToString(),
            "chroma://localhost:8000/default_tenant/default_database");
}

TEST(ChromaUriTest, TenantDatabaseTlsAndIpv6) {
  Result<ChromaUri> uri =
      ParseChromaUri("chromas://db.example.com:443/acme/prod/");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_TRUE(uri->tls);
  EXPECT_EQ(uri->tenant, "acme");
  EXPECT_EQ(uri->database, "prod");
  EXPECT_EQ(uri->BaseUrl(), "https://db.example.com:443");

  Result<ChromaUri> v6 = ParseChromaUri("chroma://[::1]:8001");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->host, "[::1]");
  EXPECT_EQ(v6->BaseUrl(), "http://[::1]:8001");
}

TEST(ChromaUriTest, MalformedUrisSayTheExpectedForm) {
  for (const char* bad :
       {"chroma://localhost", "chroma://localhost:", "chroma://localhost:http",
        "chroma://localhost:0", "chroma://localhost:70000", "chroma://:8000",
        "chroma://h:8000/only_tenant", "chroma://h:8000/t/d/extra",
        "chroma://h:8000//d", "chroma://h:8000/t/d?x=1", "ftp://h:8000",
        "chroma:/h:8000", "http://h:8000/api/v2",
        "chroma://h:8000/t\x1b]0;x\x07/d"}) {
    Result<ChromaUri> uri = ParseChromaUri(bad);
    ASSERT_FALSE(uri.ok()) << bad;
    EXPECT_EQ(uri.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(uri.status().message(),
                HasSubstr("chroma://HOST:PORT[/TENANT/DATABASE]"))
        << bad;
  }
}

// Chroma's clients and CHROMADB_URL write http(s)://HOST:PORT; those name
// the same server as chroma:// and chromas://.
TEST(ChromaUriTest, HttpAndHttpsAreChromaUris) {
  Result<ChromaUri> plain = ParseChromaUri("http://127.0.0.1:8000");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->scheme, "http");
  EXPECT_EQ(plain->ToString(),
            "chroma://127.0.0.1:8000/default_tenant/default_database");
  Result<ChromaUri> tls = ParseChromaUri("https://db.example.com/acme/prod");
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, 443);
  EXPECT_EQ(tls->tenant, "acme");
  EXPECT_EQ(tls->BaseUrl(), "https://db.example.com:443");
  EXPECT_EQ(ParseChromaUri("http://h")->port, 80);
  EXPECT_EQ(ParseChromaUri("HTTP://h:9/t/d")->database, "d");
}

// Chroma 1.5 takes one '+' between a topology and a name, in collection
// and database names alike; two, or an empty or short part, are refused.
TEST(ChromaUriTest, NamesWithOnePlusAreValid) {
  Result<ChromaUri> uri = ParseChromaUri("chroma://h:8000/default_tenant/topo+prod");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(uri->database, "topo+prod");
  EXPECT_FALSE(ParseChromaUri("chroma://h:8000/t/a+b+c").ok());
  EXPECT_FALSE(ParseChromaUri("chroma://h:8000/t/+db").ok());
  EXPECT_TRUE(IsValidChromaCollectionName("topo+docs"));
  EXPECT_TRUE(IsValidChromaCollectionName("a.b+docs"));
  for (const char* bad : {"a+docs", "+docs", "docs+", "t1+t2+docs", "-x+docs", "x y+docs"}) {
    EXPECT_FALSE(IsValidChromaCollectionName(bad)) << bad;
  }
}

// The malformed URI is shown escaped: terminal controls in it cannot reach
// the terminal.
TEST(ChromaUriTest, MalformedUriIsEchoedWithoutControls) {
  Result<ChromaUri> uri = ParseChromaUri("chroma://h:8000/t\x1b[31m/d");
  ASSERT_FALSE(uri.ok());
  EXPECT_THAT(uri.status().message(), Not(HasSubstr("\x1b")));
  EXPECT_THAT(uri.status().message(), HasSubstr("\\x1B[31m"));
}

TEST(ChromaUriTest, CredentialsInUriAreRefusedWithoutEchoingThem) {
  for (const char* bad : {"chroma://admin:s3cr3t-pw@localhost:8000",
                          "chromas://s3cr3t-pw@localhost:8000/t/d"}) {
    Result<ChromaUri> uri = ParseChromaUri(bad);
    ASSERT_FALSE(uri.ok());
    EXPECT_EQ(uri.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(uri.status().message(), HasSubstr("CHROMA_TOKEN"));
    EXPECT_THAT(uri.status().message(), Not(HasSubstr("s3cr3t-pw")));
  }
}

TEST(ChromaUriTest, CreateDatabaseUriKeepsServerAndTenant) {
  Result<std::string> uri = ChromaStore::CreateDatabaseUri(
      "chroma://127.0.0.1:9000/acme/prod", "scratch");
  ASSERT_TRUE(uri.ok()) << uri.status().ToString();
  EXPECT_EQ(*uri, "chroma://127.0.0.1:9000/acme/scratch");
  EXPECT_FALSE(ChromaStore::CreateDatabaseUri("chroma://h:1", "a/b").ok());
}

TEST(ChromaCollectionNameTest, FollowsChromaRules) {
  EXPECT_TRUE(IsValidChromaCollectionName("docs"));
  EXPECT_TRUE(IsValidChromaCollectionName("my.docs_v2-old"));
  EXPECT_FALSE(IsValidChromaCollectionName("ab"));       // too short
  EXPECT_FALSE(IsValidChromaCollectionName("_docs"));    // starts with _
  EXPECT_FALSE(IsValidChromaCollectionName("docs-"));    // ends with -
  EXPECT_FALSE(IsValidChromaCollectionName("my docs"));  // space
  EXPECT_FALSE(IsValidChromaCollectionName("a/b/c"));    // path
  EXPECT_FALSE(IsValidChromaCollectionName(std::string(513, 'a')));
}

// Opening a store on a port where nothing listens fails as Unavailable with
// a hint, and never shows the token taken from the environment.
TEST(ChromaStoreOpenTest, UnreachableServerIsUnavailableWithHintAndNoToken) {
  // Find a port nobody listens on: bind, read the port, close.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  close(fd);

  setenv("CHROMA_TOKEN", "tok-SECRET-123", 1);
  OpenOptions options;
  options.max_retries = 0;
  options.timeout_seconds = 2;
  const std::string uri = "chroma://127.0.0.1:" + std::to_string(port);
  Result<std::unique_ptr<Store>> store = OpenChromaStore(uri, options);
  unsetenv("CHROMA_TOKEN");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(),
              HasSubstr("is the server running at 127.0.0.1:" +
                        std::to_string(port) + "?"));
  EXPECT_THAT(store.status().message(), HasSubstr("GET /api/v2/heartbeat"));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("SECRET")));
}

TEST(HttpErrorTest, NamesMethodPathStatusAndChromaMessage) {
  const std::string message = DescribeHttpError(
      HttpMethod::kPost, "/api/v2/x/add", 400,
      R"({"error":"InvalidArgumentError","message":"Collection expecting embedding with dimension of 3, got 2"})");
  EXPECT_EQ(message,
            "POST /api/v2/x/add: HTTP 400 InvalidArgumentError: Collection "
            "expecting embedding with dimension of 3, got 2");
  EXPECT_EQ(DescribeHttpError(HttpMethod::kGet, "/p", 502, "Bad Gateway"),
            "GET /p: HTTP 502: Bad Gateway");
}

// Server text is escaped, cut, and has the client's credentials redacted;
// an HTML page is summarised, not dumped.
TEST(HttpErrorTest, ServerTextIsEscapedCutAndRedacted) {
  const std::string hostile =
      R"({"error":"Bad\u001b]0;pwned\u0007","message":"you sent x-chroma-token: tok-SECRET and \u001b[31mred )" +
      std::string(5000, 'x') + R"("})";
  const std::string message = DescribeHttpError(
      HttpMethod::kGet, "/api/v2/heartbeat", 400, hostile, {"tok-SECRET"});
  EXPECT_THAT(message, Not(HasSubstr("\x1b")));
  EXPECT_THAT(message, Not(HasSubstr("\x07")));
  EXPECT_THAT(message, HasSubstr("\\x1B]0;pwned\\x07"));
  EXPECT_THAT(message, Not(HasSubstr("tok-SECRET")));
  EXPECT_THAT(message, HasSubstr("x-chroma-token: ***"));
  EXPECT_LT(message.size(), 600u);

  const std::string html =
      "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
      "<body><h1>Not Found</h1>" + std::string(10000, 'y') + "</body></html>";
  const std::string summary = DescribeHttpError(
      HttpMethod::kGet, "/api/v2/heartbeat", 404, html, {}, "http://10.0.0.5:80");
  EXPECT_THAT(summary, HasSubstr("the server at http://10.0.0.5:80 answered"));
  EXPECT_THAT(summary, HasSubstr("HTTP 404 with an HTML page ('404 Not Found')"));
  EXPECT_THAT(summary, HasSubstr("is this a Chroma server?"));
  EXPECT_THAT(summary, Not(HasSubstr("yyyy")));
  EXPECT_THAT(summary, Not(HasSubstr("\n")));
}

// ----------------------------------------------------------------- Base64

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    std::string out(Base64EncodedSize(plain.size()), '\0');
    EXPECT_EQ(Base64Encode(reinterpret_cast<const uint8_t*>(plain.data()),
                           plain.size(), out.data()),
              encoded.size());
    EXPECT_EQ(out, encoded);
    Result<std::vector<uint8_t>> decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(std::string(decoded->begin(), decoded->end()), plain);
  }
}

TEST(Base64Test, Float32IsLittleEndian) {
  // struct.pack('<f', 1.0) == b'\x00\x00\x80\x3f'
  const float one = 1.0f;
  std::string out;
  AppendBase64Float32(&one, 1, &out);
  EXPECT_EQ(out, "AACAPw==");
}

TEST(Base64Test, Float32RoundTripIsBitExactIncludingSpecialValues) {
  std::vector<float> values = {0.0f,
                               -0.0f,
                               1.0f,
                               -2.25f,
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::infinity(),
                               std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any_bits;
  for (int i = 0; i < 5000; ++i) {
    const uint32_t b = any_bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    values.push_back(f);
  }
  for (size_t dim : {size_t{1}, size_t{2}, size_t{3}, size_t{1536}}) {
    std::string text;
    AppendBase64Float32(values.data(), dim, &text);
    EXPECT_EQ(text.size(), Base64EncodedSize(dim * 4));
    Result<std::vector<float>> back = Base64DecodeFloat32(text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->size(), dim);
    for (size_t k = 0; k < dim; ++k) {
      EXPECT_EQ(Bits((*back)[k]), Bits(values[k])) << "component " << k;
    }
  }
}

TEST(Base64Test, RejectsBadText) {
  EXPECT_FALSE(Base64Decode("Zm9").ok());          // length
  EXPECT_FALSE(Base64Decode("Zm$v").ok());         // alphabet
  EXPECT_FALSE(Base64Decode("Z=9v").ok());         // padding inside
  EXPECT_FALSE(Base64DecodeFloat32("Zm9v").ok());  // 3 bytes: not floats
}

// ------------------------------------------------------- Request encoding

TEST(JsonEncodingTest, StringsEscapeControlCharactersAndKeepUtf8) {
  const std::string text =
      "quote \" backslash \\ nl \n tab \t bell \x07 é 漢 😀";
  std::string out;
  AppendJsonString(text, &out);
  EXPECT_EQ(out.size(), JsonStringSize(text));
  EXPECT_THAT(out, HasSubstr("\\u0007"));
  EXPECT_THAT(out, HasSubstr("é 漢 😀"));  // UTF-8 passes through
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), text);
  EXPECT_TRUE(IsValidUtf8(text));
  EXPECT_FALSE(IsValidUtf8("bad \xC3\x28"));
}

TEST(JsonEncodingTest, DoublesStayFloatsAndRoundTrip) {
  for (double d : {1.0, 0.5, -3.0, 1e300, 0.1, 123456789.125, -0.0}) {
    std::string out;
    AppendJsonDouble(d, &out);
    const auto parsed = nlohmann::json::parse(out);
    EXPECT_TRUE(parsed.is_number_float()) << out;
    EXPECT_EQ(parsed.get<double>(), d) << out;
  }
  std::string one;
  AppendJsonDouble(1.0, &one);
  EXPECT_EQ(one, "1.0");
}

TEST(JsonEncodingTest, MetadataDropsNullsAndRejectsNonFinite) {
  Metadata metadata{{"b", true},
                    {"i", int64_t{7}},
                    {"f", 1.0},
                    {"n", std::monostate()},
                    {"s", std::string("x\"y")}};
  std::string out;
  ASSERT_TRUE(AppendMetadataJson(metadata, "record 'r1'", &out).ok());
  EXPECT_EQ(out, R"({"b":true,"f":1.0,"i":7,"s":"x\"y"})");

  out.clear();
  ASSERT_TRUE(AppendMetadataJson(Metadata{}, "record 'r1'", &out).ok());
  EXPECT_EQ(out, "null");  // Chroma refuses {}

  out.clear();
  Status s = AppendMetadataJson(
      Metadata{{"score", std::numeric_limits<double>::quiet_NaN()}},
      "record 'r9'", &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("record 'r9'"));
  EXPECT_THAT(s.message(), HasSubstr("score"));
}

RecordBatch MakeBatch(size_t rows, size_t dim, size_t document_chars) {
  RecordBatch batch;
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<float> embedding(dim);
  for (size_t i = 0; i < rows; ++i) {
    for (float& v : embedding) v = unit(rng);
    char id[32];
    std::snprintf(id, sizeof(id), "r%06zu", i + 1);
    std::optional<std::string> document;
    if (i % 3 != 1) document = std::string(document_chars, 'a' + i % 26);
    std::optional<Metadata> metadata;
    if (i % 4 != 2) {
      metadata = Metadata{{"row", static_cast<int64_t>(i)},
                          {"score", 0.25 * static_cast<double>(i)},
                          {"lang", std::string("en")},
                          {"flag", i % 2 == 0}};
    }
    batch.Add(id, document, metadata, embedding.data(), dim);
  }
  return batch;
}

TEST(AddBodyTest, BodyCarriesEveryColumnExactly) {
  const RecordBatch batch = MakeBatch(5, 7, 10);
  std::string body;
  ASSERT_TRUE(BuildAddBody(batch, 1, 4, &body).ok());
  const auto json = nlohmann::json::parse(body);
  ASSERT_EQ(json["ids"].size(), 3u);
  EXPECT_EQ(json["ids"][0], "r000002");
  EXPECT_TRUE(json["documents"][0].is_null());  // row 1 has no document
  EXPECT_EQ(json["documents"][1], std::string(10, 'c'));
  EXPECT_TRUE(json["metadatas"][1].is_null());  // row 2 has no metadata
  EXPECT_TRUE(json["metadatas"][0]["row"].is_number_integer());
  EXPECT_TRUE(json["metadatas"][0]["score"].is_number_float());
  for (size_t r = 0; r < 3; ++r) {
    Result<std::vector<float>> floats =
        Base64DecodeFloat32(json["embeddings"][r].get<std::string>());
    ASSERT_TRUE(floats.ok());
    ASSERT_EQ(floats->size(), 7u);
    for (size_t k = 0; k < 7; ++k) {
      EXPECT_EQ(Bits((*floats)[k]), Bits(batch.embedding(1 + r)[k]));
    }
  }
}

TEST(AddBodyTest, RowWithoutEmbeddingOrBadUtf8IsRefusedByName) {
  RecordBatch batch;
  const float v[2] = {1, 2};
  batch.Add("ok", std::nullopt, std::nullopt, v, 2);
  batch.Add("no-embedding", std::nullopt, std::nullopt, nullptr, 0);
  std::string body;
  Status s = BuildAddBody(batch, 0, 2, &body);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("no-embedding"));

  RecordBatch bad_text;
  bad_text.Add("bad-doc", std::string("\xFF\xFE"), std::nullopt, v, 2);
  s = BuildAddBody(bad_text, 0, 1, &body);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("bad-doc"));
  EXPECT_THAT(s.message(), HasSubstr("UTF-8"));
}

// Lists go into the add body as JSON arrays; what Chroma would refuse or
// drop in metadata is refused by name before a body is built.
TEST(AddBodyTest, ListsAreArraysAndMetadataChromaRefusesIsNamed) {
  RecordBatch batch;
  const float v[2] = {1, 2};
  batch.Add("tags", std::nullopt,
            Metadata{{"t", MetadataArray{std::string("a"), std::string("b")}},
                     {"n", MetadataArray{int64_t{1}, 2.5}}},
            v, 2);
  std::string body;
  ASSERT_TRUE(BuildAddBody(batch, 0, 1, &body).ok());
  EXPECT_THAT(body, HasSubstr(R"("metadatas":[{"n":[1,2.5],"t":["a","b"]}])"));
  for (const auto& [id, metadata] : std::vector<std::pair<std::string, Metadata>>{
           {"hash-key", {{"#document", int64_t{1}}}},
           {"dollar-key", {{"$in", int64_t{1}}}},
           {"empty-key", {{"", int64_t{1}}}},
           {"nested", {{"o", NestedJson{R"({"a":1})"}}}},
           {"empty-list", {{"t", MetadataArray{}}}},
           {"mixed-list", {{"t", MetadataArray{true, std::string("x")}}}}}) {
    RecordBatch one;
    one.Add(id, std::nullopt, metadata, v, 2);
    Status s = BuildAddBody(one, 0, 1, &body);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(s.message(), HasSubstr("record '" + id + "'"));
    Status all = CheckChromaMetadata(one, "docs");
    EXPECT_EQ(all.code(), StatusCode::kInvalidArgument) << id;
    EXPECT_THAT(all.message(), HasSubstr("1 record of collection 'docs'"));
  }
}

TEST(BatchPlanTest, RangesRespectByteBudgetAndRecordLimitAndCoverAllRows) {
  const RecordBatch batch = MakeBatch(100, 1536, 300);
  // One record is about 8.2 KB of base64 plus its document and metadata.
  const size_t budget = 50 * 1024;
  for (size_t max_records : {size_t{1000}, size_t{4}}) {
    Result<std::vector<AddBatchRange>> plan =
        PlanAddBatches(batch, max_records, budget);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_FALSE(plan->empty());
    size_t next = 0;
    std::string body;
    for (const AddBatchRange& range : *plan) {
      EXPECT_EQ(range.begin, next);
      EXPECT_GT(range.end, range.begin);
      EXPECT_LE(range.end - range.begin, max_records);
      EXPECT_LE(range.body_bytes, budget);
      ASSERT_TRUE(BuildAddBody(batch, range.begin, range.end, &body).ok());
      EXPECT_EQ(body.size(), range.body_bytes);  // the plan is exact
      next = range.end;
    }
    EXPECT_EQ(next, batch.size());
    if (max_records == 1000) {
      // Budget-bound: no range but the last could have taken one more row.
      EXPECT_GT(plan->size(), 10u);
      for (size_t r = 0; r + 1 < plan->size(); ++r) {
        Result<size_t> next_row = AddRecordJsonSize(batch, (*plan)[r].end);
        ASSERT_TRUE(next_row.ok());
        // One more row adds its JSON and a comma in each of the 4 arrays.
        EXPECT_GT((*plan)[r].body_bytes + *next_row + 4, budget);
      }
    } else {
      EXPECT_EQ(plan->size(), 25u);
    }
  }
}

TEST(BatchPlanTest, RecordLargerThanBudgetGetsItsOwnRange) {
  const RecordBatch batch = MakeBatch(3, 1536, 10);
  Result<std::vector<AddBatchRange>> plan = PlanAddBatches(batch, 100, 1000);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*plan)[i].begin, i);
    EXPECT_EQ((*plan)[i].end, i + 1);
  }
}

// --------------------------------------------------------- Page decoding

// An answer as Chroma 1.0 sends it (captured from the real server).
constexpr char kChromaPage[] =
    R"({"ids":["a","b","c"],"embeddings":[[1.0,0.5,-2.25],[0.1,0.2,0.3],)"
    R"([1e-3,-0.0,3.4028235e38]],"documents":["doc \"a\"\n\u0001é",null,"c"],)"
    R"("uris":null,"metadatas":[{"t":true,"big":12345678901234,"x":1,"y":1.0,)"
    R"("z":0.5,"s":"str","e":1e300,"n":null},null,{}],)"
    R"("include":["embeddings","documents","metadatas"]})";

class PageDecoderTest : public ::testing::Test {
 protected:
  Status Decode(std::string body, const Include& include, RecordBatch* out,
                size_t* rows, int64_t offset = 2000) {
    PageContext context;
    context.collection = "docs";
    context.offset = offset;
    return decoder_.Decode(body, include, context, out, rows);
  }
  ChromaPageDecoder decoder_;
};

TEST_F(PageDecoderTest, DecodesEveryColumn) {
  RecordBatch batch;
  size_t rows = 0;
  Status s = Decode(kChromaPage, Include(), &batch, &rows);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(rows, 3u);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.ids(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(batch.UniformDimension(), 3u);
  EXPECT_EQ(batch.embedding(0)[2], -2.25f);
  EXPECT_EQ(batch.embedding(1)[0], 0.1f);
  EXPECT_EQ(Bits(batch.embedding(2)[1]), Bits(-0.0f));
  EXPECT_EQ(batch.embedding(2)[2], 3.4028235e38f);
  EXPECT_EQ(*batch.document(0), "doc \"a\"\n\x01\xC3\xA9");
  EXPECT_FALSE(batch.document(1).has_value());

  const Metadata& m = *batch.metadata(0);
  EXPECT_EQ(std::get<bool>(m.at("t")), true);
  EXPECT_EQ(std::get<int64_t>(m.at("big")), 12345678901234);
  EXPECT_EQ(std::get<int64_t>(m.at("x")), 1);   // 1 is an int
  EXPECT_EQ(std::get<double>(m.at("y")), 1.0);  // 1.0 stays a float
  EXPECT_EQ(std::get<double>(m.at("z")), 0.5);
  EXPECT_EQ(std::get<double>(m.at("e")), 1e300);
  EXPECT_EQ(std::get<std::string>(m.at("s")), "str");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(m.at("n")));
  EXPECT_FALSE(batch.metadata(1).has_value());
  EXPECT_TRUE(batch.metadata(2).has_value());
  EXPECT_TRUE(batch.metadata(2)->empty());
}

// Chroma 1.5 answers lists; an object (from some other writer) is read as
// nested JSON rather than failing the page.
TEST_F(PageDecoderTest, ListsAndNestedValuesAreRead) {
  const std::string body =
      R"({"ids":["a"],"embeddings":null,"documents":null,"uris":null,)"
      R"("metadatas":[{"tags":["x","y"],"nums":[1.0,2.5],"o":{"k":1}}],"include":["metadatas"]})";
  RecordBatch batch;
  size_t rows = 0;
  Status s = Decode(body, Include{false, true, false}, &batch, &rows);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(rows, 1u);
  const Metadata& m = *batch.metadata(0);
  EXPECT_EQ(m.at("tags"), MetadataValue(MetadataArray{std::string("x"), std::string("y")}));
  EXPECT_EQ(m.at("nums"), MetadataValue(MetadataArray{1.0, 2.5}));
  EXPECT_EQ(m.at("o"), MetadataValue(NestedJson{R"({"k":1})"}));
}

TEST_F(PageDecoderTest, AppendsAfterExistingRows) {
  RecordBatch batch;
  const float v[3] = {9, 9, 9};
  batch.Add("first", std::nullopt, std::nullopt, v, 3);
  size_t rows = 0;
  ASSERT_TRUE(Decode(kChromaPage, Include(), &batch, &rows).ok());
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch.id(0), "first");
  EXPECT_EQ(batch.id(1), "a");
  EXPECT_EQ(batch.embedding(1)[0], 1.0f);
  EXPECT_EQ(*batch.document(3), "c");
  EXPECT_EQ(batch.UniformDimension(), 3u);
}

TEST_F(PageDecoderTest, ColumnsNotIncludedAreAbsent) {
  Include ids_only;
  ids_only.embeddings = ids_only.documents = ids_only.metadatas = false;
  RecordBatch batch;
  size_t rows = 0;
  Status s = Decode(
      R"({"ids":["c","d"],"embeddings":null,"documents":null,"uris":null,"metadatas":null,"include":[]})",
      ids_only, &batch, &rows);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.id(1), "d");
  EXPECT_FALSE(batch.has_embedding(0));
  EXPECT_FALSE(batch.document(1).has_value());
  EXPECT_FALSE(batch.metadata(1).has_value());
}

TEST_F(PageDecoderTest, EmptyPage) {
  RecordBatch batch;
  size_t rows = 7;
  ASSERT_TRUE(
      Decode(
          R"({"ids":[],"embeddings":[],"documents":[],"uris":null,"metadatas":[],"include":["embeddings","documents","metadatas"]})",
          Include(), &batch, &rows)
          .ok());
  EXPECT_EQ(rows, 0u);
  EXPECT_TRUE(batch.empty());
}

TEST_F(PageDecoderTest, ShortestFloatTextRoundTripsBitExactly) {
  // Chroma prints each float32 with the shortest text that reads back to it.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::vector<float> values(4096);
  std::string body = R"({"ids":["r"],"embeddings":[[)";
  for (size_t k = 0; k < values.size(); ++k) {
    values[k] = unit(rng) * std::pow(10.0f, static_cast<float>(k % 9) - 4);
    char text[32];
    auto end = std::to_chars(text, text + sizeof(text), values[k]).ptr;
    if (k > 0) body += ',';
    body.append(text, end);
  }
  body += R"(]],"documents":[null],"metadatas":[null]})";
  RecordBatch batch;
  size_t rows = 0;
  ASSERT_TRUE(Decode(body, Include(), &batch, &rows).ok());
  ASSERT_EQ(batch.embedding_size(0), values.size());
  for (size_t k = 0; k < values.size(); ++k) {
    ASSERT_EQ(Bits(batch.embedding(0)[k]), Bits(values[k])) << k;
  }
}

TEST_F(PageDecoderTest, NumberFormsAndWhitespaceReadLikeStrtod) {
  const std::vector<std::string> texts = {
      "0",
      "-0.0",
      "1e-7",
      "1.5E+3",
      "-2.5e-45",
      "3.4028235e38",
      "0.000123456789",
      "123456789012345678",
      "1e39",
      "0.1000000000000000055511151231257827",
      "7.006492e-46"};
  std::string body = R"({"ids":["r"],"embeddings":[[ )";
  for (size_t k = 0; k < texts.size(); ++k) {
    body += (k ? " , " : "") + texts[k];
  }
  body += R"( ]],"documents":[null],"metadatas":[null]})";
  RecordBatch batch;
  size_t rows = 0;
  Status s = Decode(body, Include(), &batch, &rows);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batch.embedding_size(0), texts.size());
  for (size_t k = 0; k < texts.size(); ++k) {
    const float expected =
        static_cast<float>(std::strtod(texts[k].c_str(), nullptr));
    EXPECT_EQ(Bits(batch.embedding(0)[k]), Bits(expected)) << texts[k];
  }
}

void ExpectCorruption(const Status& s, const std::string& what) {
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("collection 'docs'"));
  EXPECT_THAT(s.message(), HasSubstr("offset 2000"));
  EXPECT_THAT(s.message(), HasSubstr(what));
}

TEST_F(PageDecoderTest, MalformedAnswersAreCorruptionWithWhereAndWhat) {
  RecordBatch batch;
  size_t rows = 0;
  ExpectCorruption(
      Decode(R"({"ids":["a"],"embeddings":[[1.0,)", Include(), &batch, &rows),
      "");
  batch.Clear();
  ExpectCorruption(Decode("<html>Bad Gateway</html>", Include(), &batch, &rows),
                   "JSON");
  batch.Clear();
  ExpectCorruption(
      Decode(R"({"embeddings":[[1.0]],"documents":[null],"metadatas":[null]})",
             Include(), &batch, &rows),
      "\"ids\"");
  batch.Clear();
  ExpectCorruption(
      Decode(
          R"({"ids":["a","b","c"],"embeddings":[[1.0],[2.0]],"documents":[null,null,null],"metadatas":[null,null,null]})",
          Include(), &batch, &rows),
      "\"embeddings\" has 2 rows but \"ids\" has 3");
  batch.Clear();
  ExpectCorruption(
      Decode(
          R"({"ids":["a"],"embeddings":null,"documents":[null],"metadatas":[null]})",
          Include(), &batch, &rows),
      "\"embeddings\" is missing");
  batch.Clear();
  ExpectCorruption(
      Decode(
          R"({"ids":["a"],"embeddings":[[1.0,"x"]],"documents":[null],"metadatas":[null]})",
          Include(), &batch, &rows),
      "embedding row 0");
  batch.Clear();
  ExpectCorruption(
      Decode(
          R"({"ids":["a"],"embeddings":[[1.0]],"documents":[null],"metadatas":[[{"k":1}]]})",
          Include(), &batch, &rows),
      "metadata 0 is neither an object nor null");
  batch.Clear();
  ExpectCorruption(
      Decode(R"({"ids":[1],"embeddings":[[1.0]]})", Include(), &batch, &rows),
      "id");
}

// A page with a column twice would give more records than ids (2 ids, 4
// records before this was refused).
TEST_F(PageDecoderTest, RepeatedKeysAreCorruption) {
  RecordBatch batch;
  size_t rows = 0;
  ExpectCorruption(
      Decode(R"({"ids":["a","b"],"embeddings":[[1.0],[2.0]],"embeddings":[[3.0],[4.0]],)"
             R"("documents":[null,null],"metadatas":[null,null]})",
             Include(), &batch, &rows),
      "the key \"embeddings\" twice");
  batch.Clear();
  ExpectCorruption(
      Decode(R"({"ids":["a"],"ids":["b"],"embeddings":[[1.0]],"documents":[null],"metadatas":[null]})",
             Include(), &batch, &rows),
      "the key \"ids\" twice");
  batch.Clear();
  ExpectCorruption(
      Decode(R"({"ids":["a"],"embeddings":[[1.0]],"documents":["x"],"documents":["y"],"metadatas":[null]})",
             Include(), &batch, &rows),
      "the key \"documents\" twice");
  batch.Clear();
  ExpectCorruption(
      Decode(R"({"ids":["a"],"embeddings":[[1.0]],"documents":[null],"metadatas":[{"k":1,"k":2}]})",
             Include(), &batch, &rows),
      "metadata 0 has the key 'k' twice");
  batch.Clear();
  // Columns with fewer or more rows than ids.
  ExpectCorruption(
      Decode(R"({"ids":["a","b"],"embeddings":[[1.0],[2.0]],"documents":[null],"metadatas":[null,null]})",
             Include(), &batch, &rows),
      "\"documents\" has 1 rows but \"ids\" has 2");
  batch.Clear();
  ExpectCorruption(
      Decode(R"({"ids":["a"],"embeddings":[[1.0]],"documents":[null],"metadatas":[null,null,null]})",
             Include(), &batch, &rows),
      "\"metadatas\" has 3 rows but \"ids\" has 1");
}

TEST_F(PageDecoderTest, DeepNestingAndHugeRowsAreRefused) {
  RecordBatch batch;
  size_t rows = 0;
  std::string deep = R"({"ids":["a"],"embeddings":[[1.0]],"documents":[null],"metadatas":[null],"x":)";
  deep += std::string(100, '[') + std::string(100, ']') + "}";
  ExpectCorruption(Decode(deep, Include(), &batch, &rows), "too deep");
  EXPECT_FALSE(JsonDepthWithin(deep, kMaxJsonDepth));
  EXPECT_TRUE(JsonDepthWithin(kChromaPage, kMaxJsonDepth));
  EXPECT_TRUE(JsonDepthWithin(R"(["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]"])", 2));
  batch.Clear();
  // One row longer than kMaxDimension: refused, not reserved.
  std::string wide = R"({"ids":["a"],"embeddings":[[)";
  for (int64_t i = 0; i <= kMaxDimension; ++i) wide += i ? ",0" : "0";
  wide += R"(]],"documents":[null],"metadatas":[null]})";
  ExpectCorruption(Decode(wide, Include(), &batch, &rows), "more than the 65536");
  batch.Clear();
  // A first row of 60,000 components followed by 200,000 empty rows would
  // have reserved 12e9 floats; the body bounds the reservation instead.
  std::string many = R"({"ids":[],"embeddings":[[)";
  for (int i = 0; i < 60000; ++i) many += i ? ",0" : "0";
  many += "]";
  for (int i = 0; i < 200000; ++i) many += ",[]";
  many += R"(],"documents":null,"metadatas":null})";
  ExpectCorruption(Decode(many, Include(), &batch, &rows),
                   "\"embeddings\" has 200001 rows but \"ids\" has 0");
  EXPECT_LT(batch.values().capacity(), many.size());
}

}  // namespace
}  // namespace vecgate
