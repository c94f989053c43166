// `vecgate bench`: the query_performance check alone. Replays the queries
// (the suite's or --queries file, else sampled from old records) against
// both live stores, prints latency percentiles and throughput per mapped
// collection with the new/old ratio and the verdict, writes the reports (a
// ValidationReport holding the one check) and exits with the gate's code.
#include <cstdio>
#include <iostream>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/env.h"
#include "harness/runner.h"
#include "reports/report.h"
#include "suites/checks.h"
#include "suites/suite.h"

namespace vecgate::cli {

namespace {

struct BenchArgs {
  std::string old_uri;
  std::string new_uri;
  std::string suite_path;
  std::string queries_path;
  std::string collection;
  std::string report_dir = "vecgate_reports/bench";
  int64_t count = -1;  // -1: from the suite
  int64_t warmup = -1;
  int64_t concurrency = -1;
  double max_seconds = -1;
};

// Limits the suite to the collection named by --collection: the mapping
// whose target or source it is, else an identity mapping of it.
void RestrictToCollection(const std::string& name, Suite* suite) {
  for (const CollectionMapping& m : suite->mappings) {
    bool named = m.target == name;
    for (const auto& s : m.sources) named = named || s == name;
    if (named) {
      suite->mappings = {m};
      return;
    }
  }
  suite->mappings = {{{name}, name, std::nullopt}};
}

// A group's "SIDE_KEY" number with two decimals.
std::string Number(const nlohmann::json& group, const std::string& side, const char* key) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", group.value(side + "_" + key, 0.0));
  return buf;
}

std::string Cell(const std::string& text, size_t width, bool right) {
  if (text.size() >= width) return text;
  std::string pad(width - text.size(), ' ');
  return right ? pad + text : text + pad;
}

std::string StatsRow(const std::string& collection, const std::string& side,
                     const nlohmann::json& g) {
  return Cell(collection, 28, false) + Cell(side, 5, false) +
         Cell(std::to_string(g.value(side + "_queries", 0)), 8, true) +
         Cell(Number(g, side, "p50_ms"), 9, true) + Cell(Number(g, side, "p95_ms"), 9, true) +
         Cell(Number(g, side, "p99_ms"), 9, true) + Cell(Number(g, side, "mean_ms"), 9, true) +
         Cell(Number(g, side, "qps"), 9, true) + "\n";
}

std::string RenderBenchTable(const ValidationReport& report, const Suite& suite,
                             const std::string& report_dir) {
  const QueryPerformanceThresholds& t = suite.query_performance;
  std::string out = "vecgate bench: " + report.old_store + " (old) vs " + report.new_store +
                    " (new)\n";
  out += std::to_string(t.queries) + " queries, warm-up " + std::to_string(t.warmup) +
         ", concurrency " + std::to_string(t.concurrency) + ", k " +
         std::to_string(suite.queries.k) + ", at most " +
         std::to_string(static_cast<int64_t>(t.max_seconds)) + " s per store\n\n";
  out += Cell("collection", 28, false) + Cell("side", 5, false) + Cell("queries", 8, true) +
         Cell("p50 ms", 9, true) + Cell("p95 ms", 9, true) + Cell("p99 ms", 9, true) +
         Cell("mean ms", 9, true) + Cell("qps", 9, true) + "\n";
  if (report.checks.empty()) return out;
  const CheckResult& check = report.checks.front();
  const nlohmann::json groups = check.metrics.value("groups", nlohmann::json::object());
  for (const auto& item : groups.items()) {
    const nlohmann::json& g = item.value();
    if (g.contains("skipped")) {
      out += Cell(item.key(), 28, false) + "skipped: " + g["skipped"].get<std::string>() + "\n";
      continue;
    }
    if (g.contains("old_queries")) {
      out += StatsRow(item.key(), "old", g);
      out += StatsRow("", "new", g);
    } else {
      out += Cell(item.key(), 28, false) + "old  (cannot answer queries)\n";
      out += StatsRow("", "new", g);
    }
    std::string verdict = "  " + g.value("status", std::string("PASS"));
    if (g.contains("ratio_p95")) {
      char ratio[64];
      std::snprintf(ratio, sizeof(ratio), "p95 new/old %.2fx (%+.1f %%)",
                    g["ratio_p95"].get<double>(), g.value("slowdown_percent", 0.0));
      out += Cell("", 28, false) + ratio + verdict + "\n";
    } else {
      out += Cell("", 28, false) + "p95 new/old n/a" + verdict + "\n";
    }
  }
  for (const Finding& f : check.findings) out += "  FAIL " + f.collection + ": " + f.problem + "\n";
  char limits[160];
  std::snprintf(limits, sizeof(limits),
                "(limits: mean <= %g ms, >= %g queries/s, p95 at most %g %% slower than old)",
                t.max_mean_latency_ms, t.min_queries_per_second, t.max_slowdown_percent);
  out += "\nVerdict: " + std::string(OverallStatusName(report.overall_status)) + " (exit " +
         std::to_string(report.exit_code) + ") " + limits + "\n";
  out += "Reports: " + report_dir + "/" + report.file_base + ".{json,md,junit.xml}\n";
  return out;
}

}  // namespace

Runner SetupBench(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<BenchArgs>();
  app.add_option("--old", args->old_uri, "Store before the migration (URI)")->required();
  app.add_option("--new", args->new_uri, "Store after the migration (URI)")->required();
  app.add_option("--suite", args->suite_path,
                 "Suite file (JSON): thresholds.query_performance, mappings, queries; "
                 "default: the built-in suite");
  app.add_option("--queries", args->queries_path,
                 "Queries file (JSON Lines of vectors, or a JSON array of them); "
                 "default: the suite's, else sampled from old records");
  app.add_option("--collection", args->collection,
                 "Only this collection (a mapping's target or source)");
  app.add_option("--count", args->count, "Measured queries per store and collection")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  app.add_option("--warmup", args->warmup, "Unmeasured queries sent first")
      ->check(CLI::Range(int64_t{0}, int64_t{10000000}));
  app.add_option("--concurrency", args->concurrency,
                 "Client threads, each with its own connection")
      ->check(CLI::Range(int64_t{1}, int64_t{64}));
  app.add_option("--max-seconds", args->max_seconds,
                 "Time bound of each replay (and of its warm-up)")
      ->check(CLI::Range(0.001, 86400.0));
  app.add_option("--report-dir", args->report_dir, "Where the reports are written")
      ->capture_default_str();
  SetExample(app,
             "vecgate bench --old chroma://127.0.0.1:8000 --new chroma://127.0.0.1:8001 "
             "--suite suites/seeds.json --count 500 --concurrency 4 --report-dir reports/bench");
  return [args, &global]() -> int {
    auto loaded = SuiteFromFlag(args->suite_path);
    if (!loaded.ok()) return ReportError(loaded.status());
    Suite suite = std::move(loaded).value();
    if (!args->queries_path.empty()) {
      if (!Env::Default()->FileExists(args->queries_path)) {
        return ReportError(InvalidArgument("--queries: file " + args->queries_path +
                                           " does not exist"));
      }
      suite.queries.queries_file = args->queries_path;
    }
    QueryPerformanceThresholds& t = suite.query_performance;
    if (args->count >= 0) t.queries = args->count;
    if (args->warmup >= 0) t.warmup = args->warmup;
    if (args->concurrency >= 0) t.concurrency = args->concurrency;
    if (args->max_seconds > 0) t.max_seconds = args->max_seconds;
    t.enabled = true;
    // Every other check switched off: bench runs query_performance alone.
    for (const CheckInfo& check : AllChecks()) {
      suite.enabled_checks[std::string(check.name)] = check.name == "query_performance";
    }
    if (!args->collection.empty()) RestrictToCollection(args->collection, &suite);

    auto old_store = OpenStoreFor(args->old_uri, "--old", global);
    if (!old_store.ok()) return ReportError(old_store.status());
    auto new_store = OpenStoreFor(args->new_uri, "--new", global);
    if (!new_store.ok()) return ReportError(new_store.status());
    if (!(*new_store)->can_query()) {
      return ReportError(InvalidArgument("--new: " + (*new_store)->Describe() +
                                         " cannot answer queries, so there is nothing to "
                                         "measure"),
                         "bench needs a live store such as chroma://HOST:PORT");
    }
    if (!(*old_store)->can_query() && !global.quiet) {
      std::cerr << "vecgate: warning: --old " << (*old_store)->Describe()
                << " cannot answer queries: only the new store is measured (absolute "
                   "thresholds, no new/old ratio)\n";
    }

    Progress progress(global.quiet || global.json);
    RunOptions options;
    options.scan_new_store = false;
    options.old_uri = args->old_uri;
    options.new_uri = args->new_uri;
    options.open_options.timeout_seconds = global.timeout_seconds;
    options.progress = [&progress](const std::string& stage, int64_t done, int64_t total) {
      progress.Update(stage, done, total,
                      stage.rfind("queries ", 0) == 0 ? "queries" : "records");
    };
    auto report = RunValidation(**old_store, **new_store, suite, options);
    progress.Finish();
    if (!report.ok()) {
      return ReportError(report.status(), "the benchmark could not complete, so it decided "
                                          "nothing; fix the cause and run it again");
    }
    // Named for what they are: a benchmark, not a migration validation.
    report->title = "Query benchmark report";
    report->file_base = "bench_report";
    auto written = WriteReports(Env::Default(), args->report_dir, *report);
    if (!written.ok()) return ReportError(written.status());
    if (global.json) {
      std::cout << NewJsonReporter()->Render(*report);
    } else if (!global.quiet) {
      std::cout << RenderBenchTable(*report, suite, args->report_dir);
    }
    return report->exit_code;
  };
}

}  // namespace vecgate::cli
