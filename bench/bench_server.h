// The real servers the server benchmarks run against: one pinned Chroma
// and, for pgvector_bench, one PGlite per benchmark run, each started by
// tools/TOOL/start.sh on a free port with its own data folder, and stopped
// at exit, on SIGINT / SIGTERM, and by start.sh's watcher if this process is
// killed outright.
#ifndef VECGATE_BENCH_BENCH_SERVER_H_
#define VECGATE_BENCH_BENCH_SERVER_H_

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace vecgate::bench {

// A server of tools/TOOL (TOOL = "chroma" or "pglite"). Not thread-safe:
// started and stopped by the program's main thread (and its signal handler).
class ToolServer {
 public:
  explicit ToolServer(const char* tool) : tool_(tool) {}

  // Starts the server; returns its port, or 0 on failure (start.sh says why
  // on stderr). `tag` names the data folder (/tmp/vecgate_TAG_XXXXXX), which
  // Stop() deletes.
  int Start(const std::string& tag) {
    std::string pattern = "/tmp/vecgate_" + tag + "_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) return 0;
    data_dir_ = pattern;
    // WATCH_PID: start.sh's watcher stops the server when this process ends
    // without running Stop() (SIGKILL, a crash).
    const std::string command = "WATCH_PID=" + std::to_string(getpid()) + " " + Script("start") +
                                " " + data_dir_ + "/data";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return 0;
    int port = 0;
    char pid[32] = {0};
    const int fields = std::fscanf(pipe, "%d %31s", &port, pid);  // start.sh prints "PORT PID"
    pclose(pipe);
    if (fields != 2) return 0;
    pid_ = pid;
    return port;
  }

  // Stops the server if it runs and deletes its data folder; does nothing
  // the second time. A failing stop.sh is reported on stderr.
  void Stop() {
    if (!pid_.empty()) {
      const std::string command = Script("stop") + " " + pid_;
      if (std::system(command.c_str()) != 0) {
        std::fprintf(stderr, "bench: tools/%s/stop.sh %s failed\n", tool_, pid_.c_str());
      }
      pid_.clear();
    }
    if (!data_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_dir_, ignored);
      data_dir_.clear();
    }
  }

  const std::string& pid() const { return pid_; }  // empty unless running
  // The temporary folder the server's data lives in (under "/data"); the
  // benchmark may keep its own files beside it, deleted with it.
  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string Script(const char* name) const {
    return std::string(VECGATE_SOURCE_DIR) + "/tools/" + tool_ + "/" + name + ".sh";
  }

  const char* tool_;
  std::string pid_;
  std::string data_dir_;
};

// Globals, because the atexit and signal handlers below must reach them.
inline ToolServer g_chroma("chroma");
inline ToolServer g_pglite("pglite");

// Starts the benchmark's Chroma (its data folder tagged `program`) and
// prints "server: URI (pid P)". Returns the chroma:// URI, or "" after
// saying on stderr that Chroma could not start.
inline std::string StartChroma(const std::string& program) {
  const int port = g_chroma.Start(program);
  if (port == 0) {
    std::fprintf(stderr, "%s: could not start Chroma (tools/chroma/start.sh)\n", program.c_str());
    return "";
  }
  const std::string uri = "chroma://127.0.0.1:" + std::to_string(port);
  std::printf("server: %s (pid %s)\n", uri.c_str(), g_chroma.pid().c_str());
  return uri;
}

// Stops whichever of the servers runs.
inline void StopServers() {
  g_pglite.Stop();
  g_chroma.Stop();
}

inline void StopServersOnSignal(int) {
  StopServers();
  _exit(130);
}

// Makes StopServers run at exit and on SIGINT / SIGTERM (exit status 130);
// call before starting a server.
inline void StopServersAtExit() {
  std::atexit(StopServers);
  signal(SIGINT, StopServersOnSignal);
  signal(SIGTERM, StopServersOnSignal);
}

}  // namespace vecgate::bench

#endif  // VECGATE_BENCH_BENCH_SERVER_H_
