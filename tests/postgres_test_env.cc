// The real PostgreSQL server (PGlite) for tests.
#include "tests/postgres_test_env.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "tests/chroma_test_env.h"

namespace vecgate::testing {

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "postgres test server: " << message << std::endl;
  std::abort();
}

bool Answers(int port) {
  auto store = OpenStore("postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres",
                         OpenOptions());
  return store.ok();
}

}  // namespace

bool StartPrivatePglite(const std::string& data_dir, int* port, long* pid, std::string* error) {
  std::string out;
  std::string cmd = "WATCH_PID=" + std::to_string(::getpid()) + " " +
                    std::string(VECGATE_SOURCE_DIR) + "/tools/pglite/start.sh " + data_dir;
  if (RunCommand(cmd, &out) != 0) {
    *error = "could not start PGlite (" + cmd + "):\n" + out +
             "\nRun `make setup` (npm ci in tools/pglite) first.";
    return false;
  }
  std::istringstream in(out);
  std::vector<long> numbers;
  for (std::string token; in >> token;) numbers.push_back(std::atol(token.c_str()));
  if (numbers.size() < 2 || numbers[numbers.size() - 2] <= 0 || numbers.back() <= 0) {
    *error = "start.sh printed no port: " + out;
    return false;
  }
  *port = static_cast<int>(numbers[numbers.size() - 2]);
  *pid = numbers.back();
  return true;
}

void StopPrivatePglite(long pid) {
  std::string out;
  RunCommand(std::string(VECGATE_SOURCE_DIR) + "/tools/pglite/stop.sh " + std::to_string(pid),
             &out);
}

PostgresTestServer& PostgresTestServer::Get() {
  static PostgresTestServer* server = [] {
    auto* s = new PostgresTestServer();
    s->Start();
    std::atexit([] { Get().StopOwned(); });
    return s;
  }();
  return *server;
}

void PostgresTestServer::Start() {
  if (const char* state = std::getenv("VECGATE_TEST_PGLITE_STATE")) {
    std::string port = ReadSmallFile(std::string(state) + "/port");
    if (!port.empty()) {
      port_ = std::atoi(port.c_str());
      if (Answers(port_)) return;
      std::cerr << "postgres test server: the fixture's server on port " << port
                << " does not answer; starting one for this process\n";
    }
  }
  char tmpl[] = "/tmp/vecgate_pglite_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die("cannot create a data directory");
  owned_dir_ = tmpl;
  std::string error;
  if (!StartPrivatePglite(owned_dir_ + "/data", &port_, &owned_pid_, &error)) Die(error);
}

void PostgresTestServer::StopOwned() {
  if (owned_pid_ <= 0) return;
  StopPrivatePglite(owned_pid_);
  std::string out;
  RunCommand("rm -rf " + owned_dir_, &out);
  owned_pid_ = 0;
}

std::string PostgresTestServer::BaseUri() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
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
  if (!store.ok()) Die("cannot open " + uri + ": " + store.status().ToString());
  return std::move(store).value();
}

}  // namespace vecgate::testing
