// pgvector_bench: the postgresql:// store against psql, and a Chroma ->
// pgvector validation against fetching both stores raw.
//
// Starts the pinned Chroma (tools/chroma/start.sh) and the pinned PGlite
// (tools/pglite/start.sh: PostgreSQL 18 with pgvector 0.8) on free ports
// with temporary data folders, loads the fixture corpus (fixtures/
// generator.h: 9,832 records x --dim, four cosine collections) into Chroma
// database "bench_old" with LoadCorpus, and copies it into schema "bench" of
// PGlite with MigrateWithFaults and no faults, as `vecgate fixtures migrate`
// does (tables with an HNSW index). Then, each repeated with alternating
// order:
//   SCAN      vecgate  open the postgresql:// store and Scan every table
//                      (ids, documents, metadata, embeddings decoded into
//                      RecordBatch pages of 1,000, keyset-paged);
//             psql     `psql -At -c "SELECT id, document, metadata,
//                      embedding FROM bench.T ORDER BY id"` for every table in
//                      one psql process, its output read and counted, not
//                      parsed: the same rows in the same order, as text.
//             target: vecgate / psql <= 1.3.
//   VALIDATE  vecgate  RunValidation(chroma old, pgvector new,
//                      DefaultSuite()): the nine checks, with the live-index
//                      part of semantic_divergence querying pgvector's HNSW
//                      index, as `vecgate validate` runs it;
//             raw      every page of the Chroma database fetched raw
//                      (bench/chroma_raw_fetch.h) and the psql command above.
//             target: vecgate / raw <= 1.5. The same validation without
//             the live-index queries is timed too (reported, not judged):
//             it separates vecgate's own cost from PGlite answering the
//             HNSW queries. So does the third figure: the raw fetch plus
//             psql sending PGlite as many top-k HNSW queries as the
//             validation asked (record vectors of each table, 100 to a
//             statement as vecgate sends them), the server's share of the
//             live-index part (reported, not judged).
// Reports medians and ratios on stdout and as JSON in --out (default
// bench_results/pgvector_bench.json). Both servers are stopped at exit.
// Exit status 1 when a ratio misses its target or the verdict is not PASSED,
// 2 when something could not run (psql missing: tools/setup.sh --bench
// installs postgresql-client).
//
// Usage: pgvector_bench [--out FILE] [--reps N] [--scale S] [--dim D]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_server.h"
#include "bench/check_times.h"
#include "bench/chroma_raw_fetch.h"
#include "codec/record_json.h"
#include "core/store.h"
#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "harness/runner.h"
#include "stores/chroma_store.h"
#include "stores/register.h"
#include "suites/suite.h"

namespace vecgate {
namespace {

using bench::Median;
using Clock = std::chrono::steady_clock;

constexpr double kScanTargetRatio = 1.3;
constexpr double kValidateTargetRatio = 1.5;
constexpr const char* kSchema = "bench";

struct Config {
  std::string out = "bench_results/pgvector_bench.json";
  int reps = 3;
  double scale = 1.0;
  // 768 rather than chroma_bench's 1,536: PGlite builds the HNSW indexes in
  // WebAssembly, and the copy of 9,832 x 1,536 takes minutes before
  // anything is measured (measured: 9,832 x 384 takes about 60 s).
  int dim = 768;
  size_t page_size = 1000;
};

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool Check(const Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "pgvector_bench: %s: %s\n", what, s.ToString().c_str());
  return s.ok();
}

// The psql baseline: one process, one SELECT per table, output counted.
struct Psql {
  std::string command;
  size_t bytes = 0;  // printed by the last Run()

  bool Run() { return RunCommand(command, &bytes); }

  // Runs `line`, its output counted into `*printed`.
  static bool RunCommand(const std::string& line, size_t* printed) {
    FILE* pipe = popen(line.c_str(), "r");
    if (pipe == nullptr) return false;
    static char buffer[1 << 16];
    size_t bytes = 0;
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) bytes += n;
    *printed = bytes;
    const int rc = pclose(pipe);
    if (rc != 0) {
      std::fprintf(stderr, "pgvector_bench: psql exited with status %d\n", rc);
      return false;
    }
    return bytes > 0;
  }
};

// Runs `a` and `b` `reps` times, alternating which goes first; their
// seconds in `*ta` and `*tb`. False as soon as one fails.
template <typename A, typename B>
bool Interleave(int reps, A a, B b, std::vector<double>* ta, std::vector<double>* tb,
                const char* name_a, const char* name_b) {
  for (int rep = 0; rep < reps; ++rep) {
    for (int turn = 0; turn < 2; ++turn) {
      const bool first_a = rep % 2 == 0;
      const bool run_a = (turn == 0) == first_a;
      const auto start = Clock::now();
      if (!(run_a ? a() : b())) return false;
      (run_a ? ta : tb)->push_back(SecondsSince(start));
    }
    std::printf("  rep %d: %s %.3f s, %s %.3f s\n", rep, name_a, ta->back(), name_b,
                tb->back());
  }
  return true;
}

int Run(const Config& config) {
  std::printf("pgvector_bench: fixture corpus scale %.2f x %d dims, %d repetitions\n",
              config.scale, config.dim, config.reps);
  if (std::system("command -v psql >/dev/null 2>&1") != 0) {
    std::fprintf(stderr,
                 "pgvector_bench: psql not found; run tools/setup.sh --bench "
                 "(Debian's postgresql-client)\n");
    return 2;
  }
  RegisterBuiltinStores();
  const int chroma_port = bench::g_chroma.Start("pgvector_bench_chroma");
  if (chroma_port == 0) {
    std::fprintf(stderr, "pgvector_bench: could not start Chroma (tools/chroma/start.sh)\n");
    return 2;
  }
  const int pg_port = bench::g_pglite.Start("pgvector_bench_pglite");
  if (pg_port == 0) {
    std::fprintf(stderr, "pgvector_bench: could not start PGlite (tools/pglite/start.sh)\n");
    return 2;
  }
  std::printf("servers: Chroma on 127.0.0.1:%d (pid %s), PGlite on 127.0.0.1:%d (pid %s)\n",
              chroma_port, bench::g_chroma.pid().c_str(), pg_port, bench::g_pglite.pid().c_str());
  OpenOptions options;
  options.timeout_seconds = 120;

  // Old: the corpus in Chroma.
  CorpusOptions corpus;
  corpus.scale = config.scale;
  corpus.dimension = config.dim;
  Result<std::string> chroma_uri = ChromaStore::CreateDatabaseUri(
      "chroma://127.0.0.1:" + std::to_string(chroma_port), "bench_old");
  if (!Check(chroma_uri.status(), "database uri")) return 2;
  Result<std::unique_ptr<ChromaStore>> opened = ChromaStore::Open(*chroma_uri, options);
  if (!Check(opened.status(), "open Chroma")) return 2;
  ChromaStore& old_store = **opened;
  if (!Check(old_store.EnsureDatabase(), "create database")) return 2;
  auto start = Clock::now();
  if (!Check(LoadCorpus(corpus, old_store), "load corpus")) return 2;
  const double load_seconds = SecondsSince(start);
  std::printf("loaded %s in %.1f s\n", old_store.Describe().c_str(), load_seconds);

  // New: the same records copied into pgvector tables.
  const std::string pg_uri = "postgresql://postgres@127.0.0.1:" + std::to_string(pg_port) +
                             "/postgres?schema=" + kSchema;
  Result<std::unique_ptr<Store>> pg = OpenStore(pg_uri, options);
  if (!Check(pg.status(), "open PGlite")) return 2;
  Store& new_store = **pg;
  start = Clock::now();
  Result<FaultLog> migrated = MigrateWithFaults(old_store, new_store, FaultSpec(), 1);
  if (!Check(migrated.status(), "migrate to pgvector")) return 2;
  const double migrate_seconds = SecondsSince(start);
  Result<std::vector<CollectionInfo>> tables = new_store.ListCollections();
  if (!Check(tables.status(), "list tables")) return 2;
  int64_t pg_records = 0;
  Psql psql;
  // PGlite takes any password; a real server would read PGPASSWORD or
  // ~/.pgpass. Nothing here is printed.
  psql.command = "PGPASSWORD=bench psql -X -q -At -h 127.0.0.1 -p " + std::to_string(pg_port) +
                 " -U postgres -d postgres";
  for (const CollectionInfo& t : *tables) {
    Result<int64_t> count = new_store.Count(t.name);
    if (!Check(count.status(), "count")) return 2;
    pg_records += *count;
    psql.command += " -c \"SELECT id, document, metadata, embedding FROM " +
                    std::string(kSchema) + "." + t.name + " ORDER BY id\"";
  }
  std::printf("migrated %lld records into %zu pgvector tables in %.1f s\n",
              static_cast<long long>(pg_records), tables->size(), migrate_seconds);

  // SCAN.
  int64_t scanned = 0;
  auto vecgate_scan = [&]() -> bool {
    Result<std::unique_ptr<Store>> store = OpenStore(pg_uri, options);
    if (!Check(store.status(), "open for scan")) return false;
    scanned = 0;
    ScanOptions scan;
    scan.page_size = config.page_size;
    for (const CollectionInfo& t : *tables) {
      Status s = (*store)->Scan(t.name, scan, [&](RecordBatch& page) {
        scanned += static_cast<int64_t>(page.size());
        return Status::Ok();
      });
      if (!Check(s, "scan")) return false;
    }
    return scanned == pg_records;
  };
  auto psql_scan = [&] { return psql.Run(); };
  if (!vecgate_scan() || !psql_scan()) return 2;  // warm-up, not timed
  std::printf("SCAN: %lld records, psql prints %.1f MB\n", static_cast<long long>(scanned),
              psql.bytes / 1e6);
  std::vector<double> scan_vecgate, scan_psql;
  if (!Interleave(config.reps, vecgate_scan, psql_scan, &scan_vecgate, &scan_psql,
                  "vecgate scan", "psql")) {
    return 2;
  }
  const bench::TimeRatio scan_ratio(Median(scan_vecgate), Median(scan_psql), kScanTargetRatio);

  // VALIDATE.
  Result<bench::ChromaRawFetch> raw =
      bench::ChromaRawFetch::Plan({&old_store}, options.timeout_seconds, config.page_size);
  if (!Check(raw.status(), "plan raw fetch")) return 2;
  const Suite suite = DefaultSuite();
  RunOptions run_options;
  run_options.page_size = config.page_size;
  std::vector<ValidationReport> reports;
  auto vecgate_validate = [&]() -> bool {
    Result<ValidationReport> report = RunValidation(old_store, new_store, suite, run_options);
    if (!Check(report.status(), "validation")) return false;
    reports.push_back(std::move(report).value());
    return true;
  };
  auto raw_fetch = [&]() -> bool { return Check(raw->Fetch(), "raw get") && psql.Run(); };
  if (!raw_fetch()) return 2;  // warm-up, not timed
  std::vector<double> validate_seconds, raw_seconds;
  if (!Interleave(config.reps, vecgate_validate, raw_fetch, &validate_seconds, &raw_seconds,
                  "vecgate validate", "raw fetch of both")) {
    return 2;
  }
  const double validate = Median(validate_seconds), fetched = Median(raw_seconds);
  const ValidationReport& report = reports[bench::MedianIndex(validate_seconds)];
  const bench::TimeRatio validate_ratio(validate, fetched, kValidateTargetRatio,
                                        report.overall_status == OverallStatus::kPassed);
  // How many live queries pgvector answered, and the same validation
  // without them: PGlite runs HNSW in WebAssembly on one backend, so the
  // live-index part is mostly server time, which this separates from
  // vecgate's own cost of reading and judging both stores.
  int64_t live_queries = 0, self_queries = 0;
  for (const CheckResult& c : report.checks) {
    if (c.name != "semantic_divergence") continue;
    live_queries = c.metrics.value("live_index_queries", int64_t{0});
    self_queries = c.metrics.value("self_retrieval_checked", int64_t{0});
  }
  Suite no_live = suite;
  no_live.divergence.check_live_index = false;
  auto vecgate_validate_no_live = [&]() -> bool {
    Result<ValidationReport> r = RunValidation(old_store, new_store, no_live, run_options);
    return Check(r.status(), "validation without the live index") &&
           r->overall_status == OverallStatus::kPassed;
  };
  std::vector<double> no_live_seconds, no_live_raw_seconds;
  if (!Interleave(config.reps, vecgate_validate_no_live, raw_fetch, &no_live_seconds,
                  &no_live_raw_seconds, "vecgate validate without live index",
                  "raw fetch of both")) {
    return 2;
  }
  const double no_live_ratio = Median(no_live_seconds) / Median(no_live_raw_seconds);

  // The live queries sent raw: psql asks each table its share of
  // `live_queries`, its own records' vectors as queries, in statements of
  // 100 shaped as PostgresStore::Query's (ef_search as it sets it).
  const char* tmp = std::getenv("TMPDIR");
  const std::string query_file = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") +
                                 "/pgvector_bench_queries_" + std::to_string(getpid()) + ".sql";
  {
    const size_t per_table =
        tables->empty() ? 0 : static_cast<size_t>(live_queries) / tables->size();
    const int64_t k = suite.queries.k;
    std::string sql = "SET hnsw.ef_search = " + std::to_string(std::max<int64_t>(40, k)) + ";\n";
    for (const CollectionInfo& t : *tables) {
      std::vector<std::string> vectors;
      Status s = new_store.Scan(t.name, ScanOptions(), [&](RecordBatch& page) {
        for (size_t r = 0; r < page.size() && vectors.size() < per_table; ++r) {
          std::string v = "\"[";
          for (size_t c = 0; c < page.embedding_size(r); ++c) {
            if (c) v += ',';
            AppendJsonFloat(page.embedding(r)[c], &v);
          }
          vectors.push_back(v + "]\"");
        }
        return Status::Ok();
      });
      if (!Check(s, "read query vectors")) return 2;
      for (size_t b = 0; b < vectors.size(); b += 100) {
        sql += "SELECT q.n, a.id, a.d FROM unnest('{";
        for (size_t i = b; i < std::min(vectors.size(), b + 100); ++i) {
          sql += (i > b ? "," : "") + vectors[i];
        }
        sql += "}'::vector(" + std::to_string(config.dim) +
               ")[]) WITH ORDINALITY AS q(v, n) CROSS JOIN LATERAL (SELECT id, embedding <=> q.v "
               "AS d FROM " + std::string(kSchema) + "." + t.name +
               " ORDER BY embedding <=> q.v LIMIT " + std::to_string(k) + ") a ORDER BY q.n;\n";
      }
    }
    FILE* f = std::fopen(query_file.c_str(), "w");
    if (f == nullptr || std::fwrite(sql.data(), 1, sql.size(), f) != sql.size() ||
        std::fclose(f) != 0) {
      std::fprintf(stderr, "pgvector_bench: cannot write %s\n", query_file.c_str());
      return 2;
    }
  }
  size_t answer_bytes = 0;
  auto raw_queries = [&] {
    return Psql::RunCommand(psql.command.substr(0, psql.command.find(" -c ")) + " -f " + query_file,
                            &answer_bytes);
  };
  if (!raw_queries()) return 2;  // warm-up, not timed
  std::vector<double> raw_query_seconds;
  for (int rep = 0; rep < config.reps; ++rep) {
    const auto begin = Clock::now();
    if (!raw_queries()) return 2;
    raw_query_seconds.push_back(SecondsSince(begin));
  }
  std::remove(query_file.c_str());
  const double server_share = fetched + Median(raw_query_seconds);

  std::printf("\n%-40s %10s\n", "", "seconds");
  std::printf("%-40s %10.3f\n", "psql -At SELECT of every table", Median(scan_psql));
  scan_ratio.Print(40, "vecgate Scan of every table");
  std::printf("%-40s %10.3f  (Chroma %.1f MB + psql %.1f MB)\n", "raw fetch of both stores",
              fetched, raw->bytes() / 1e6, psql.bytes / 1e6);
  const std::string label =
      "vecgate validate, " + std::to_string(report.checks.size()) + " checks";
  validate_ratio.Print(40, label,
                       std::string("(") + OverallStatusName(report.overall_status) + ")");
  std::printf("%-40s %10.3f  ratio %.3f (%lld live queries and %lld self-retrieval checks "
              "left out)\n",
              "  the same without the live index", Median(no_live_seconds), no_live_ratio,
              static_cast<long long>(live_queries), static_cast<long long>(self_queries));
  std::printf("%-40s %10.3f  (%lld top-%lld queries by psql)\n", "PGlite answering the live queries",
              Median(raw_query_seconds), static_cast<long long>(live_queries),
              static_cast<long long>(suite.queries.k));
  std::printf("%-40s %10.3f  ratio %.3f (reported, not judged)\n", "raw fetch + those queries",
              server_share, validate / server_share);
  for (const CheckResult& c : report.checks) {
    std::printf("  %-24s %5s %8.3f s\n", c.name.c_str(), CheckStatusName(c.status),
                c.elapsed_seconds);
  }

  nlohmann::json scan_json = {{"psql_seconds_median", Median(scan_psql)},
                              {"psql_seconds", scan_psql},
                              {"psql_bytes", psql.bytes},
                              {"vecgate_seconds_median", Median(scan_vecgate)},
                              {"vecgate_seconds", scan_vecgate}};
  scan_json.update(scan_ratio.Json());
  nlohmann::json validate_json = {
      {"raw_fetch_seconds_median", fetched},
      {"raw_fetch_seconds", raw_seconds},
      {"raw_chroma_bytes", raw->bytes()},
      {"raw_psql_bytes", psql.bytes},
      {"validate_seconds_median", validate},
      {"validate_seconds", validate_seconds},
      {"overall_status", OverallStatusName(report.overall_status)},
      {"live_index_queries", live_queries},
      {"self_retrieval_checked", self_queries},
      {"no_live_index_seconds_median", Median(no_live_seconds)},
      {"no_live_index_seconds", no_live_seconds},
      {"no_live_index_raw_fetch_seconds_median", Median(no_live_raw_seconds)},
      {"no_live_index_ratio", no_live_ratio},
      {"raw_live_queries_seconds_median", Median(raw_query_seconds)},
      {"raw_live_queries_seconds", raw_query_seconds},
      {"raw_fetch_and_queries_ratio", validate / server_share},
      {"checks", bench::CheckTimesJson(report.checks)}};
  validate_json.update(validate_ratio.Json());
  const nlohmann::json out_json = {
      {"benchmark", "pgvector_bench"},
      {"records", pg_records},
      {"dimension", config.dim},
      {"scale", config.scale},
      {"page_size", config.page_size},
      {"repetitions", config.reps},
      {"load_seconds", load_seconds},
      {"migrate_seconds", migrate_seconds},
      {"scan", scan_json},
      {"validate", validate_json}};
  if (!bench::WriteResults(config.out, out_json)) return 2;
  return scan_ratio.pass && validate_ratio.pass ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  vecgate::Config config;
  CLI::App app("pgvector_bench: the postgresql:// store against psql, and a Chroma -> pgvector "
               "validation against fetching both raw",
               "pgvector_bench");
  vecgate::bench::AddCommonFlags(app, &config.out, &config.reps);
  vecgate::bench::AddCorpusFlags(app, &config.scale, &config.dim);
  if (std::optional<int> exit_code = vecgate::bench::ParseFlags(app, argc, argv)) {
    return *exit_code;
  }
  vecgate::bench::StopServersAtExit();
  return vecgate::Run(config);
}
