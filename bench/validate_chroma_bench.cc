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
// Reports the medians, the ratio (target <= 1.3), each check's time in the
// median validation run, and a reference validator's 32.45 s for this job
// (a quoted figure, not re-measured) on stdout and as JSON in --out (default
// bench_results/validate_chroma_bench.json). The server is stopped at exit.
// Exit status 1 when the ratio misses its target or the verdict is not
// PASSED, 2 when something could not run.
//
// Usage: validate_chroma_bench [--out FILE] [--reps N] [--scale S] [--dim D]
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_server.h"
#include "bench/check_times.h"
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
  const std::string base = bench::StartChroma("validate_chroma_bench");
  if (base.empty()) return 2;
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
    bench::RunAlternating(rep, run_validate, run_raw);
    if (!ok) break;
    std::printf("  rep %d: validate %.2f s (%s), raw fetch %.2f s\n", rep,
                validate_seconds.back(),
                OverallStatusName(reports.back().overall_status), raw_seconds.back());
  }
  if (!ok || reports.empty()) return 2;

  const double validate = Median(validate_seconds), fetched = Median(raw_seconds);
  // The report of the median run, for the per-check breakdown.
  const ValidationReport& report = reports[bench::MedianIndex(validate_seconds)];
  const bench::TimeRatio ratio(validate, fetched, kTargetRatio,
                               report.overall_status == OverallStatus::kPassed);

  std::printf("\n%lld old + %lld new records, %zu pages, %.1f MB of JSON per raw fetch\n",
              static_cast<long long>(report.old_records),
              static_cast<long long>(report.new_records), raw_pages, raw_bytes / 1e6);
  std::printf("%-34s %10s\n", "", "seconds");
  std::printf("%-34s %10.3f\n", "raw fetch of both stores (median)", fetched);
  const std::string label =
      "vecgate validate, " + std::to_string(report.checks.size()) + " checks (median)";
  ratio.Print(34, label);
  std::printf("%-34s %10.2f  (reference figure; vecgate is %.1fx faster)\n",
              "reference validator, same job", kSeedValidatorSeconds,
              kSeedValidatorSeconds / validate);
  std::printf("verdict %s; time in each check's hooks (median run):\n",
              OverallStatusName(report.overall_status));
  for (const CheckResult& c : report.checks) {
    std::printf("  %-24s %5s %8.3f s  %s\n", c.name.c_str(), CheckStatusName(c.status),
                c.elapsed_seconds, c.summary.substr(0, 90).c_str());
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
      {"seed_validator_seconds", kSeedValidatorSeconds},
      {"overall_status", OverallStatusName(report.overall_status)},
      {"checks", bench::CheckTimesJson(report.checks)}};
  out_json.update(ratio.Json());
  if (!bench::WriteResults(config.out, out_json)) return 2;
  return ratio.pass ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  vecgate::Config config;
  CLI::App app("validate_chroma_bench: a full validation of two real Chroma databases against "
               "fetching both raw",
               "validate_chroma_bench");
  vecgate::bench::AddCommonFlags(app, &config.out, &config.reps);
  vecgate::bench::AddCorpusFlags(app, &config.scale, &config.dim);
  if (std::optional<int> exit_code = vecgate::bench::ParseFlags(app, argc, argv)) {
    return *exit_code;
  }
  vecgate::bench::StopServersAtExit();
  return vecgate::Run(config);
}
