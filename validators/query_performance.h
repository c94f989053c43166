// Query performance: replays a set of query vectors against a live store and
// measures per-query latency and throughput; and the optional check
// query_performance, which does so for the old and the new store of every
// target group and compares them (`vecgate bench` runs it alone).
//
// Measurement: `warmup` unmeasured queries first, then queries are sent one
// per request (batch size 1), cycling through the query set, until
// `max_queries` have completed or `max_seconds` have passed, whichever comes
// first (the warm-up has its own `max_seconds` bound). Each query's latency
// is taken with std::chrono::steady_clock around Store::Query; throughput is
// completed queries / wall time of the measured phase. With concurrency c,
// c client threads share the work, each with its own Store (Store is
// single-threaded): thread 0 uses the store given, the others stores from
// `open_more`.
//
// Percentiles use linear interpolation between the closest ranks (numpy's
// default): p of n sorted samples is at rank p/100 * (n - 1).
//
// Layout: queries are a row-major n x dim block of float32 (core/record.h).
#ifndef VECGATE_VALIDATORS_QUERY_PERFORMANCE_H_
#define VECGATE_VALIDATORS_QUERY_PERFORMANCE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/store.h"
#include "suites/suite.h"
#include "validators/validator.h"

namespace vecgate {

struct ReplayOptions {
  int64_t warmup = 20;       // unmeasured queries sent first
  int64_t max_queries = 200;  // measured queries (the set is cycled)
  double max_seconds = 30;   // bound of the measured phase, and of the warm-up
  int concurrency = 1;       // client threads, each with its own store
  size_t k = 10;             // results per query
};

// Latency statistics of one replay, in milliseconds.
struct LatencyStats {
  int64_t queries = 0;        // measured queries completed
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double mean_ms = 0;
  double max_ms = 0;
  double queries_per_second = 0;
  double seconds = 0;           // wall time of the measured phase
  bool stopped_by_time = false;  // max_seconds ended it before max_queries
};

// The p-th percentile (0..100) of ascending `sorted`, interpolated between
// the closest ranks; 0 for an empty vector.
double Percentile(const std::vector<double>& sorted, double p);

// Statistics of `latencies_ms` (any order) over `wall_seconds`.
LatencyStats SummarizeLatencies(std::vector<double> latencies_ms, double wall_seconds);

// Opens one more store on the same URI, for another client thread.
using ClientStoreOpener = std::function<Result<std::unique_ptr<Store>>()>;
// Called on the calling thread while a replay runs: measured queries done of
// the total planned.
using ReplayProgress = std::function<void(int64_t done, int64_t total)>;

// Replays `n` queries (row-major n x dim) against `collection` of `store`.
// InvalidArgument when n or dim is 0 or the store cannot answer queries;
// the first Status a query or `open_more` returns otherwise (nothing is
// measured on a store that fails). Blocks until every thread has stopped.
Result<LatencyStats> ReplayQueries(Store& store, const ClientStoreOpener& open_more,
                                   const std::string& collection, const float* queries,
                                   size_t n, size_t dim, const ReplayOptions& options,
                                   const ReplayProgress& progress = nullptr);

// The verdict of one group against the suite's thresholds.
struct PerformanceVerdict {
  CheckStatus status = CheckStatus::kPass;
  double ratio_p95 = 0;         // new p95 / old p95 (0 when old is unknown)
  double slowdown_percent = 0;  // 100 * (ratio_p95 - 1); negative = faster
  std::vector<std::string> reasons;  // one per threshold crossed
};

// FAIL when the new mean latency is above max_mean_latency_ms, its
// throughput below min_queries_per_second, or (when `old_stats` is given)
// its p95 more than max_slowdown_percent slower than old's; else PASS.
PerformanceVerdict JudgeQueryPerformance(const LatencyStats* old_stats,
                                         const LatencyStats& new_stats,
                                         const QueryPerformanceThresholds& t);

// True when the store says the collection has no ANN index, so its queries
// are answered by a sequential scan: a postgresql:// table without an HNSW
// or IVFFlat index on its embedding column (configuration_json
// {"postgres": {"ann_index": null}}, stores/postgres_store.h). Both
// query_performance and semantic_divergence's live-index part WARN on it:
// latency and recall measured there say nothing about an index.
bool ReportsNoAnnIndex(const CollectionInfo& info);

// The WARN criterion of new collection `target` without an ANN index;
// `observed` says what its numbers measured instead.
Criterion NoAnnIndexCriterion(const std::string& target, const std::string& observed);

// "; new 'a' and 2 more without an ANN index (sequential scan)": the tail of
// a summary naming `targets` (not empty).
std::string NoAnnIndexSummary(const std::vector<std::string>& targets);

}  // namespace vecgate

#endif  // VECGATE_VALIDATORS_QUERY_PERFORMANCE_H_
