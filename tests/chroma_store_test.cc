// The chroma:// adapter against the real server: batching limits, bad input
// (unreachable server, garbage answers, HTTP errors, a server that dies
// mid-stream) and credentials that must never be printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "stores/chroma_store.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

RecordBatch Records(size_t n, size_t d) {
  RecordBatch b;
  b.Reserve(n, d);
  std::vector<float> e(d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < d; ++k) e[k] = static_cast<float>((i * 31 + k * 7) % 97) / 97.0f;
    b.Add("id-" + std::to_string(i), std::nullopt,
          Metadata{{"i", static_cast<int64_t>(i)}}, e.data(), d);
  }
  return b;
}

CollectionInfo Info(const std::string& name) {
  CollectionInfo info;
  info.name = name;
  info.space = DistanceSpace::kCosine;
  return info;
}

int FreePort() {
  std::string out;
  RunCommand("node -e \"const s=require('net').createServer();s.listen(0,'127.0.0.1',"
             "()=>{console.log(s.address().port);s.close()})\"",
             &out);
  return std::atoi(out.c_str());
}

TEST(ChromaStoreTest, AddSplitsAboveTheServersMaxBatchSize) {
  auto store = ChromaTestServer::Get().NewDatabase("batch");
  auto* chroma = dynamic_cast<ChromaStore*>(store.get());
  ASSERT_NE(chroma, nullptr);
  ASSERT_GT(chroma->max_batch_size(), 0);
  const size_t n = static_cast<size_t>(chroma->max_batch_size()) + 539;
  ASSERT_TRUE(store->CreateCollection(Info("many_records")).ok());
  Status s = store->Add("many_records", Records(n, 4));
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(*store->Count("many_records"), static_cast<int64_t>(n));
}

// A configuration read from Chroma 1.5 keeps the collection's schema (see
// ChromaStore::ListCollections); the pinned 1.0 ignores a schema, so the
// collection is made again from the configuration: the space and the
// embedding function still arrive.
TEST(ChromaStoreTest, ASchemaTheServerIgnoresFallsBackToTheConfiguration) {
  if (testutil::TestingChroma15()) {
    GTEST_SKIP() << "Chroma 1.5.9 keeps a collection's schema; this is the fallback for "
                    "1.0.19, which ignores it (CollectionConfigurationIsCarriedWhole covers 1.5)";
  }
  auto store = ChromaTestServer::Get().NewDatabase("schema_fallback");
  CollectionInfo info;
  info.name = "with_schema";
  info.space = DistanceSpace::kIp;
  info.configuration_json =
      R"({"hnsw":{"space":"ip","ef_search":64},"embedding_function":{"type":"known",)"
      R"("name":"openai","config":{"model_name":"m"}},"schema":{"defaults":{},"keys":)"
      R"({"#embedding":{"float_list":{"vector_index":{"enabled":true,"config":{"space":"l2"}}}}}}})";
  ASSERT_TRUE(store->CreateCollection(info).ok());
  auto read = store->GetCollection("with_schema");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->space, DistanceSpace::kIp);
  EXPECT_THAT(read->configuration_json, HasSubstr(R"("ef_search":64)"));
  EXPECT_THAT(read->configuration_json, HasSubstr(R"("name":"openai")"));
  auto list = store->ListCollections();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST(ChromaStoreTest, AddSplitsBatchesByTheByteBudget) {
  auto store = ChromaTestServer::Get().NewDatabase("budget");
  auto* chroma = dynamic_cast<ChromaStore*>(store.get());
  chroma->set_add_body_budget(64 * 1024);  // forces many small requests
  CollectionInfo info = Info("wide_records");
  info.space = DistanceSpace::kL2;  // l2 keeps embeddings bit for bit
  ASSERT_TRUE(store->CreateCollection(info).ok());
  RecordBatch records = Records(300, 256);  // ~400 KB of base64
  ASSERT_TRUE(store->Add("wide_records", records).ok());
  auto all = ReadAll(*store, "wide_records");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 300u);
  EXPECT_EQ(all->values(), records.values()) << "embeddings must come back bit for bit";
}

TEST(ChromaStoreTest, UnreachableServerIsUnavailableWithAHint) {
  int port = FreePort();
  OpenOptions options;
  options.timeout_seconds = 2;
  options.max_retries = 1;
  auto start = std::chrono::steady_clock::now();
  auto store = OpenStore("chroma://127.0.0.1:" + std::to_string(port), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("127.0.0.1:" + std::to_string(port)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30))
      << "an unreachable server must not hang the tool";
}

TEST(ChromaStoreTest, MalformedUrisAreRefusedWithTheExpectedForm) {
  for (const std::string uri :
       {"chroma://", "chroma://host", "chroma://host:notaport", "chroma://host:99999",
        "chroma://host:8000/only_tenant", "chroma://host:8000/a/b/c"}) {
    auto store = OpenStore(uri, OpenOptions());
    ASSERT_FALSE(store.ok()) << uri;
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << uri;
    EXPECT_THAT(store.status().message(), HasSubstr("chroma://HOST:PORT")) << uri;
  }
}

TEST(ChromaStoreTest, PasswordsInTheUriAreRefusedAndNeverEchoed) {
  auto store = OpenStore("chroma://admin:hunter2secret@127.0.0.1:8000", OpenOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(),
              AllOf(Not(HasSubstr("hunter2secret")), HasSubstr("CHROMA_TOKEN")));
}

// A real HTTP server that answers every request with something that is not
// Chroma's answer.
class GarbageServer {
 public:
  explicit GarbageServer(const std::string& body) {
    port_ = FreePort();
    std::string dir = dir_.path() + "/api/v2";
    std::string out;
    RunCommand("mkdir -p " + dir, &out);
    for (const char* name : {"heartbeat", "pre-flight-checks"}) {
      std::ofstream(dir + "/" + name) << body;
    }
    std::string cmd = "cd " + dir_.path() + " && (python3 -m http.server " +
                      std::to_string(port_) + " --bind 127.0.0.1 >/dev/null 2>&1 & echo $!)";
    RunCommand(cmd, &out);
    pid_ = std::atoi(out.c_str());
    for (int i = 0; i < 100; ++i) {
      if (RunCommand("curl -s -o /dev/null http://127.0.0.1:" + std::to_string(port_) + "/",
                     &out) == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~GarbageServer() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  int port() const { return port_; }

 private:
  TempDir dir_;
  int port_ = 0;
  int pid_ = 0;
};

TEST(ChromaStoreTest, AServerThatAnswersGarbageIsNamed) {
  GarbageServer garbage("<html>this is not chroma</html>");
  OpenOptions options;
  options.timeout_seconds = 5;
  auto store = OpenStore("chroma://127.0.0.1:" + std::to_string(garbage.port()), options);
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().code(),
              ::testing::AnyOf(StatusCode::kCorruption, StatusCode::kUnavailable));
  EXPECT_THAT(store.status().message(), HasSubstr("/api/v2/"));
}

TEST(ChromaStoreTest, HttpErrorsBecomeClearStatuses) {
  std::string uri = "chroma://" + ChromaTestServer::Get().HostPort() +
                    "/default_tenant/database_that_was_never_created";
  auto store = OpenStore(uri, OpenOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto list = (*store)->ListCollections();
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("database_that_was_never_created"));
}

TEST(ChromaStoreTest, TokensNeverAppearInErrors) {
  ::setenv("CHROMA_TOKEN", "tok-very-secret-123", 1);
  auto store = ChromaTestServer::Get().NewDatabase("token");
  Status s = store->Scan("no_such_collection", ScanOptions(),
                         [](RecordBatch&) { return Status::Ok(); });
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), Not(HasSubstr("tok-very-secret-123")));
  EXPECT_THAT(store->Describe(), Not(HasSubstr("tok-very-secret-123")));
  ::unsetenv("CHROMA_TOKEN");
}

TEST(ChromaStoreTest, AServerThatDiesMidStreamFailsTheScan) {
  // A server of this test's own, so killing it does not disturb the others.
  TempDir dir;
  testutil::ServerProcess server(testutil::ChromaServerTool());
  std::string error;
  ASSERT_TRUE(server.Start(dir.path() + "/data", &error)) << error;
  const int port = server.port();
  OpenOptions options;
  options.timeout_seconds = 3;
  options.max_retries = 1;
  auto store = OpenStore("chroma://127.0.0.1:" + std::to_string(port), options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->CreateCollection(Info("doomed")).ok());
  ASSERT_TRUE((*store)->Add("doomed", Records(2000, 8)).ok());

  ScanOptions scan;
  scan.page_size = 100;
  int64_t seen = 0;
  Status s = (*store)->Scan("doomed", scan, [&](RecordBatch& page) {
    seen += static_cast<int64_t>(page.size());
    if (seen == 300) server.Stop();
    return Status::Ok();
  });
  EXPECT_FALSE(s.ok()) << "a scan that lost its server must not report success";
  EXPECT_LT(seen, 2000);
}

}  // namespace
}  // namespace vecgate
