// What the integration tests need to run real servers and commands: a
// shell command's output, a temporary folder, a server of tools/ started
// for one test or one process, and the server a CTest fixture started for
// the whole run (tests/server_fixture.sh).
#ifndef VECGATE_TESTS_TEST_SERVER_H_
#define VECGATE_TESTS_TEST_SERVER_H_

#include <functional>
#include <string>

#include "testutil/temp_dir.h"

namespace vecgate::testutil {

// Runs a shell command, returns its exit code; stdout+stderr in *output.
int RunCommand(const std::string& command, std::string* output);

// Prints "TEST_SERVER: MESSAGE" and aborts the test program: for a test
// environment that cannot be had, which no test could pass without.
[[noreturn]] void DieOfSetup(const std::string& server, const std::string& message);

// A server of tools/TOOL ("chroma", "chroma15", "pglite") started by its
// start.sh on a free port, tied to this process (WATCH_PID: it stops if the
// test program dies), stopped by Stop() or at destruction.
class ServerProcess {
 public:
  explicit ServerProcess(std::string tool) : tool_(std::move(tool)) {}
  ~ServerProcess() { Stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts it with its data in `data_dir`. False, with the script's output
  // and what to do in *error, when it does not come up.
  bool Start(const std::string& data_dir, std::string* error);
  // Stops it (no-op when not running).
  void Stop();

  int port() const { return port_; }
  long pid() const { return pid_; }

 private:
  std::string tool_;
  int port_ = 0;
  long pid_ = 0;
};

// The port of the server a CTest fixture started, found through the state
// folder in environment variable `state_env`, when `answers` says it
// answers; 0 when there is none (the binary runs by hand) or it is gone.
int FixtureServerPort(const char* state_env, const std::string& server,
                      const std::function<bool(int)>& answers);

// A server for this whole process: the fixture's, else one of tools/TOOL
// started now in a folder of its own and stopped at exit.
class SharedServer {
 public:
  SharedServer(std::string tool, const char* state_env, std::function<bool(int)> answers)
      : tool_(std::move(tool)), state_env_(state_env), answers_(std::move(answers)),
        own_(tool_) {}
  // Adopts or starts the server; aborts the program when neither works.
  void Start();
  // Stops a server this process started (no-op for the fixture's).
  void StopOwned();
  int port() const { return port_; }

 private:
  std::string tool_;
  const char* state_env_;
  std::function<bool(int)> answers_;
  ServerProcess own_;
  std::string owned_dir_;
  int port_ = 0;
};

}  // namespace vecgate::testutil

#endif  // VECGATE_TESTS_TEST_SERVER_H_
