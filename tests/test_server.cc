#include "tests/test_server.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace vecgate::testutil {

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Tool(const std::string& tool, const char* script) {
  return std::string(VECGATE_SOURCE_DIR) + "/tools/" + tool + "/" + script;
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

void DieOfSetup(const std::string& server, const std::string& message) {
  std::cerr << server << " test server: " << message << std::endl;
  std::abort();
}

bool ServerProcess::Start(const std::string& data_dir, std::string* error) {
  Stop();
  std::string out;
  const std::string cmd = "WATCH_PID=" + std::to_string(::getpid()) + " " +
                          Tool(tool_, "start.sh") + " " + data_dir;
  if (RunCommand(cmd, &out) != 0) {
    *error = "could not start the " + tool_ + " server (" + cmd + "):\n" + out +
             "\nRun `make setup` (tools/setup.sh installs tools/" + tool_ + "'s server) first.";
    return false;
  }
  // start.sh prints "PORT PID" as its last line.
  std::istringstream in(out);
  std::vector<long> numbers;
  for (std::string token; in >> token;) numbers.push_back(std::atol(token.c_str()));
  if (numbers.size() < 2 || numbers[numbers.size() - 2] <= 0 || numbers.back() <= 0) {
    *error = Tool(tool_, "start.sh") + " printed no port and pid: " + out;
    return false;
  }
  port_ = static_cast<int>(numbers[numbers.size() - 2]);
  pid_ = numbers.back();
  return true;
}

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  std::string out;
  RunCommand(Tool(tool_, "stop.sh") + " " + std::to_string(pid_), &out);
  pid_ = 0;
}

int FixtureServerPort(const char* state_env, const std::string& server,
                      const std::function<bool(int)>& answers) {
  const char* state = std::getenv(state_env);
  if (state == nullptr) return 0;
  const std::string port = ReadSmallFile(std::string(state) + "/port");
  if (port.empty()) return 0;
  if (answers(std::atoi(port.c_str()))) return std::atoi(port.c_str());
  std::cerr << server << " test server: the fixture's server on port " << port
            << " does not answer; starting one for this process\n";
  return 0;
}

void SharedServer::Start() {
  port_ = FixtureServerPort(state_env_, tool_, answers_);
  if (port_ > 0) return;
  std::string tmpl = "/tmp/vecgate_" + tool_ + "_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) DieOfSetup(tool_, "cannot create a data directory");
  owned_dir_ = tmpl;
  std::string error;
  if (!own_.Start(owned_dir_ + "/data", &error)) DieOfSetup(tool_, error);
  port_ = own_.port();
}

void SharedServer::StopOwned() {
  if (owned_dir_.empty()) return;
  own_.Stop();
  std::string out;
  RunCommand("rm -rf '" + owned_dir_ + "'", &out);
  owned_dir_.clear();
}

}  // namespace vecgate::testutil
