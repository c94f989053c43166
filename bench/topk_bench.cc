// topk_bench: vecgate's exact top-k kernel (validators/topk.h) against FAISS.
//
// 1,000 queries (k = 10) against 100,000 x 768 float32 vectors drawn from a
// standard normal distribution (std::mt19937, fixed seeds), in the spaces l2,
// ip and cosine. The same vectors go to both sides in the same run:
//   vecgate  ExactTopK, rows streamed in blocks of VectorSpool::kReplayRows
//            (as semantic_divergence feeds it), all hardware threads;
//   faiss    IndexFlatL2 (l2) / IndexFlatIP (ip; cosine on vectors normalised
//            when the index is built, which is not timed), search(k = 10),
//            OpenMP over all hardware threads;
//   gemm     (breakdown) the float32 GEMM of vecgate's kernel alone, split
//            over threads the same way, no selection: total - gemm is the
//            cost of norms, filtering, exact re-scoring and heaps.
// Every benchmark runs once per repetition (Iterations(1), real time); the
// repetitions are registered interleaved (vecgate, faiss, gemm, vecgate,
// ...) so that load from other processes hits both sides alike, and the
// medians are reported. Agreement: recall of vecgate's ids against FAISS's
// per query, raw and with ties (a FAISS id whose exact distance equals
// vecgate's k-th within 1e-5 relative counts as found).
//
// Output: Google Benchmark's console table, then a summary (medians,
// vecgate/FAISS ratio, target <= 1.25, recall) on stdout and as JSON in
// --out FILE (default bench_results/topk_bench.json). Other flags:
// --reps N (default 3), --rows N, --queries N, --dim N, --spaces l2,ip,cosine,
// --threads N (both sides; default all hardware threads) and any
// --benchmark_* flag. Without FAISS (not found at configure time)
// only the vecgate and gemm sides run, and the summary says so.
// Exit status 1 when a ratio misses the target or recall is below 0.999.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"
#include "validators/topk.h"

#ifdef VECGATE_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <omp.h>
#ifdef VECGATE_FAISS_OPENBLAS
extern "C" void openblas_set_num_threads(int num_threads);
#endif
#endif

namespace vecgate {
namespace {

using bench::Median;

struct Config {
  std::string out = "bench_results/topk_bench.json";
  int reps = 3;
  size_t rows = 100000;
  size_t queries = 1000;
  size_t dim = 768;
  size_t k = 10;
  std::vector<std::string> spaces = {"l2", "ip", "cosine"};
  // Threads for both sides; 0 = all hardware threads. With 1, a loaded
  // machine shares its CPUs fairly between the two sides (each has one
  // runnable thread), which makes the wall-time ratio steadier.
  unsigned threads = 0;
};

Config g_config;

// The data, shared by every benchmark.
struct Data {
  std::vector<float> base;         // rows x dim
  std::vector<float> queries;      // queries x dim
  std::vector<float> base_unit;    // normalised copies (FAISS cosine)
  std::vector<float> queries_unit;
};
Data g_data;

std::vector<float> NormalMatrix(size_t n, size_t dim, uint32_t seed) {
  std::vector<float> m(n * dim);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : m) v = normal(rng);
  return m;
}

DistanceSpace SpaceOf(const std::string& name) {
  if (name == "l2") return DistanceSpace::kL2;
  if (name == "ip") return DistanceSpace::kIp;
  return DistanceSpace::kCosine;
}

// Ids per query of the last run of each side, for the agreement check.
std::map<std::string, std::vector<std::vector<int64_t>>> g_ids;
std::map<std::string, std::vector<double>> g_kth;  // vecgate's k-th distance
// Wall seconds per (side/space), one per repetition.
std::map<std::string, std::vector<double>> g_seconds;

// CPU seconds of the whole process (all threads, user + system). On a
// machine shared with other work, wall time swings with the load; CPU time
// shows the work done (FAISS's OpenMP/BLAS threads spin while they wait,
// which counts as CPU time, so it does not flatter FAISS).
std::map<std::string, std::vector<double>> g_cpu_seconds;

double CpuNow() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec * 1e-6;
}

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void RunVecgate(benchmark::State& state, const std::string& space) {
  const Config& c = g_config;
  for (auto _ : state) {
    const double start = Now(), cpu_start = CpuNow();
    ExactTopK topk(g_data.queries.data(), c.queries, c.dim, c.k, SpaceOf(space),
                   c.threads);
    for (size_t r = 0; r < c.rows; r += VectorSpool::kReplayRows) {
      const size_t n = std::min(VectorSpool::kReplayRows, c.rows - r);
      topk.AddBlock(g_data.base.data() + r * c.dim, n);
    }
    std::vector<std::vector<int64_t>> ids(c.queries);
    std::vector<double> kth(c.queries, 0.0);
    for (size_t q = 0; q < c.queries; ++q) {
      for (const auto& nb : topk.Results(q)) {
        ids[q].push_back(static_cast<int64_t>(nb.index));
        kth[q] = nb.distance;
      }
    }
    const double seconds = Now() - start;
    state.SetIterationTime(seconds);
    g_seconds["vecgate/" + space].push_back(seconds);
    g_cpu_seconds["vecgate/" + space].push_back(CpuNow() - cpu_start);
    g_ids["vecgate/" + space] = std::move(ids);
    g_kth[space] = std::move(kth);
  }
  state.counters["queries_per_s"] = benchmark::Counter(
      static_cast<double>(c.queries), benchmark::Counter::kIsRate);
}

// The GEMM of ExactTopK::ScoreRange alone: same blocks, same thread split
// (chunks of queries claimed by the hardware threads, as ExactTopK::AddBlock
// does; rows in blocks of kBlockRows), no norms, filtering or heaps.
void RunGemmOnly(benchmark::State& state, const std::string& space) {
  using RowMajor =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Config& c = g_config;
  const size_t workers =
      c.threads != 0 ? c.threads : std::max(1u, std::thread::hardware_concurrency());
  // ExactTopK's chunking (validators/topk.cc: kChunksPerWorker = 2,
  // kMinQueriesPerThread = 32, kMaxQueryChunk = 256).
  const size_t chunk = std::clamp<size_t>((c.queries + workers * 2 - 1) / (workers * 2),
                                          32, 256);
  const size_t chunks = (c.queries + chunk - 1) / chunk;
  std::vector<std::vector<float>> scores(workers);
  float checksum = 0;
  for (auto _ : state) {
    const double start = Now(), cpu_start = CpuNow();
    for (size_t r = 0; r < c.rows; r += VectorSpool::kReplayRows) {
      const size_t n = std::min(VectorSpool::kReplayRows, c.rows - r);
      const float* rows = g_data.base.data() + r * c.dim;
      std::atomic<size_t> next{0};
      auto work = [&](size_t w) {
        for (size_t k = next.fetch_add(1); k < chunks; k = next.fetch_add(1)) {
          const size_t qb = k * chunk, qe = std::min(c.queries, qb + chunk);
          Eigen::Map<const RowMajor> q(g_data.queries.data() + qb * c.dim, qe - qb, c.dim);
          scores[w].resize((qe - qb) * ExactTopK::kBlockRows);
          for (size_t c0 = 0; c0 < n; c0 += ExactTopK::kBlockRows) {
            const size_t m = std::min(ExactTopK::kBlockRows, n - c0);
            Eigen::Map<const RowMajor> block(rows + c0 * c.dim, m, c.dim);
            Eigen::Map<RowMajor> s(scores[w].data(), qe - qb, m);
            s.noalias() = q * block.transpose();
          }
        }
      };
      std::vector<std::thread> pool;
      for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
      work(0);
      for (auto& t : pool) t.join();
    }
    checksum += scores[0].empty() ? 0 : scores[0][0];
    const double seconds = Now() - start;
    state.SetIterationTime(seconds);
    g_seconds["gemm/" + space].push_back(seconds);
    g_cpu_seconds["gemm/" + space].push_back(CpuNow() - cpu_start);
  }
  benchmark::DoNotOptimize(checksum);
}

#ifdef VECGATE_HAVE_FAISS
std::vector<float> Normalised(const std::vector<float>& m, size_t dim) {
  std::vector<float> out(m);
  for (size_t r = 0; r < out.size() / dim; ++r) {
    float* v = out.data() + r * dim;
    double sq = 0;
    for (size_t i = 0; i < dim; ++i) sq += static_cast<double>(v[i]) * v[i];
    const float inv = sq > 0 ? static_cast<float>(1.0 / std::sqrt(sq)) : 0.0f;
    for (size_t i = 0; i < dim; ++i) v[i] *= inv;
  }
  return out;
}

// faiss 1.7.3 names it Index::idx_t (later versions: faiss::idx_t).
using FaissIdx = faiss::Index::idx_t;
std::map<std::string, std::unique_ptr<faiss::IndexFlat>> g_index;

void BuildIndexes() {
  const Config& c = g_config;
  for (const std::string& space : c.spaces) {
    std::unique_ptr<faiss::IndexFlat> index;
    if (space == "l2") {
      index = std::make_unique<faiss::IndexFlatL2>(static_cast<FaissIdx>(c.dim));
      index->add(static_cast<FaissIdx>(c.rows), g_data.base.data());
    } else if (space == "ip") {
      index = std::make_unique<faiss::IndexFlatIP>(static_cast<FaissIdx>(c.dim));
      index->add(static_cast<FaissIdx>(c.rows), g_data.base.data());
    } else {
      index = std::make_unique<faiss::IndexFlatIP>(static_cast<FaissIdx>(c.dim));
      index->add(static_cast<FaissIdx>(c.rows), g_data.base_unit.data());
    }
    g_index[space] = std::move(index);
  }
}

void RunFaiss(benchmark::State& state, const std::string& space) {
  const Config& c = g_config;
  const float* queries =
      space == "cosine" ? g_data.queries_unit.data() : g_data.queries.data();
  std::vector<float> distances(c.queries * c.k);
  std::vector<FaissIdx> labels(c.queries * c.k);
  for (auto _ : state) {
    const double start = Now(), cpu_start = CpuNow();
    g_index[space]->search(static_cast<FaissIdx>(c.queries), queries,
                           static_cast<FaissIdx>(c.k), distances.data(),
                           labels.data());
    const double seconds = Now() - start;
    state.SetIterationTime(seconds);
    g_seconds["faiss/" + space].push_back(seconds);
    g_cpu_seconds["faiss/" + space].push_back(CpuNow() - cpu_start);
  }
  std::vector<std::vector<int64_t>> ids(c.queries);
  for (size_t q = 0; q < c.queries; ++q) {
    for (size_t j = 0; j < c.k; ++j) ids[q].push_back(labels[q * c.k + j]);
  }
  g_ids["faiss/" + space] = std::move(ids);
  state.counters["queries_per_s"] = benchmark::Counter(
      static_cast<double>(c.queries), benchmark::Counter::kIsRate);
}
#endif

struct Agreement {
  double recall = 0;          // plain |vecgate ∩ faiss| / k
  double recall_ties = 0;     // FAISS ids tied with vecgate's k-th count
  size_t queries_differing = 0;
};

Agreement Agree(const std::string& space) {
  const Config& c = g_config;
  Agreement a;
  const auto& ours = g_ids["vecgate/" + space];
  const auto& theirs = g_ids["faiss/" + space];
  if (ours.size() != c.queries || theirs.size() != c.queries) return a;
  size_t hits = 0, hits_ties = 0, total = 0;
  for (size_t q = 0; q < c.queries; ++q) {
    std::set<int64_t> mine(ours[q].begin(), ours[q].end());
    const double kth = g_kth[space][q];
    bool differs = false;
    for (int64_t id : theirs[q]) {
      ++total;
      if (mine.count(id)) {
        ++hits;
        ++hits_ties;
        continue;
      }
      differs = true;
      if (id < 0) continue;
      const double d = ExactDistance(g_data.queries.data() + q * c.dim,
                                     g_data.base.data() + id * c.dim, c.dim,
                                     SpaceOf(space));
      if (std::fabs(d - kth) <= 1e-5 * std::max(1.0, std::fabs(kth))) ++hits_ties;
    }
    a.queries_differing += differs;
  }
  a.recall = total ? static_cast<double>(hits) / total : 0;
  a.recall_ties = total ? static_cast<double>(hits_ties) / total : 0;
  return a;
}

int Summarise(bool have_faiss) {
  const Config& c = g_config;
  nlohmann::json spaces = nlohmann::json::object();
  bool pass = true;
  std::printf("\ntopk_bench: %zu queries x %zu rows x %zu dims, k = %zu, "
              "median of %d interleaved repetitions, %u threads a side "
              "(%u hardware threads)\n",
              c.queries, c.rows, c.dim, c.k, c.reps,
              c.threads != 0 ? c.threads : std::thread::hardware_concurrency(),
              std::thread::hardware_concurrency());
  std::printf("%-7s %10s %10s %10s %8s %8s %9s %10s %10s %s\n", "space", "vecgate s",
              "faiss s", "gemm s", "select s", "ratio", "cpu ratio", "recall",
              "recall+ties", "target <= 1.25");
  for (const std::string& space : c.spaces) {
    const double ours = Median(g_seconds["vecgate/" + space]);
    const double gemm = Median(g_seconds["gemm/" + space]);
    nlohmann::json j = {{"vecgate_seconds_median", ours},
                        {"vecgate_seconds", g_seconds["vecgate/" + space]},
                        {"gemm_only_seconds_median", gemm},
                        {"gemm_only_seconds", g_seconds["gemm/" + space]},
                        {"selection_seconds_estimate", ours - gemm},
                        {"vecgate_cpu_seconds_median", Median(g_cpu_seconds["vecgate/" + space])},
                        {"gemm_only_cpu_seconds_median", Median(g_cpu_seconds["gemm/" + space])}};
    if (have_faiss) {
      const double theirs = Median(g_seconds["faiss/" + space]);
      const double ratio = ours / theirs;
      const Agreement a = Agree(space);
      const bool ok = ratio <= 1.25 && a.recall_ties >= 0.999;
      pass = pass && ok;
      const double cpu_ratio = Median(g_cpu_seconds["vecgate/" + space]) /
                               Median(g_cpu_seconds["faiss/" + space]);
      std::printf("%-7s %10.3f %10.3f %10.3f %8.3f %8.3f %9.3f %10.5f %10.5f %s\n",
                  space.c_str(), ours, theirs, gemm, ours - gemm, ratio, cpu_ratio,
                  a.recall, a.recall_ties, ok ? "PASS" : "FAIL");
      j["faiss_cpu_seconds_median"] = Median(g_cpu_seconds["faiss/" + space]);
      j["cpu_ratio"] = cpu_ratio;
      j["faiss_seconds_median"] = theirs;
      j["faiss_seconds"] = g_seconds["faiss/" + space];
      j["ratio"] = ratio;
      j["target_ratio"] = 1.25;
      j["recall"] = a.recall;
      j["recall_with_ties"] = a.recall_ties;
      j["queries_differing"] = a.queries_differing;
      j["pass"] = ok;
    } else {
      std::printf("%-7s %10.3f %10s %10.3f %8.3f %8s %9s %10s %10s %s\n",
                  space.c_str(), ours, "-", gemm, ours - gemm, "-", "-", "-", "-",
                  "(no FAISS)");
    }
    spaces[space] = j;
  }
  if (!have_faiss) {
    std::printf("\nFAISS was not found when this benchmark was configured "
                "(libfaiss-dev: faiss/IndexFlat.h and libfaiss); only vecgate's "
                "side ran. Install it (tools/setup.sh --bench) and re-run cmake.\n");
  }
  nlohmann::json report = {
      {"benchmark", "topk_bench"},
      {"queries", c.queries},
      {"rows", c.rows},
      {"dimension", c.dim},
      {"k", c.k},
      {"repetitions", c.reps},
      {"hardware_threads", std::thread::hardware_concurrency()},
      {"threads", c.threads != 0 ? c.threads : std::thread::hardware_concurrency()},
      {"faiss_available", have_faiss},
#ifdef VECGATE_HAVE_FAISS
      {"faiss_blas", VECGATE_FAISS_BLAS},
#endif
      {"spaces", spaces},
      {"pass", have_faiss && pass}};
  if (!bench::WriteResults(c.out, report)) return 2;
  return !have_faiss || pass ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  using vecgate::g_config;
  CLI::App app("topk_bench: vecgate's exact top-k kernel against FAISS", "topk_bench");
  vecgate::bench::AddCommonFlags(app, &g_config.out, &g_config.reps);
  app.add_option("--rows", g_config.rows, "rows searched")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  app.add_option("--queries", g_config.queries, "queries")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  app.add_option("--dim", g_config.dim, "dimensions of each vector")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  app.add_option("--spaces", g_config.spaces, "distance spaces, comma-separated")
      ->delimiter(',')
      ->check(CLI::IsMember({"l2", "ip", "cosine"}));
  app.add_option("--threads", g_config.threads, "threads a side; 0 = all hardware threads")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(0));
  // The rest is Google Benchmark's; it rejects what it does not know below.
  app.allow_extras();
  app.footer("Any --benchmark_* flag (e.g. --benchmark_min_time=0.01s) goes to Google Benchmark.");
  if (std::optional<int> exit_code = vecgate::bench::ParseFlags(app, argc, argv)) {
    return *exit_code;
  }
  std::vector<std::string> extras = app.remaining();
  std::vector<char*> rest = {argv[0]};
  for (std::string& arg : extras) rest.push_back(arg.data());
  int bench_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&bench_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, rest.data())) {
    std::fprintf(stderr, "%s", app.help().c_str());
    return 2;
  }

  const auto& c = g_config;
  std::printf("generating %zu x %zu base and %zu queries (normal, seeded)...\n",
              c.rows, c.dim, c.queries);
  vecgate::g_data.base = vecgate::NormalMatrix(c.rows, c.dim, 20240601);
  vecgate::g_data.queries = vecgate::NormalMatrix(c.queries, c.dim, 20240602);
  bool have_faiss = false;
#ifdef VECGATE_HAVE_FAISS
  have_faiss = true;
  if (c.threads != 0) {
    omp_set_num_threads(static_cast<int>(c.threads));
#ifdef VECGATE_FAISS_OPENBLAS
    openblas_set_num_threads(static_cast<int>(c.threads));
#endif
  }
  vecgate::g_data.base_unit = vecgate::Normalised(vecgate::g_data.base, c.dim);
  vecgate::g_data.queries_unit = vecgate::Normalised(vecgate::g_data.queries, c.dim);
  vecgate::BuildIndexes();
  std::printf("FAISS: IndexFlatL2 / IndexFlatIP, %d OpenMP threads, BLAS %s\n",
              omp_get_max_threads(), VECGATE_FAISS_BLAS);
#else
  std::printf("FAISS: not found at configure time; the FAISS side is skipped\n");
#endif
  for (int rep = 0; rep < c.reps; ++rep) {
    for (const std::string& space : c.spaces) {
      // One run a repetition, timed by the side itself (manual time).
      auto add = [&](const char* side, void (*run)(benchmark::State&, const std::string&)) {
        benchmark::RegisterBenchmark(
            ("topk/" + space + "/" + side + "/rep:" + std::to_string(rep)).c_str(),
            [space, run](benchmark::State& s) { run(s, space); })
            ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
      };
      vecgate::bench::RunAlternating(
          rep, [&] { add("vecgate", vecgate::RunVecgate); },
          [&] {
#ifdef VECGATE_HAVE_FAISS
            add("faiss", vecgate::RunFaiss);
#endif
          });
      add("gemm_only", vecgate::RunGemmOnly);
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return vecgate::Summarise(have_faiss);
}
