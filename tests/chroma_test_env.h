// The real Chroma server for tests.
//
// Tests never talk to a mock: they get a real server, either the one the
// `chroma` CTest fixture started (found through VECGATE_TEST_CHROMA_STATE) or,
// when a test binary runs by hand, one started on a free port for this
// process and stopped at exit. Each test gets a fresh database on it so tests
// can run in parallel without seeing each other's collections.
//
// Two Chroma servers are tested: tools/chroma (the pinned npm Chroma, whose
// server reports 1.0.0; the default) and tools/chroma15 (Chroma 1.5.9, `chroma
// run` of the pinned Python venv), chosen by VECGATE_TEST_CHROMA_SERVER
// (`chroma` or `chroma15`). tests/CMakeLists.txt registers the tests that
// must hold on both twice, the second time as chroma15.* with the chroma15
// fixture.
#ifndef VECGATE_TESTS_CHROMA_TEST_ENV_H_
#define VECGATE_TESTS_CHROMA_TEST_ENV_H_

#include <memory>
#include <string>

#include "core/store.h"
#include "tests/test_server.h"

// 1 in the sanitizer build (-DVECGATE_SANITIZE=ON): the tests and the
// vecgate binary they run are built with AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
#define VECGATE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VECGATE_TEST_ASAN 1
#endif
#endif
#ifndef VECGATE_TEST_ASAN
#define VECGATE_TEST_ASAN 0
#endif

namespace vecgate::testutil {

// "chroma15" when VECGATE_TEST_CHROMA_SERVER says so, else "chroma": the
// folder of tools/ whose server the tests use. Any other value aborts the
// test program.
std::string ChromaServerTool();
// True when the tests run against Chroma 1.5.9 (tools/chroma15): for the
// few tests that skip a difference of that server, naming it.
bool TestingChroma15();

class ChromaTestServer {
 public:
  // The process-wide server; starts one if needed. Aborts the test program
  // with a clear message if no server can be had.
  static ChromaTestServer& Get();

  int port() const { return server_.port(); }
  // "127.0.0.1:PORT"
  std::string HostPort() const;
  // chroma://127.0.0.1:PORT/default_tenant/DB for a new, empty database
  // named after `hint` plus a unique suffix.
  std::string NewDatabaseUri(const std::string& hint);
  // Opens a store on a new empty database.
  std::unique_ptr<Store> NewDatabase(const std::string& hint);

  // Stops a server this process started (no-op for the fixture's server).
  void StopOwned();

 private:
  ChromaTestServer();

  SharedServer server_;
};

// A current Chroma (the PyPI `chromadb` 1.5 server, which stores metadata
// lists and refuses NaN embeddings), for the tests of what changed since
// the pinned 1.0 server: VECGATE_TEST_CHROMA15 ("127.0.0.1:PORT") names a
// running one; else the `chroma` program of VECGATE_CHROMA15_BIN or of the
// venv tools/python/venv is started for this process on a free port and
// stopped at exit. Null when there is neither: the test then skips, saying
// so.
class Chroma15TestServer {
 public:
  static Chroma15TestServer* GetOrNull();
  // Why GetOrNull is null ("" otherwise).
  static std::string Missing();

  std::string HostPort() const { return "127.0.0.1:" + std::to_string(port_); }
  // chroma://127.0.0.1:PORT/default_tenant/DB for a new, empty database.
  std::string NewDatabaseUri(const std::string& hint);
  std::unique_ptr<Store> NewDatabase(const std::string& hint);

 private:
  Chroma15TestServer() = default;
  int port_ = 0;
  long pid_ = 0;  // 0: not ours
};

}  // namespace vecgate::testutil

#endif  // VECGATE_TESTS_CHROMA_TEST_ENV_H_
