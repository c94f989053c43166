// What the server benchmarks share: one real Chroma server (and, for the
// pgvector ones, one PGlite) per benchmark run, started on a free port with
// its own data folder, stopped at exit, on a signal, and by start.sh's
// watcher if this process is killed; and medians.
#ifndef VECGATE_BENCH_BENCH_SERVER_H_
#define VECGATE_BENCH_BENCH_SERVER_H_

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace vecgate::bench {

inline std::string g_server_pid;  // set while a server runs
inline std::string g_data_dir;

inline void StopServer() {
  if (!g_server_pid.empty()) {
    const std::string command =
        std::string(VECGATE_SOURCE_DIR) + "/tools/chroma/stop.sh " + g_server_pid;
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "bench: stop.sh %s failed\n", g_server_pid.c_str());
    }
    g_server_pid.clear();
  }
  if (!g_data_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(g_data_dir, ignored);
    g_data_dir.clear();
  }
}

inline void OnSignal(int) {
  StopServer();
  _exit(130);
}

// Starts the pinned Chroma; returns its port, or 0 on failure. `tag` names
// the data folder (/tmp/vecgate_TAG_XXXXXX).
inline int StartServer(const std::string& tag) {
  std::string pattern = "/tmp/vecgate_" + tag + "_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return 0;
  g_data_dir = pattern;
  const std::string command = "WATCH_PID=" + std::to_string(getpid()) + " " +
                              std::string(VECGATE_SOURCE_DIR) + "/tools/chroma/start.sh " +
                              g_data_dir + "/data";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return 0;
  int port = 0;
  char pid[32] = {0};
  const int fields = std::fscanf(pipe, "%d %31s", &port, pid);
  pclose(pipe);
  if (fields != 2) return 0;
  g_server_pid = pid;
  return port;
}

// The pinned PGlite (PostgreSQL with pgvector, tools/pglite), for the
// pgvector benchmarks: started like the Chroma server above, stopped by
// StopPglite (at exit, on a signal, or by start.sh's watcher).
inline std::string g_pglite_pid;
inline std::string g_pglite_dir;

inline void StopPglite() {
  if (!g_pglite_pid.empty()) {
    const std::string command =
        std::string(VECGATE_SOURCE_DIR) + "/tools/pglite/stop.sh " + g_pglite_pid;
    if (std::system(command.c_str()) != 0) {
      std::fprintf(stderr, "bench: pglite stop.sh %s failed\n", g_pglite_pid.c_str());
    }
    g_pglite_pid.clear();
  }
  if (!g_pglite_dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(g_pglite_dir, ignored);
    g_pglite_dir.clear();
  }
}

// Returns the port of a fresh PGlite, or 0 on failure (start.sh says why on
// stderr). `tag` names the data folder (/tmp/vecgate_TAG_XXXXXX).
inline int StartPglite(const std::string& tag) {
  std::string pattern = "/tmp/vecgate_" + tag + "_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return 0;
  g_pglite_dir = pattern;
  const std::string command = "WATCH_PID=" + std::to_string(getpid()) + " " +
                              std::string(VECGATE_SOURCE_DIR) + "/tools/pglite/start.sh " +
                              g_pglite_dir + "/data";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return 0;
  int port = 0;
  char pid[32] = {0};
  const int fields = std::fscanf(pipe, "%d %31s", &port, pid);
  pclose(pipe);
  if (fields != 2) return 0;
  g_pglite_pid = pid;
  return port;
}

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace vecgate::bench

#endif  // VECGATE_BENCH_BENCH_SERVER_H_
