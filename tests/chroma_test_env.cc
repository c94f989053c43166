// The real Chroma server for tests: found through the CTest fixture or
// started for this process.
#include "tests/chroma_test_env.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "stores/chroma_store.h"

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

bool Heartbeat(int port) {
  std::string out;
  return RunCommand("curl -fsS -m 3 http://127.0.0.1:" + std::to_string(port) +
                        "/api/v2/heartbeat",
                    &out) == 0;
}

[[noreturn]] void Die(const std::string& message) {
  std::cerr << "chroma test server: " << message << std::endl;
  std::abort();
}

}  // namespace

int RunCommand(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  output->clear();
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output->append(buf, n);
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -1;
}

ChromaTestServer& ChromaTestServer::Get() {
  static ChromaTestServer* server = [] {
    auto* s = new ChromaTestServer();
    s->Start();
    std::atexit([] { Get().StopOwned(); });
    return s;
  }();
  return *server;
}

void ChromaTestServer::Start() {
  if (const char* state = std::getenv("VECGATE_TEST_CHROMA_STATE")) {
    std::string port = ReadSmallFile(std::string(state) + "/port");
    if (!port.empty()) {
      port_ = std::atoi(port.c_str());
      if (Heartbeat(port_)) return;
      std::cerr << "chroma test server: the fixture's server on port " << port
                << " does not answer; starting one for this process\n";
    }
  }
  char tmpl[] = "/tmp/vecgate_chroma_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die("cannot create a data directory");
  owned_dir_ = tmpl;
  std::string out;
  std::string cmd = "WATCH_PID=" + std::to_string(::getpid()) + " " +
                    std::string(VECGATE_SOURCE_DIR) + "/tools/chroma/start.sh " +
                    owned_dir_ + "/data";
  if (RunCommand(cmd, &out) != 0) {
    Die("could not start the real Chroma server (" + cmd + "):\n" + out +
        "\nRun `make setup` (npm ci in tools/chroma) first.");
  }
  // start.sh prints "PORT PID" as its last line.
  std::istringstream in(out);
  std::vector<long> numbers;
  for (std::string token; in >> token;) numbers.push_back(std::atol(token.c_str()));
  if (numbers.size() >= 2) {
    port_ = static_cast<int>(numbers[numbers.size() - 2]);
    owned_pid_ = numbers.back();
  }
  if (port_ <= 0 || owned_pid_ <= 0) Die("start.sh printed no port: " + out);
}

void ChromaTestServer::StopOwned() {
  if (owned_pid_ <= 0) return;
  std::string out;
  RunCommand(std::string(VECGATE_SOURCE_DIR) + "/tools/chroma/stop.sh " +
                 std::to_string(owned_pid_),
             &out);
  RunCommand("rm -rf " + owned_dir_, &out);
  owned_pid_ = 0;
}

std::string ChromaTestServer::HostPort() const {
  return "127.0.0.1:" + std::to_string(port_);
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

TempDir::TempDir() {
  char tmpl[] = "/tmp/vecgate_test_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) Die("cannot create a temporary directory");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::string out;
  RunCommand("rm -rf '" + path_ + "'", &out);
}

}  // namespace vecgate::testing
