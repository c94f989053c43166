// The real Chroma server for tests: found through the CTest fixture or
// started for this process.
#include "tests/chroma_test_env.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "stores/chroma_store.h"

namespace vecgate::testutil {

namespace {

bool Heartbeat(int port) {
  std::string out;
  return RunCommand("curl -fsS -m 3 http://127.0.0.1:" + std::to_string(port) +
                        "/api/v2/heartbeat",
                    &out) == 0;
}

[[noreturn]] void Die(const std::string& message) { DieOfSetup("chroma", message); }

}  // namespace

std::string ChromaServerTool() {
  const char* server = std::getenv("VECGATE_TEST_CHROMA_SERVER");
  if (server == nullptr || *server == '\0') return "chroma";
  const std::string tool = server;
  if (tool != "chroma" && tool != "chroma15") {
    Die("VECGATE_TEST_CHROMA_SERVER is '" + tool + "'; it must be chroma or chroma15");
  }
  return tool;
}

bool TestingChroma15() { return ChromaServerTool() == "chroma15"; }

ChromaTestServer::ChromaTestServer()
    : server_(ChromaServerTool(), "VECGATE_TEST_CHROMA_STATE", Heartbeat) {}

ChromaTestServer& ChromaTestServer::Get() {
  static ChromaTestServer* server = [] {
    auto* s = new ChromaTestServer();
    s->server_.Start();
    std::atexit([] { Get().StopOwned(); });
    return s;
  }();
  return *server;
}

void ChromaTestServer::StopOwned() { server_.StopOwned(); }

std::string ChromaTestServer::HostPort() const {
  return "127.0.0.1:" + std::to_string(port());
}

std::string ChromaTestServer::NewDatabaseUri(const std::string& hint) {
  static std::atomic<int> counter{0};
  std::string db = hint + "_" + std::to_string(::getpid()) + "_" +
                   std::to_string(counter++);
  for (char& c : db) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  }
  std::string uri = "chroma://" + HostPort() + "/default_tenant/" + db;
  auto store = OpenChromaStore(uri, OpenOptions());
  if (!store.ok()) Die("cannot open " + uri + ": " + store.status().ToString());
  auto* chroma = dynamic_cast<ChromaStore*>(store->get());
  Status s = chroma->EnsureDatabase();
  if (!s.ok()) Die("cannot create database " + db + ": " + s.ToString());
  return uri;
}

std::unique_ptr<Store> ChromaTestServer::NewDatabase(const std::string& hint) {
  std::string uri = NewDatabaseUri(hint);
  auto store = OpenChromaStore(uri, OpenOptions());
  if (!store.ok()) Die("cannot open " + uri + ": " + store.status().ToString());
  return std::move(store).value();
}

}  // namespace vecgate::testutil
