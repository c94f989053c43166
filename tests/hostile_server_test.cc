// Store readers against hostile input: small real HTTP servers on 127.0.0.1,
// started here, that answer with crafted bytes (absurd Content-Length, an
// endless body, terminal escapes, echoed credentials, HTML, duplicate keys,
// the wrong protocol), and damaged jsonl files given to the built `vecgate`
// binary. Each must end in a clear error (exit 3 from the CLI) within
// seconds and bounded memory, never a crash, a hang or a raw escape.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/store.h"
#include "stores/chroma_store.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunCommand;
using testutil::TempDir;

// Writes all of `data`; false when the peer went away.
bool WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// A TCP server on 127.0.0.1 (an ephemeral port) whose handler gets each
// connection's first request (headers and body, or the first bytes when it
// is not HTTP) and writes whatever it likes to the socket, which is then
// closed. One connection at a time, in a thread of its own.
class HostileServer {
 public:
  using Handler = std::function<void(int fd, const std::string& request)>;

  explicit HostileServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~HostileServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  std::string HostPort() const { return "127.0.0.1:" + std::to_string(port_); }
  // Every request received so far, in order.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      const std::string request = ReadRequest(fd);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(request);
      }
      handler_(fd, request);
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
  }

  // Reads the headers and a Content-Length body; for a non-HTTP client
  // (a TLS handshake) whatever arrives within a moment.
  std::string ReadRequest(int fd) {
    std::string data;
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        if (!data.empty() && data.find("HTTP/1.") == std::string::npos) break;
        continue;
      }
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      const size_t end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      size_t length = 0;
      const size_t cl = data.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) length = std::stoul(data.substr(cl + 16));
      if (data.size() >= end + 4 + length) break;
    }
    return data;
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

std::string Reply(int status, const std::string& body,
                  const std::string& type = "application/json") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// The path of a request ("/api/v2/heartbeat").
std::string PathOf(const std::string& request) {
  const size_t start = request.find(' ');
  const size_t end = request.find(' ', start + 1);
  if (start == std::string::npos || end == std::string::npos) return "";
  return request.substr(start + 1, end - start - 1);
}

// Answers the handshake like Chroma does and hands every other request to
// `rest`.
HostileServer::Handler ChromaHandshakeThen(
    std::function<void(int, const std::string&, const std::string&)> rest) {
  return [rest](int fd, const std::string& request) {
    const std::string path = PathOf(request);
    if (path == "/api/v2/heartbeat") {
      WriteAll(fd, Reply(200, R"({"nanosecond heartbeat":1})"));
    } else if (path == "/api/v2/pre-flight-checks") {
      WriteAll(fd, Reply(200, R"({"max_batch_size":100,"supports_base64_encoding":true})"));
    } else {
      rest(fd, request, path);
    }
  };
}

OpenOptions FastOptions() {
  OpenOptions options;
  options.max_retries = 0;
  options.timeout_seconds = 20;
  return options;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Resident memory of this process, in MiB (from /proc/self/status).
long ResidentMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return -1;
}

// ----------------------------------------------------------- HTTP bodies

// A Content-Length of 100 TB used to be reserved up front (an exception
// thrown through libcurl's callback). It is refused before anything is
// reserved, with the default cap.
TEST(HostileServerTest, AbsurdContentLengthIsRefusedNotReserved) {
  HostileServer server([](int fd, const std::string&) {
    WriteAll(fd,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: 100000000000000\r\n\r\n{\"nanosecond heartbeat\":");
  });
  const auto start = std::chrono::steady_clock::now();
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_LT(SecondsSince(start), 10);
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
  EXPECT_THAT(store.status().message(),
              AllOf(HasSubstr("GET /api/v2/heartbeat"), HasSubstr("512 MiB"),
                    HasSubstr("max_response_bytes")));
}

// A body that never ends used to grow until the process died. It is cut at
// the cap (here 8 MiB) with an error naming the path, the cap and the
// setting that raises it.
TEST(HostileServerTest, EndlessBodyIsCutAtTheCap) {
  std::atomic<size_t> sent{0};
  HostileServer server([&sent](int fd, const std::string&) {
    if (!WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\n\r\n[")) {
      return;
    }
    const std::string chunk(64 * 1024, '1');
    // Endless as far as the client can tell: 4 GiB.
    for (int i = 0; i < 65536; ++i) {
      if (!WriteAll(fd, chunk)) return;
      sent += chunk.size();
    }
  });
  OpenOptions options = FastOptions();
  options.max_response_bytes = size_t{8} << 20;
  const long rss_before = ResidentMiB();
  const auto start = std::chrono::steady_clock::now();
  auto store = OpenStore("http://" + server.HostPort(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_LT(SecondsSince(start), 15);
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
  EXPECT_THAT(store.status().message(),
              AllOf(HasSubstr("GET /api/v2/heartbeat"), HasSubstr("8 MiB"),
                    HasSubstr("max_response_bytes")));
  EXPECT_LT(sent.load(), size_t{64} << 20);
  EXPECT_LT(ResidentMiB() - rss_before, 64);
}

// ------------------------------------------------------- Text in messages

// Error text and echoed request headers from the server: escapes are shown
// escaped, the client's token is redacted, and the excerpt is short.
TEST(HostileServerTest, ServerErrorTextIsEscapedAndTokenRedacted) {
  HostileServer server([](int fd, const std::string& request) {
    std::string echoed;
    for (char c : request) {
      if (c == '"' || c == '\\') echoed += '\\';
      if (c == '\r' || c == '\n') {
        echoed += ' ';
        continue;
      }
      echoed += c;
    }
    WriteAll(fd, Reply(400, R"({"error":"Bad\u001b]0;pwned\u0007\u001b[31m","message":"you sent: )" +
                                echoed + R"("})"));
  });
  setenv("CHROMA_TOKEN", "tok-SECRET-4242", 1);
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  unsetenv("CHROMA_TOKEN");
  ASSERT_FALSE(store.ok());
  ASSERT_FALSE(server.requests().empty());
  // The server did receive the token: it is the echo that must not show it.
  EXPECT_THAT(server.requests()[0], HasSubstr("tok-SECRET-4242"));
  const std::string& message = store.status().message();
  EXPECT_THAT(message, Not(HasSubstr("SECRET")));
  EXPECT_THAT(message, HasSubstr("x-chroma-token: ***"));
  EXPECT_THAT(message, Not(HasSubstr("\x1b")));
  EXPECT_THAT(message, Not(HasSubstr("\x07")));
  EXPECT_THAT(message, HasSubstr("\\x1B]0;pwned\\x07\\x1B[31m"));
  EXPECT_LT(message.size(), 1000u);
}

TEST(HostileServerTest, BearerTokenEchoedBackIsRedacted) {
  HostileServer server([](int fd, const std::string& request) {
    const size_t at = request.find("Authorization: ");
    const std::string header =
        at == std::string::npos ? "" : request.substr(at, request.find('\r', at) - at);
    WriteAll(fd, Reply(403, "forbidden; you sent " + header, "text/plain"));
  });
  setenv("CHROMA_AUTH_TOKEN", "bearer-SECRET-77", 1);
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  unsetenv("CHROMA_AUTH_TOKEN");
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("Authorization: Bearer ***"));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("SECRET")));
}

// A web server that is not Chroma: its 404 page is summarised.
TEST(HostileServerTest, HtmlNotFoundPageIsSummarised) {
  HostileServer server([](int fd, const std::string&) {
    WriteAll(fd, Reply(404,
                       "<!DOCTYPE html>\n<html><head><title>404 Not Found</title>"
                       "</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was "
                       "not found on this server.</p>\n" +
                           std::string(3000, ' ') + "<hr></body></html>\n",
                       "text/html"));
  });
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  ASSERT_FALSE(store.ok());
  const std::string& message = store.status().message();
  EXPECT_THAT(message,
              AllOf(HasSubstr("the server at http://" + server.HostPort() + " answered"),
                    HasSubstr("HTTP 404 with an HTML page ('404 Not Found')"),
                    HasSubstr("is this a Chroma server?")));
  EXPECT_THAT(message, Not(HasSubstr("<p>")));
  EXPECT_THAT(message, Not(HasSubstr("\n")));
}

// A collection name holding terminal escapes is refused, shown escaped.
TEST(HostileServerTest, CollectionNameWithEscapesIsRefusedEscaped) {
  HostileServer server(ChromaHandshakeThen([](int fd, const std::string&, const std::string&) {
    WriteAll(fd, Reply(200, R"([{"id":"1","name":"evil\u001b]0;title\u0007","metadata":null,)"
                            R"("configuration_json":{},"dimension":3}])"));
  }));
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto collections = (*store)->ListCollections();
  ASSERT_FALSE(collections.ok());
  EXPECT_EQ(collections.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(collections.status().message(), HasSubstr("evil\\x1B]0;title\\x07"));
  EXPECT_THAT(collections.status().message(), Not(HasSubstr("\x1b")));
}

// A collection whose dimension is absurd is refused before anyone sizes a
// buffer by it.
TEST(HostileServerTest, AbsurdCollectionDimensionIsRefused) {
  HostileServer server(ChromaHandshakeThen([](int fd, const std::string&, const std::string&) {
    WriteAll(fd, Reply(200, R"({"id":"1","name":"docs","metadata":null,)"
                            R"("configuration_json":{},"dimension":1000000000000})"));
  }));
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto info = (*store)->GetCollection("docs");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(info.status().message(),
              AllOf(HasSubstr("collection 'docs'"), HasSubstr("1000000000000"),
                    HasSubstr("65536")));
}

// ------------------------------------------------------------- Pages

// A /get page with "embeddings" twice used to turn 2 ids into 4 records.
TEST(HostileServerTest, PageWithARepeatedColumnIsCorruptionNamingCollectionAndOffset) {
  HostileServer server(ChromaHandshakeThen(
      [](int fd, const std::string&, const std::string& path) {
        if (path.find("/count") != std::string::npos) {
          WriteAll(fd, Reply(200, "2"));
        } else if (path.size() > 4 && path.compare(path.size() - 4, 4, "/get") == 0) {
          WriteAll(fd, Reply(200, R"({"ids":["a","b"],"embeddings":[[1,2],[3,4]],)"
                                  R"("embeddings":[[5,6],[7,8]],"documents":[null,null],)"
                                  R"("metadatas":[null,null]})"));
        } else {
          WriteAll(fd, Reply(200, R"({"id":"c0ffee","name":"docs","metadata":null,)"
                                  R"("configuration_json":{},"dimension":2})"));
        }
      }));
  auto store = OpenStore("chroma://" + server.HostPort(), FastOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  size_t records = 0;
  Status s = (*store)->Scan("docs", ScanOptions(), [&](RecordBatch& page) {
    records += page.size();
    return Status::Ok();
  });
  EXPECT_EQ(records, 0u);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_THAT(s.message(), AllOf(HasSubstr("collection 'docs'"), HasSubstr("offset 0"),
                                 HasSubstr("\"embeddings\" twice")));
}

// ----------------------------------------------------------- Protocols

// TLS spoken to a plain-HTTP server: one line saying what to change.
TEST(HostileServerTest, TlsAgainstPlainHttpSaysUseChroma) {
  HostileServer server([](int fd, const std::string&) {
    WriteAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  for (const std::string scheme : {"chromas", "https"}) {
    const auto start = std::chrono::steady_clock::now();
    auto store = OpenStore(scheme + "://" + server.HostPort(), OpenOptions());
    ASSERT_FALSE(store.ok());
    EXPECT_LT(SecondsSince(start), 10) << "a TLS mix-up is not worth retrying";
    EXPECT_EQ(store.status().message(),
              "the server at " + server.HostPort() +
                  " speaks plain HTTP; use chroma:// (or http://) instead of " + scheme +
                  "://");
  }
  EXPECT_EQ(server.requests().size(), 2u) << "one attempt per scheme, no retries";
}

// Plain HTTP sent to a server that speaks TLS (it answers with a TLS alert).
TEST(HostileServerTest, PlainHttpAgainstTlsSaysUseChromas) {
  HostileServer server([](int fd, const std::string&) {
    // A TLS record: alert, TLS 1.2, length 2, fatal, protocol_version.
    WriteAll(fd, std::string("\x15\x03\x03\x00\x02\x02\x46", 7));
  });
  auto store = OpenStore("chroma://" + server.HostPort(), OpenOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(),
              AllOf(HasSubstr("the server at " + server.HostPort()),
                    HasSubstr("use chromas:// (or https://) instead of chroma://")));
}

// ------------------------------------------------------------- URIs

TEST(StoreUriTest, SchemeTyposGetTheLikelyUri) {
  struct Case {
    const char* uri;
    const char* suggestion;
  };
  for (const Case& c : {Case{"chrom://127.0.0.1:8000", "did you mean chroma://127.0.0.1:8000?"},
                        Case{"chromaa://h:1/t/d", "did you mean chroma://h:1/t/d?"},
                        Case{"htp://h:8000", "did you mean http://h:8000?"},
                        Case{"jsnl:/tmp/x.jsonl", "did you mean jsonl:/tmp/x.jsonl?"},
                        Case{"127.0.0.1:8000", "did you mean chroma://127.0.0.1:8000?"},
                        Case{"export.jsonl.gz", "did you mean jsonl:export.jsonl.gz?"}}) {
    auto store = OpenStore(c.uri, FastOptions());
    ASSERT_FALSE(store.ok()) << c.uri;
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << c.uri;
    EXPECT_THAT(store.status().message(), HasSubstr(c.suggestion)) << c.uri;
  }
  auto typo = OpenStore("chrom://127.0.0.1:8000", FastOptions());
  EXPECT_THAT(typo.status().message(), HasSubstr("unknown scheme 'chrom'"));
  // Credentials in a mistyped URI are not echoed.
  auto secret = OpenStore("chrom://admin:pw-SECRET@h:8000", FastOptions());
  EXPECT_THAT(secret.status().message(), Not(HasSubstr("SECRET")));
}

// ------------------------------------------------------ The CLI, jsonl

struct CliRun {
  int exit_code = -1;
  std::string output;
};

CliRun Vecgate(const std::string& args) {
  CliRun run;
  // A memory limit makes an attempt to reserve terabytes fail loudly
  // instead of being granted by overcommit. AddressSanitizer maps terabytes
  // of shadow memory at start-up, which `ulimit -v` forbids; under it the
  // sanitizer's allocator refuses (and aborts on) any allocation above the
  // same size instead.
#if VECGATE_TEST_ASAN
  const std::string limit = "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=4000 ";
#else
  const std::string limit = "ulimit -v 4000000; ";
#endif
  run.exit_code = RunCommand(limit + "timeout 60 " + std::string(VECGATE_CLI) + " " + args,
                             &run.output);
  return run;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

class JsonlCliTest : public ::testing::Test {
 protected:
  std::string Jsonl(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    WriteFile(path, text);
    return path;
  }
  TempDir dir_;
};

TEST_F(JsonlCliTest, HugeHeaderDimensionExitsThreeNamingFileAndLine) {
  const std::string path =
      Jsonl("huge.jsonl", R"({"_collection":{"name":"c","dimension":1000000000000}})"
                          "\n" R"({"collection":"c","id":"a","embedding":[1,2]})" "\n");
  const std::string good = Jsonl("good.jsonl", R"({"collection":"c","id":"a","embedding":[1,2]})" "\n");
  for (const std::string& args :
       {"inspect --store jsonl:" + path,
        "validate --old jsonl:" + good + " --new jsonl:" + path + " --report-dir " +
            dir_.path() + "/r1"}) {
    const CliRun run = Vecgate(args);
    EXPECT_EQ(run.exit_code, 3) << args << "\n" << run.output;
    EXPECT_THAT(run.output, AllOf(HasSubstr(path + "' line 1"),
                                  HasSubstr("1000000000000, more than the 65536")))
        << args;
    EXPECT_THAT(run.output, Not(HasSubstr("bad_alloc")));
  }
}

TEST_F(JsonlCliTest, RepeatedIdAndHeaderInARecordExitThree) {
  const std::string good = Jsonl("good.jsonl", R"({"collection":"c","id":"a","embedding":[1,2]})" "\n");
  const std::string dup_id = Jsonl(
      "dup.jsonl", R"({"collection":"c","id":"a","embedding":[1,2]})" "\n"
                   R"({"collection":"c","id":"b","id":"c","embedding":[1,2]})" "\n");
  const std::string both = Jsonl(
      "both.jsonl", R"({"collection":"c","id":"a","embedding":[1,2]})" "\n"
                    R"({"collection":"c","id":"b","embedding":[1,2],"_collection":{"name":"ghost"}})" "\n");
  struct Case {
    std::string path;
    std::string expected;
  };
  for (const Case& c : {Case{dup_id, "the key \"id\" appears twice"},
                        Case{both, "never both"}}) {
    for (const std::string& args :
         {"inspect --store jsonl:" + c.path,
          "validate --old jsonl:" + good + " --new jsonl:" + c.path + " --report-dir " +
              dir_.path() + "/r"}) {
      const CliRun run = Vecgate(args);
      EXPECT_EQ(run.exit_code, 3) << args << "\n" << run.output;
      EXPECT_THAT(run.output, AllOf(HasSubstr(c.path + "' line 2"), HasSubstr(c.expected)))
          << args;
      EXPECT_THAT(run.output, Not(HasSubstr("ghost"))) << "no phantom collection";
    }
  }
}

TEST_F(JsonlCliTest, SchemeTypoExitsThreeWithTheLikelyUri) {
  const CliRun run = Vecgate("inspect --store chrom://127.0.0.1:8000");
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_THAT(run.output, HasSubstr("did you mean chroma://127.0.0.1:8000?"));
}

// The CLI against a server announcing an absurd body: exit 3, the cap named.
TEST_F(JsonlCliTest, AbsurdContentLengthExitsThree) {
  HostileServer server([](int fd, const std::string&) {
    WriteAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000000000000\r\n\r\n{");
  });
  const CliRun run = Vecgate("inspect --store http://" + server.HostPort());
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("GET /api/v2/heartbeat"), HasSubstr("512 MiB")));
}

}  // namespace
}  // namespace vecgate
