// validate_scale_bench: a full validation of two large jsonl stores, its wall
// time and its peak memory.
//
// Generates the fixture corpus (fixtures/generator.h) at the scale that gives
// about --records records (default 1,000,000) of --dim dimensions (default
// 768) into WORK_DIR/old_N_D.jsonl, and a byte-for-byte copy as
// WORK_DIR/new_N_D.jsonl (a clean migration). Both are made once and reused
// while a ".done" stamp beside them says they are complete.
//
// The validation runs in a child process (this program re-executed with
// --child), so that its peak RSS (wait4's ru_maxrss, and the child's own
// VmHWM) counts only what validation needs: opening both stores, then
// RunValidation with DefaultSuite(), queries.sample_count = --sample-count
// (default 1,000), every check on (the live-index part of
// semantic_divergence does not apply: a jsonl store cannot answer queries).
// The child reports the time of each phase (open, scan of each collection
// of each side, the work between scans, i.e. end-of-group checks such as
// exact top-k), the time each check spent and the verdict.
//
// Output: a table on stdout and JSON in --out (default
// bench_results/validate_scale_bench.json). Target: peak RSS < 1 GB. Exit
// status 1 when the target is missed or the verdict is not PASSED, 2 when
// something could not run.
//
// Usage: validate_scale_bench [--records N] [--dim D] [--work-dir DIR]
//                             [--sample-count N] [--out FILE] [--clean]
// (--clean deletes the generated stores at the end.)
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/check_times.h"
#include "core/store.h"
#include "fixtures/generator.h"
#include "harness/runner.h"
#include "stores/jsonl_store.h"
#include "stores/register.h"
#include "suites/suite.h"

namespace vecgate {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Config {
  int64_t records = 1000000;
  int dim = 768;
  std::string work_dir = "/tmp/vecgate_scale_bench";
  int64_t sample_count = 1000;
  std::string out = "bench_results/validate_scale_bench.json";
  bool clean = false;
};

// Kilobytes of the peak resident set of this process (VmHWM), 0 if unknown.
long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

bool Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "validate_scale_bench: %s: %s\n", what,
                 s.ToString().c_str());
  }
  return s.ok();
}

// ------------------------------------------------------------------ child

// Opens both stores and validates; writes the result JSON to `result_path`.
int RunChild(const std::string& old_path, const std::string& new_path,
             int64_t sample_count, const std::string& result_path) {
  RegisterBuiltinStores();
  nlohmann::json result;
  nlohmann::json phases = nlohmann::json::array();
  const auto start = Clock::now();
  OpenOptions options;
  auto t = Clock::now();
  Result<std::unique_ptr<Store>> old_store = OpenStore("jsonl:" + old_path, options);
  if (!Check(old_store.status(), "open old")) return 2;
  phases.push_back({{"phase", "open old (index pass)"}, {"seconds", SecondsSince(t)}});
  t = Clock::now();
  Result<std::unique_ptr<Store>> new_store = OpenStore("jsonl:" + new_path, options);
  if (!Check(new_store.status(), "open new")) return 2;
  phases.push_back({{"phase", "open new (index pass)"}, {"seconds", SecondsSince(t)}});
  const long rss_after_open_kb = PeakRssKb();

  Suite suite = DefaultSuite();
  suite.queries.sample_count = sample_count;
  RunOptions run;
  // Stage times from the progress callback: a stage runs from its first
  // callback to its last; what lies between two stages is the end-of-group
  // work of the checks (exact top-k, duplicates, ...).
  std::string stage;
  Clock::time_point stage_start, stage_last;
  const auto run_start = Clock::now();
  Clock::time_point previous_end = run_start;
  auto close_stage = [&] {
    if (stage.empty()) return;
    phases.push_back(
        {{"phase", "scan " + stage},
         {"seconds", std::chrono::duration<double>(stage_last - stage_start).count()}});
  };
  run.progress = [&](const std::string& name, int64_t, int64_t) {
    const auto now = Clock::now();
    if (name != stage) {
      close_stage();
      const double gap = std::chrono::duration<double>(now - (stage.empty() ? previous_end
                                                                            : stage_last))
                             .count();
      if (gap > 0.05) {
        phases.push_back({{"phase", stage.empty() ? "start (listing, checks' BeginRun)"
                                                  : "between scans (after " + stage + ")"},
                          {"seconds", gap}});
      }
      stage = name;
      stage_start = now;
    }
    stage_last = now;
  };
  Result<ValidationReport> report =
      RunValidation(**old_store, **new_store, suite, run);
  if (!Check(report.status(), "validation")) return 2;
  close_stage();
  phases.push_back({{"phase", "after the last scan (end-of-group checks, Finish)"},
                    {"seconds", std::chrono::duration<double>(Clock::now() - stage_last).count()}});

  result["phases"] = phases;
  result["checks"] = bench::CheckTimesJson(report->checks);
  result["validation_seconds"] = report->elapsed_seconds;
  result["total_seconds"] = SecondsSince(start);
  result["overall_status"] = OverallStatusName(report->overall_status);
  result["old_records"] = report->old_records;
  result["new_records"] = report->new_records;
  result["semantic_divergence_percentage"] = report->semantic_divergence_percentage;
  result["peak_rss_after_open_kb"] = rss_after_open_kb;
  result["child_vmhwm_kb"] = PeakRssKb();
  std::ofstream(result_path) << result.dump(2) << "\n";
  return 0;
}

// ----------------------------------------------------------------- parent

// Makes `path` (the corpus as jsonl) unless its stamp says it is complete.
bool EnsureOld(const Config& config, const std::string& path, double* seconds) {
  *seconds = 0;
  if (fs::exists(path + ".done")) return true;
  std::error_code ignored;
  fs::remove(path, ignored);
  CorpusOptions corpus;
  corpus.scale = static_cast<double>(config.records) / 9832.0;
  corpus.dimension = config.dim;
  std::printf("generating %s (scale %.4f)...\n", path.c_str(), corpus.scale);
  std::fflush(stdout);
  const auto start = Clock::now();
  Result<std::unique_ptr<JsonlStore>> store = OpenJsonlFile(path);
  if (!Check(store.status(), "create old")) return false;
  if (!Check(LoadCorpus(corpus, **store), "generate old")) return false;
  if (!Check((*store)->Flush(), "flush old")) return false;
  store->reset();
  *seconds = SecondsSince(start);
  std::ofstream(path + ".done") << "ok\n";
  return true;
}

bool EnsureCopy(const std::string& from, const std::string& to, double* seconds) {
  *seconds = 0;
  if (fs::exists(to + ".done")) return true;
  std::printf("copying to %s...\n", to.c_str());
  std::fflush(stdout);
  const auto start = Clock::now();
  std::error_code error;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
  if (error) {
    std::fprintf(stderr, "validate_scale_bench: copy to %s: %s\n", to.c_str(),
                 error.message().c_str());
    return false;
  }
  *seconds = SecondsSince(start);
  std::ofstream(to + ".done") << "ok\n";
  return true;
}

int Run(const Config& config, const char* self) {
  std::error_code error;
  fs::create_directories(config.work_dir, error);
  const std::string tag =
      std::to_string(config.records) + "_" + std::to_string(config.dim);
  const std::string old_path = config.work_dir + "/old_" + tag + ".jsonl";
  const std::string new_path = config.work_dir + "/new_" + tag + ".jsonl";
  double generate_seconds = 0, copy_seconds = 0;
  if (!EnsureOld(config, old_path, &generate_seconds)) return 2;
  if (!EnsureCopy(old_path, new_path, &copy_seconds)) return 2;
  const uintmax_t old_bytes = fs::file_size(old_path, error);
  const uintmax_t new_bytes = fs::file_size(new_path, error);

  const std::string result_path = config.work_dir + "/child_result_" + tag + ".json";
  fs::remove(result_path, error);
  std::printf("validating %s -> %s in a child process...\n", old_path.c_str(),
              new_path.c_str());
  std::fflush(stdout);
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 2;
  }
  if (pid == 0) {
    const std::string samples = std::to_string(config.sample_count);
    execl(self, self, "--child", old_path.c_str(), new_path.c_str(), samples.c_str(),
          result_path.c_str(), static_cast<char*>(nullptr));
    std::perror("exec");
    _exit(127);
  }
  int wstatus = 0;
  struct rusage usage {};
  if (wait4(pid, &wstatus, 0, &usage) != pid) {
    std::perror("wait4");
    return 2;
  }
  const double wall = SecondsSince(start);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    std::fprintf(stderr, "validate_scale_bench: the validation child failed (status %d)\n",
                 wstatus);
    return 2;
  }
  nlohmann::json child;
  try {
    std::ifstream in(result_path);
    child = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "validate_scale_bench: %s: %s\n", result_path.c_str(), e.what());
    return 2;
  }
  // MiB (ru_maxrss is in KiB); the target is 1 GB = 10^9 bytes.
  const double peak_mb = usage.ru_maxrss / 1024.0;
  constexpr double kTargetMiB = 1e9 / (1024.0 * 1024.0);
  const bool rss_pass = peak_mb < kTargetMiB;
  const bool passed = child["overall_status"] == "PASSED";

  std::printf("\nvalidate_scale_bench: %lld records x %d dims, sample_count %lld\n",
              static_cast<long long>(child["old_records"].get<int64_t>()), config.dim,
              static_cast<long long>(config.sample_count));
  std::printf("  old store  %-50s %8.2f GB%s\n", old_path.c_str(), old_bytes / 1e9,
              generate_seconds > 0 ? " (generated now)" : " (reused)");
  std::printf("  new store  %-50s %8.2f GB\n", new_path.c_str(), new_bytes / 1e9);
  if (generate_seconds > 0) std::printf("  generation %.1f s\n", generate_seconds);
  if (copy_seconds > 0) std::printf("  copy       %.1f s\n", copy_seconds);
  std::printf("\n  %-58s %10s\n", "phase", "seconds");
  for (const auto& p : child["phases"]) {
    std::printf("  %-58s %10.2f\n", p["phase"].get<std::string>().c_str(),
                p["seconds"].get<double>());
  }
  std::printf("\n  %-24s %6s %10s  %s\n", "check", "status", "seconds", "summary");
  for (const auto& c : child["checks"]) {
    std::string summary = c["summary"].get<std::string>();
    if (summary.size() > 70) summary = summary.substr(0, 67) + "...";
    std::printf("  %-24s %6s %10.2f  %s\n", c["check"].get<std::string>().c_str(),
                c["status"].get<std::string>().c_str(), c["seconds"].get<double>(),
                summary.c_str());
  }
  const double read_gb = (old_bytes + new_bytes) / 1e9;
  std::printf("\n  verdict %s; validation %.1f s (child wall %.1f s, %.0f MB/s of jsonl)\n",
              child["overall_status"].get<std::string>().c_str(),
              child["validation_seconds"].get<double>(), wall,
              read_gb * 1e3 / child["validation_seconds"].get<double>());
  std::printf("  peak RSS %.1f MiB (ru_maxrss; child VmHWM %.1f MiB, after opening %.1f MiB) "
              "target < 1000 MB (953.7 MiB) %s\n",
              peak_mb, child["child_vmhwm_kb"].get<double>() / 1024.0,
              child["peak_rss_after_open_kb"].get<double>() / 1024.0,
              rss_pass ? "PASS" : "FAIL");

  nlohmann::json report = {{"benchmark", "validate_scale_bench"},
                           {"records", child["old_records"]},
                           {"requested_records", config.records},
                           {"dimension", config.dim},
                           {"sample_count", config.sample_count},
                           {"old_path", old_path},
                           {"new_path", new_path},
                           {"old_bytes", old_bytes},
                           {"new_bytes", new_bytes},
                           {"generate_seconds", generate_seconds},
                           {"copy_seconds", copy_seconds},
                           {"child_wall_seconds", wall},
                           {"peak_rss_mb", peak_mb},
                           {"target_peak_rss_mb", kTargetMiB},
                           {"user_cpu_seconds", usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6},
                           {"system_cpu_seconds", usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6},
                           {"pass", rss_pass && passed},
                           {"child", child}};
  if (!bench::WriteResults(config.out, report)) return 2;
  if (config.clean) {
    for (const std::string& p : {old_path, new_path}) {
      fs::remove(p, error);
      fs::remove(p + ".done", error);
    }
    fs::remove(result_path, error);
    std::printf("removed the generated stores\n");
  }
  return rss_pass && passed ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  vecgate::Config config;
  CLI::App app("validate_scale_bench: a full validation of two large jsonl stores, its wall "
               "time and its peak memory",
               "validate_scale_bench");
  vecgate::bench::AddCommonFlags(app, &config.out, nullptr);
  app.add_option("--records", config.records, "records in each store (about)")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(4));
  app.add_option("--dim", config.dim, "dimensions of each embedding")
      ->type_name("D")
      ->check(vecgate::bench::AtLeast(1));
  app.add_option("--work-dir", config.work_dir, "where the stores are generated and kept")
      ->type_name("DIR");
  app.add_option("--sample-count", config.sample_count, "queries.sample_count of the suite")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  app.add_flag("--clean", config.clean, "delete the generated stores at the end");
  // The child this program runs itself as: OLD NEW SAMPLE_COUNT RESULT_JSON.
  // Not for users, so left out of --help (the empty group).
  std::vector<std::string> child;
  app.add_option("--child", child)->expected(4)->group("");
  if (std::optional<int> exit_code = vecgate::bench::ParseFlags(app, argc, argv)) {
    return *exit_code;
  }
  if (!child.empty()) {
    return vecgate::RunChild(child[0], child[1], std::atoll(child[2].c_str()), child[3]);
  }
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) {
    std::perror("readlink /proc/self/exe");
    return 2;
  }
  self[n] = '\0';
  return vecgate::Run(config, self);
}
