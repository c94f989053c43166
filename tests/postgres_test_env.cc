// The real PostgreSQL server (PGlite) for tests.
#include "tests/postgres_test_env.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace vecgate::testutil {

namespace {

bool Answers(int port) {
  auto store = OpenStore("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres",
                         OpenOptions());
  return store.ok();
}

}  // namespace

PostgresTestServer::PostgresTestServer()
    : server_("pglite", "VECGATE_TEST_PGLITE_STATE", Answers) {}

PostgresTestServer& PostgresTestServer::Get() {
  static PostgresTestServer* server = [] {
    auto* s = new PostgresTestServer();
    s->server_.Start();
    std::atexit([] { Get().StopOwned(); });
    return s;
  }();
  return *server;
}

void PostgresTestServer::StopOwned() { server_.StopOwned(); }

std::string PostgresTestServer::BaseUri() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port()) + "/postgres";
}

std::string PostgresTestServer::NewSchemaUri(const std::string& hint, const std::string& params) {
  static std::atomic<int> counter{0};
  std::string schema = hint + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  for (char& c : schema) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return BaseUri() + "?schema=" + schema + (params.empty() ? "" : "&" + params);
}

std::unique_ptr<Store> PostgresTestServer::NewSchema(const std::string& hint,
                                                     const std::string& params) {
  std::string uri = NewSchemaUri(hint, params);
  auto store = OpenStore(uri, OpenOptions());
  if (!store.ok()) {
    DieOfSetup("postgres", "cannot open " + uri + ": " + store.status().ToString());
  }
  return std::move(store).value();
}

}  // namespace vecgate::testutil
