// validate_chroma_bench: a full validation of two real Chroma databases at
// the fixture corpus's scale, against fetching both stores' records raw.
//
// Starts the pinned Chroma server (tools/chroma/start.sh) on a free port
// with a temporary data folder, loads the fixture corpus (fixtures/
// generator.h: 9,832 records x 1,536 dimensions, four
// collections, cosine) with LoadCorpus into database "bench_old", and the
// same corpus again into "bench_new" (a clean migration). Then, in the same
// run, repeated with alternating order:
//   vecgate  RunValidation(old, new, DefaultSuite()): all eight checks, the
//            live-index part of semantic_divergence on (recall of Chroma's
//            index and self-retrieval), as `vecgate validate` runs it;
//   raw      every page of every collection of both databases fetched with
//            HttpClient (POST .../get, pages of 1,000 with embeddings,
//            documents and metadatas), bodies not decoded: the cost of
//            moving the data at all, as chroma_bench's SCAN baseline.
// Reports the medians, the ratio (target <= 1.5), each check's time in the
// median validation run, and a reference validator's 32.45 s for this job
// (a quoted figure, not re-measured) on stdout and as JSON in --out (default
// bench_results/validate_chroma_bench.json). The server is stopped at exit.
// Exit status 1 when the ratio misses its target or the verdict is not
// PASSED, 2 when something could not run.
//
// Usage: validate_chroma_bench [--out FILE] [--reps N] [--scale S] [--dim D]
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_server.h"
#include "bench/chroma_raw_fetch.h"
#include "core/store.h"
#include "fixtures/generator.h"
#include "harness/runner.h"
#include "stores/chroma_store.h"
#include "stores/http_client.h"
#include "stores/register.h"
#include "suites/suite.h"

namespace vecgate {
namespace {

using bench::Median;
using bench::OnSignal;
using bench::StartServer;
using bench::StopServer;
using bench::g_data_dir;
using bench::g_server_pid;

// The reference validator's time on this job (9,832 x 1,536, eight checks).
constexpr double kSeedValidatorSeconds = 32.45;
// Validating must cost at most 30 % more than fetching both stores raw.
constexpr double kTargetRatio = 1.3;

struct Config {
  std::string out = "bench_results/validate_chroma_bench.json";
  int reps = 3;
  double scale = 1.0;
  int dim = 1536;
  size_t page_size = 1000;
};

// ------------------------------------------------------------- the server


// ------------------------------------------------------------ measurement

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}


bool Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "validate_chroma_bench: %s: %s\n", what,
                 s.ToString().c_str());
  }
  return s.ok();
}

int Run(const Config& config) {
  std::printf("validate_chroma_bench: fixture corpus scale %.2f x %d dims, %d repetitions\n",
              config.scale, config.dim, config.reps);
  RegisterBuiltinStores();
  const int port = StartServer("validate_chroma_bench");
  if (port == 0) {
    std::fprintf(stderr, "validate_chroma_bench: could not start Chroma\n");
    return 2;
  }
  const std::string base = "chroma://127.0.0.1:" + std::to_string(port);
  std::printf("server: %s (pid %s)\n", base.c_str(), g_server_pid.c_str());
  OpenOptions options;
  options.timeout_seconds = 120;

  CorpusOptions corpus;
  corpus.scale = config.scale;
  corpus.dimension = config.dim;
  std::unique_ptr<ChromaStore> stores[2];
  const char* const databases[2] = {"bench_old", "bench_new"};
  double load_seconds[2] = {0, 0};
  for (int side = 0; side < 2; ++side) {
    Result<std::string> uri = ChromaStore::CreateDatabaseUri(base, databases[side]);
    if (!Check(uri.status(), "database uri")) return 2;
    Result<std::unique_ptr<ChromaStore>> opened = ChromaStore::Open(*uri, options);
    if (!Check(opened.status(), "open")) return 2;
    stores[side] = std::move(opened).value();
    if (!Check(stores[side]->EnsureDatabase(), "create database")) return 2;
    const auto start = Clock::now();
    if (!Check(LoadCorpus(corpus, *stores[side]), "load corpus")) return 2;
    load_seconds[side] = SecondsSince(start);
    std::printf("loaded %s in %.1f s\n", stores[side]->Describe().c_str(),
                load_seconds[side]);
  }
  ChromaStore& old_store = *stores[0];
  ChromaStore& new_store = *stores[1];

  Result<bench::ChromaRawFetch> planned =
      bench::ChromaRawFetch::Plan({&old_store, &new_store}, options.timeout_seconds,
                                  config.page_size);
  if (!Check(planned.status(), "plan raw fetch")) return 2;
  bench::ChromaRawFetch& raw = *planned;
  size_t raw_bytes = 0, raw_pages = 0;
  auto fetch_raw = [&]() -> bool {
    if (!Check(raw.Fetch(), "raw get")) return false;
    raw_bytes = raw.bytes();
    raw_pages = raw.pages();
    return true;
  };

  const Suite suite = DefaultSuite();
  RunOptions run_options;
  run_options.page_size = config.page_size;
  bool ok = fetch_raw();  // warm-up (server caches), not timed
  std::vector<double> validate_seconds, raw_seconds;
  std::vector<ValidationReport> reports;
  for (int rep = 0; rep < config.reps && ok; ++rep) {
    auto run_validate = [&] {
      const auto start = Clock::now();
      Result<ValidationReport> report =
          RunValidation(old_store, new_store, suite, run_options);
      validate_seconds.push_back(SecondsSince(start));
      if (!Check(report.status(), "validation")) {
        ok = false;
        return;
      }
      reports.push_back(std::move(report).value());
    };
    auto run_raw = [&] {
      const auto start = Clock::now();
      ok = fetch_raw() && ok;
      raw_seconds.push_back(SecondsSince(start));
    };
    if (rep % 2 == 0) {
      run_validate();
      run_raw();
    } else {
      run_raw();
      run_validate();
    }
    if (!ok) break;
    std::printf("  rep %d: validate %.2f s (%s), raw fetch %.2f s\n", rep,
                validate_seconds.back(),
                OverallStatusName(reports.back().overall_status), raw_seconds.back());
  }
  if (!ok || reports.empty()) return 2;

  const double validate = Median(validate_seconds), fetched = Median(raw_seconds);
  const double ratio = validate / fetched;
  // The report of the median run, for the per-check breakdown.
  size_t median_rep = 0;
  for (size_t i = 0; i < validate_seconds.size(); ++i) {
    if (validate_seconds[i] == validate ||
        std::fabs(validate_seconds[i] - validate) <
            std::fabs(validate_seconds[median_rep] - validate)) {
      median_rep = i;
    }
  }
  const ValidationReport& report = reports[median_rep];
  const bool passed = report.overall_status == OverallStatus::kPassed;
  const bool pass = ratio <= kTargetRatio && passed;

  std::printf("\n%lld old + %lld new records, %zu pages, %.1f MB of JSON per raw fetch\n",
              static_cast<long long>(report.old_records),
              static_cast<long long>(report.new_records), raw_pages, raw_bytes / 1e6);
  std::printf("%-34s %10s\n", "", "seconds");
  std::printf("%-34s %10.3f\n", "raw fetch of both stores (median)", fetched);
  const std::string label =
      "vecgate validate, " + std::to_string(report.checks.size()) + " checks (median)";
  std::printf("%-34s %10.3f  ratio %.3f, target <= %.1f: %s\n", label.c_str(), validate,
              ratio, kTargetRatio,
              ratio <= kTargetRatio ? "PASS" : "FAIL");
  std::printf("%-34s %10.2f  (reference figure; vecgate is %.1fx faster)\n",
              "reference validator, same job", kSeedValidatorSeconds,
              kSeedValidatorSeconds / validate);
  std::printf("verdict %s; time in each check's hooks (median run):\n",
              OverallStatusName(report.overall_status));
  nlohmann::json checks = nlohmann::json::array();
  for (const CheckResult& c : report.checks) {
    std::printf("  %-24s %5s %8.3f s  %s\n", c.name.c_str(), CheckStatusName(c.status),
                c.elapsed_seconds, c.summary.substr(0, 90).c_str());
    checks.push_back({{"check", c.name},
                      {"status", CheckStatusName(c.status)},
                      {"seconds", c.elapsed_seconds},
                      {"summary", c.summary}});
  }

  nlohmann::json out_json = {
      {"benchmark", "validate_chroma_bench"},
      {"records_per_store", report.old_records},
      {"dimension", config.dim},
      {"scale", config.scale},
      {"page_size", config.page_size},
      {"repetitions", config.reps},
      {"load_seconds", {load_seconds[0], load_seconds[1]}},
      {"raw_fetch_seconds_median", fetched},
      {"raw_fetch_seconds", raw_seconds},
      {"raw_fetch_bytes", raw_bytes},
      {"raw_fetch_pages", raw_pages},
      {"validate_seconds_median", validate},
      {"validate_seconds", validate_seconds},
      {"ratio", ratio},
      {"target_ratio", kTargetRatio},
      {"seed_validator_seconds", kSeedValidatorSeconds},
      {"overall_status", OverallStatusName(report.overall_status)},
      {"checks", checks},
      {"pass", pass}};
  const std::filesystem::path out(config.out);
  if (out.has_parent_path()) {
    std::error_code ignored;
    std::filesystem::create_directories(out.parent_path(), ignored);
  }
  std::ofstream(out) << out_json.dump(2) << "\n";
  std::printf("\nresults written to %s\n", config.out.c_str());
  return pass ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  vecgate::Config config;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "validate_chroma_bench: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--out") {
      config.out = value();
    } else if (arg == "--reps") {
      config.reps = std::max(1, std::atoi(value().c_str()));
    } else if (arg == "--scale") {
      config.scale = std::atof(value().c_str());
    } else if (arg == "--dim") {
      config.dim = std::max(1, std::atoi(value().c_str()));
    } else {
      std::fprintf(stderr,
                   "usage: validate_chroma_bench [--out FILE] [--reps N] [--scale S] "
                   "[--dim D]\n");
      return arg == "--help" ? 0 : 2;
    }
  }
  std::atexit(vecgate::StopServer);
  signal(SIGINT, vecgate::OnSignal);
  signal(SIGTERM, vecgate::OnSignal);
  return vecgate::Run(config);
}
