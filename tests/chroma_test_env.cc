// The real Chroma server for tests: found through the CTest fixture or
// started for this process.
#include "tests/chroma_test_env.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <vector>

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

// 'text' for bash, single quotes inside closed and reopened.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

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

namespace {

std::string chroma15_missing;  // why there is no 1.5 server

std::string NewDatabaseOn(const std::string& host_port, const std::string& hint) {
  static std::atomic<int> counter{0};
  std::string db = hint + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  for (char& c : db) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  }
  std::string uri = "chroma://" + host_port + "/default_tenant/" + db;
  auto store = OpenChromaStore(uri, OpenOptions());
  if (!store.ok()) Die("cannot open " + uri + ": " + store.status().ToString());
  Status s = dynamic_cast<ChromaStore*>(store->get())->EnsureDatabase();
  if (!s.ok()) Die("cannot create database " + db + ": " + s.ToString());
  return uri;
}

}  // namespace

std::string Chroma15TestServer::Missing() {
  GetOrNull();
  return chroma15_missing;
}

Chroma15TestServer* Chroma15TestServer::GetOrNull() {
  static Chroma15TestServer* server = []() -> Chroma15TestServer* {
    auto* s = new Chroma15TestServer();
    if (const char* running = std::getenv("VECGATE_TEST_CHROMA15")) {
      const std::string text(running);
      const size_t colon = text.rfind(':');
      s->port_ = std::atoi(text.substr(colon == std::string::npos ? 0 : colon + 1).c_str());
      if (Heartbeat(s->port_)) return s;
      chroma15_missing = "VECGATE_TEST_CHROMA15=" + text + " does not answer";
      return nullptr;
    }
    std::string bin = std::getenv("VECGATE_CHROMA15_BIN") != nullptr
                          ? std::getenv("VECGATE_CHROMA15_BIN")
                          : VECGATE_SOURCE_DIR "/tools/python/venv/bin/chroma";
    if (::access(bin.c_str(), X_OK) != 0) {
      chroma15_missing = "no Chroma 1.5 server: " + bin +
                         " is missing (set VECGATE_CHROMA15_BIN to the chroma program of "
                         "`pip install chromadb==1.5.9`, or VECGATE_TEST_CHROMA15 to a running "
                         "server's host:port)";
      return nullptr;
    }
    std::string dir = "/tmp/vecgate_chroma15_XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) Die("cannot create a data directory");
    const std::string cmd =
        "set -e; . " VECGATE_SOURCE_DIR "/tools/server_lib.sh; port=$(free_port); "
        "setsid '" + bin + "' run --path " + dir + "/data --host 127.0.0.1 --port $port >" +
        dir + "/chroma.log 2>&1 </dev/null & pid=$!; "
        "hb() { curl -fsS -m 2 http://127.0.0.1:$port/api/v2/heartbeat; }; "
        "if ! wait_ready Chroma15 $pid " + dir + "/chroma.log 60 hb; then stop_group $pid; exit 1; fi; "
        "WATCH_PID=" + std::to_string(::getpid()) + " watch_owner $pid stop_group $pid; "
        "echo \"$port $pid\"";
    std::string out;
    if (RunCommand("bash -c " + ShellQuote(cmd), &out) != 0) {
      chroma15_missing = "could not start " + bin + ": " + out;
      return nullptr;
    }
    std::istringstream in(out);
    std::vector<long> numbers;
    for (std::string token; in >> token;) numbers.push_back(std::atol(token.c_str()));
    if (numbers.size() < 2) {
      chroma15_missing = "the Chroma 1.5 start printed no port and pid: " + out;
      return nullptr;
    }
    s->port_ = static_cast<int>(numbers[numbers.size() - 2]);
    s->pid_ = numbers.back();
    std::atexit([] {
      Chroma15TestServer* self = GetOrNull();
      if (self != nullptr && self->pid_ > 0) {
        std::string ignored;
        RunCommand("bash -c '. " VECGATE_SOURCE_DIR "/tools/server_lib.sh; stop_group " +
                       std::to_string(self->pid_) + "'",
                   &ignored);
      }
    });
    return s;
  }();
  return server;
}

std::string Chroma15TestServer::NewDatabaseUri(const std::string& hint) {
  return NewDatabaseOn(HostPort(), hint);
}

std::unique_ptr<Store> Chroma15TestServer::NewDatabase(const std::string& hint) {
  std::string uri = NewDatabaseUri(hint);
  auto store = OpenChromaStore(uri, OpenOptions());
  if (!store.ok()) Die("cannot open " + uri + ": " + store.status().ToString());
  return std::move(store).value();
}

}  // namespace vecgate::testutil
