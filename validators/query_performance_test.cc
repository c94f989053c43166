// Unit tests of query_performance: percentile math, the verdict against each
// threshold, the bounded replay loop (count and time), and the check through
// the runner over in-memory stores (skips when a store cannot answer).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "validators/query_performance.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

TEST(PercentileTest, InterpolatesBetweenClosestRanks) {
  std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_DOUBLE_EQ(Percentile(v, 0), 1);
  EXPECT_DOUBLE_EQ(Percentile(v, 100), 10);
  EXPECT_DOUBLE_EQ(Percentile(v, 50), 5.5);
  EXPECT_DOUBLE_EQ(Percentile(v, 95), 9.55);  // rank 8.55
  EXPECT_DOUBLE_EQ(Percentile(v, 99), 9.91);  // rank 8.91
  EXPECT_DOUBLE_EQ(Percentile({7}, 99), 7);
  EXPECT_DOUBLE_EQ(Percentile({}, 50), 0);
}

TEST(SummarizeLatenciesTest, SortsAndComputesThroughput) {
  // 100 latencies 100, 99, ..., 1 ms over 4 seconds.
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  LatencyStats s = SummarizeLatencies(v, 4.0);
  EXPECT_EQ(s.queries, 100);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95.05);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99.01);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.queries_per_second, 25);
  LatencyStats none = SummarizeLatencies({}, 0);
  EXPECT_EQ(none.queries, 0);
  EXPECT_EQ(none.queries_per_second, 0);
}

LatencyStats Stats(double mean_ms, double p95_ms, double qps) {
  LatencyStats s;
  s.queries = 100;
  s.mean_ms = mean_ms;
  s.p95_ms = p95_ms;
  s.queries_per_second = qps;
  return s;
}

TEST(JudgeQueryPerformanceTest, PassesWithinEveryThreshold) {
  QueryPerformanceThresholds t;  // 500 ms, 10 q/s, 50 %
  LatencyStats old_stats = Stats(20, 40, 50), new_stats = Stats(25, 59, 40);
  PerformanceVerdict v = JudgeQueryPerformance(&old_stats, new_stats, t);
  EXPECT_EQ(v.status, CheckStatus::kPass);
  EXPECT_TRUE(v.reasons.empty());
  EXPECT_DOUBLE_EQ(v.ratio_p95, 59.0 / 40.0);
  EXPECT_NEAR(v.slowdown_percent, 47.5, 1e-9);
}

TEST(JudgeQueryPerformanceTest, FailsOnEachThresholdAndSaysWhich) {
  QueryPerformanceThresholds t;
  LatencyStats old_stats = Stats(20, 40, 50);
  {
    LatencyStats slow = Stats(501, 600, 11);  // mean above 500 ms (and p95 15x)
    PerformanceVerdict v = JudgeQueryPerformance(nullptr, slow, t);
    EXPECT_EQ(v.status, CheckStatus::kFail);
    ASSERT_EQ(v.reasons.size(), 1u);
    EXPECT_NE(v.reasons[0].find("mean latency 501.00 ms > 500 ms"), std::string::npos)
        << v.reasons[0];
    EXPECT_EQ(v.ratio_p95, 0) << "no old: no ratio";
  }
  {
    LatencyStats few = Stats(20, 40, 9.5);  // below 10 queries/s
    PerformanceVerdict v = JudgeQueryPerformance(&old_stats, few, t);
    EXPECT_EQ(v.status, CheckStatus::kFail);
    ASSERT_EQ(v.reasons.size(), 1u);
    EXPECT_NE(v.reasons[0].find("throughput 9.5 queries/s < 10"), std::string::npos);
  }
  {
    LatencyStats slower = Stats(30, 61, 40);  // p95 52.5 % slower than 40
    PerformanceVerdict v = JudgeQueryPerformance(&old_stats, slower, t);
    EXPECT_EQ(v.status, CheckStatus::kFail);
    ASSERT_EQ(v.reasons.size(), 1u);
    EXPECT_NE(v.reasons[0].find("52.5 % slower than old's 40.00 ms (limit 50 %)"),
              std::string::npos)
        << v.reasons[0];
  }
  {
    LatencyStats faster = Stats(10, 20, 100);
    PerformanceVerdict v = JudgeQueryPerformance(&old_stats, faster, t);
    EXPECT_EQ(v.status, CheckStatus::kPass);
    EXPECT_DOUBLE_EQ(v.slowdown_percent, -50);
  }
}

// A store whose queries take a fixed time, counting them.
class SlowStore : public MemoryStore {
 public:
  explicit SlowStore(std::chrono::milliseconds delay) : delay_(delay) {
    AddCollection("c", DistanceSpace::kL2, 4, MakeBatch("c", 10, 4));
    set_can_query(true);
  }
  Result<QueryResult> Query(const std::string& name, const float* queries, size_t n,
                            size_t dim, size_t k) override {
    ++calls_;
    std::this_thread::sleep_for(delay_);
    return MemoryStore::Query(name, queries, n, dim, k);
  }
  int calls() const { return calls_; }

 private:
  std::chrono::milliseconds delay_;
  int calls_ = 0;
};

TEST(ReplayQueriesTest, StopsAtMaxQueriesAfterTheWarmUpAndCyclesTheQueries) {
  SlowStore store(std::chrono::milliseconds(0));
  std::vector<float> queries = {1, 0, 0, 0, 0, 1, 0, 0};  // 2 queries of dim 4
  ReplayOptions options;
  options.warmup = 3;
  options.max_queries = 25;
  options.k = 3;
  int64_t last_done = -1;
  auto stats = ReplayQueries(store, nullptr, "c", queries.data(), 2, 4, options,
                             [&](int64_t done, int64_t) { last_done = done; });
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->queries, 25);
  EXPECT_EQ(store.calls(), 28) << "3 warm-up + 25 measured, one query per request";
  EXPECT_FALSE(stats->stopped_by_time);
  EXPECT_EQ(last_done, 25);
  EXPECT_GT(stats->queries_per_second, 0);
  EXPECT_LE(stats->p50_ms, stats->p95_ms);
  EXPECT_LE(stats->p95_ms, stats->p99_ms);
  EXPECT_LE(stats->p99_ms, stats->max_ms);
}

TEST(ReplayQueriesTest, StopsAtMaxSeconds) {
  SlowStore store(std::chrono::milliseconds(20));
  std::vector<float> query = {1, 0, 0, 0};
  ReplayOptions options;
  options.warmup = 0;
  options.max_queries = 1000000;
  options.max_seconds = 0.1;
  auto stats = ReplayQueries(store, nullptr, "c", query.data(), 1, 4, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_TRUE(stats->stopped_by_time);
  EXPECT_GE(stats->queries, 1);
  EXPECT_LT(stats->queries, 50) << "bounded by time, not by the count";
  EXPECT_GE(stats->p50_ms, 19.0) << "each query sleeps 20 ms";
}

TEST(ReplayQueriesTest, ConcurrencyOpensOneStorePerExtraClient) {
  SlowStore store(std::chrono::milliseconds(1));
  std::vector<float> query = {1, 0, 0, 0};
  ReplayOptions options;
  options.warmup = 0;
  options.max_queries = 40;
  options.concurrency = 3;
  int opened = 0;
  ClientStoreOpener open_more = [&]() -> Result<std::unique_ptr<Store>> {
    ++opened;
    return std::unique_ptr<Store>(new SlowStore(std::chrono::milliseconds(1)));
  };
  auto stats = ReplayQueries(store, open_more, "c", query.data(), 1, 4, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(opened, 2);
  EXPECT_EQ(stats->queries, 40);
  // Without a way to open more, concurrency > 1 is refused, not faked.
  auto refused = ReplayQueries(store, nullptr, "c", query.data(), 1, 4, options);
  EXPECT_FALSE(refused.ok());
}

TEST(ReplayQueriesTest, AStoreThatCannotQueryIsAnError) {
  MemoryStore store;
  store.AddCollection("c", DistanceSpace::kL2, 4, MakeBatch("c", 3, 4));
  std::vector<float> query = {1, 0, 0, 0};
  auto stats = ReplayQueries(store, nullptr, "c", query.data(), 1, 4, ReplayOptions());
  EXPECT_EQ(stats.status().code(), StatusCode::kInvalidArgument);
}

Suite PerformanceSuite() {
  Suite suite;
  suite.query_performance.enabled = true;
  suite.query_performance.queries = 20;
  suite.query_performance.warmup = 2;
  suite.query_performance.max_seconds = 10;
  return suite;
}

TEST(QueryPerformanceCheckTest, MeasuresOldAndNewPerCollection) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("a", DistanceSpace::kCosine, 8, MakeBatch("a", 50, 8));
  new_store.AddCollection("a", DistanceSpace::kCosine, 8, MakeBatch("a", 50, 8));
  old_store.set_can_query(true);
  new_store.set_can_query(true);
  Suite suite = PerformanceSuite();
  suite.query_performance.max_slowdown_percent = 1e9;  // in-memory timings are noise
  auto v = NewQueryPerformanceValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "query_performance");
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  const auto& g = r->metrics["groups"]["a"];
  for (const std::string side : {"old", "new"}) {
    EXPECT_EQ(g[side + "_queries"], 20) << g.dump();
    for (const char* key : {"_p50_ms", "_p95_ms", "_p99_ms", "_mean_ms", "_qps"}) {
      EXPECT_TRUE(g[side + key].is_number()) << side << key;
    }
  }
  EXPECT_TRUE(g["ratio_p95"].is_number());
  EXPECT_EQ(g["distinct_queries"], 20);
  EXPECT_EQ(r->metrics["measured_collections"], 1);
}

TEST(QueryPerformanceCheckTest, ImpossibleLatencyThresholdFailsAndBlamesTheSources) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 30, 8));
  new_store.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 30, 8));
  old_store.set_can_query(true);
  new_store.set_can_query(true);
  Suite suite = PerformanceSuite();
  suite.query_performance.max_mean_latency_ms = 0;  // no query takes 0 ms
  auto v = NewQueryPerformanceValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->failed_collections, std::vector<std::string>{"a"});
  ASSERT_FALSE(r->findings.empty());
  EXPECT_NE(r->findings[0].problem.find("mean latency"), std::string::npos);
}

TEST(QueryPerformanceCheckTest, NewStoreThatCannotQueryIsSkippedAsPass) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 30, 8));
  new_store.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 30, 8));
  auto v = NewQueryPerformanceValidator();
  auto r = RunCheck(*v, PerformanceSuite(), old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass);
  EXPECT_NE(r->summary.find("skipped"), std::string::npos) << r->summary;
  EXPECT_NE(r->summary.find("cannot answer queries"), std::string::npos) << r->summary;
  EXPECT_EQ(r->metrics["measured_collections"], 0);
}

TEST(QueryPerformanceCheckTest, OldStoreThatCannotQueryLeavesOnlyAbsoluteThresholds) {
  MemoryStore old_store, new_store;  // old: like a snapshot
  old_store.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 30, 8));
  new_store.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 30, 8));
  new_store.set_can_query(true);
  auto v = NewQueryPerformanceValidator();
  auto r = RunCheck(*v, PerformanceSuite(), old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass);
  const auto& g = r->metrics["groups"]["a"];
  EXPECT_FALSE(g.contains("old_p95_ms"));
  EXPECT_FALSE(g.contains("ratio_p95"));
  EXPECT_TRUE(g["old_skipped"].is_string());
  EXPECT_EQ(g["new_queries"], 20);
}

TEST(QueryPerformanceCheckTest, IsNotAmongTheChecksUnlessEnabled) {
  Suite suite;
  auto names = [](const Suite& s) {
    std::vector<std::string> out;
    auto made = MakeValidators(s);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (made.ok()) {
      for (const auto& v : *made) out.push_back(v->name());
    }
    return out;
  };
  EXPECT_EQ(names(suite).size(), 9u);
  suite.query_performance.enabled = true;
  auto enabled = names(suite);
  ASSERT_EQ(enabled.size(), 10u);
  EXPECT_EQ(enabled.back(), "query_performance");
}

}  // namespace
}  // namespace vecgate
