// Query performance: the replay loop, the latency statistics, and the
// optional check query_performance (see query_performance.h).
//
// The check, per target group, in EndGroup (after the old scans):
//   - queries: the suite's queries file, else a deterministic sample of the
//     group's old records (check_util::BottomKSample, suite.queries.seed),
//     at most thresholds.query_performance.queries distinct vectors, cycled;
//   - old: replayed against the group's first source collection when the old
//     store can answer queries (a snapshot or a JSON Lines file cannot: then
//     only the absolute thresholds are checked, and the ratio is not);
//   - new: replayed against the target collection.
// A group is skipped (and says why in the metrics) when the new store cannot
// answer queries, the target is missing (count and collection_distribution
// report that) or there are no query vectors. Skipping is PASS, not WARN:
// performance is opt-in, and the reason is in the summary and the metrics.
// A query that fails aborts the run (exit 3): nothing is decided on a store
// that does not answer. A measured target the store reports without an ANN
// index (ReportsNoAnnIndex: a pgvector table without HNSW/IVFFlat) WARNs
// with a criterion of its own, since its latencies are a sequential scan's.
#include "validators/query_performance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "validators/check_util.h"

namespace vecgate {

namespace {

using Clock = std::chrono::steady_clock;
using check_util::FormatFixed;

// How often the calling thread reports progress while clients run.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

struct Phase {
  int64_t limit = 0;
  Clock::time_point deadline;
  bool record = false;
};

struct ClientResult {
  std::vector<double> latencies_ms;
  Clock::time_point last_done;
};

}  // namespace

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  p = std::clamp(p, 0.0, 100.0);
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(sorted.size() - 1, lo + 1);
  const double frac = rank - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

LatencyStats SummarizeLatencies(std::vector<double> latencies_ms, double wall_seconds) {
  LatencyStats s;
  s.queries = static_cast<int64_t>(latencies_ms.size());
  s.seconds = wall_seconds;
  if (latencies_ms.empty()) return s;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  s.p50_ms = Percentile(latencies_ms, 50);
  s.p95_ms = Percentile(latencies_ms, 95);
  s.p99_ms = Percentile(latencies_ms, 99);
  s.max_ms = latencies_ms.back();
  double sum = 0;
  for (double v : latencies_ms) sum += v;
  s.mean_ms = sum / static_cast<double>(latencies_ms.size());
  s.queries_per_second =
      wall_seconds > 0 ? static_cast<double>(latencies_ms.size()) / wall_seconds : 0;
  return s;
}

namespace {

// The clients of one replay: one store each, the first the caller's, the
// others from `open_more`. `extra` owns those.
Result<std::vector<Store*>> OpenClients(Store& store, const ClientStoreOpener& open_more,
                                        int clients,
                                        std::vector<std::unique_ptr<Store>>* extra) {
  std::vector<Store*> stores = {&store};
  for (int c = 1; c < clients; ++c) {
    if (!open_more) {
      return InvalidArgument("a concurrency of " + std::to_string(clients) +
                             " needs more connections to " + store.Describe() +
                             ", and none can be opened here");
    }
    auto more = open_more();
    if (!more.ok()) {
      return more.status().WithContext("opening client " + std::to_string(c + 1) + " of " +
                                       std::to_string(clients));
    }
    stores.push_back(more->get());
    extra->push_back(std::move(more).value());
  }
  return stores;
}

// What the client threads of one replay share: the query set, the next
// query to send, the measured latencies, and the first error (which stops
// every client).
class ReplaySession {
 public:
  ReplaySession(std::vector<Store*> stores, const std::string& collection,
                const float* queries, size_t n, size_t dim, size_t k,
                const ReplayProgress& progress)
      : stores_(std::move(stores)),
        collection_(collection),
        queries_(queries),
        n_(n),
        dim_(dim),
        k_(k),
        progress_(progress),
        results_(stores_.size()) {}

  // Runs one phase on every client and waits for all of them, reporting
  // progress on this thread while they run.
  void RunPhase(const Phase& phase) {
    next_ = 0;
    const int clients = static_cast<int>(stores_.size());
    std::mutex finished_mutex;
    std::condition_variable finished_cv;
    int finished = 0;
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        RunClient(*stores_[c], phase, &results_[c]);
        std::lock_guard<std::mutex> lock(finished_mutex);
        ++finished;
        finished_cv.notify_one();
      });
    }
    if (phase.record && progress_) progress_(0, phase.limit);
    {
      std::unique_lock<std::mutex> lock(finished_mutex);
      while (finished < clients) {
        finished_cv.wait_for(lock, kProgressInterval);
        if (phase.record && progress_ && finished < clients) {
          lock.unlock();
          progress_(done_.load(), phase.limit);
          lock.lock();
        }
      }
    }
    for (auto& t : threads) t.join();
  }

  const Status& first_error() const { return first_error_; }
  int64_t done() const { return done_.load(); }
  bool timed_out() const { return timed_out_.load(); }

  // Every measured latency, and when the last measured query ended (or
  // `start` when none did).
  std::vector<double> Latencies(Clock::time_point start, Clock::time_point* last) const {
    std::vector<double> all;
    *last = start;
    for (const ClientResult& r : results_) {
      all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
      if (!r.latencies_ms.empty()) *last = std::max(*last, r.last_done);
    }
    return all;
  }

 private:
  // One client thread: sends queries until the phase's limit or deadline,
  // or until any client fails.
  void RunClient(Store& store, const Phase& phase, ClientResult* out) {
    while (!stop_.load()) {
      const int64_t i = next_.fetch_add(1);
      if (i >= phase.limit) break;
      if (Clock::now() >= phase.deadline) {
        if (phase.record) timed_out_ = true;
        break;
      }
      const float* q = queries_ + static_cast<size_t>(i % static_cast<int64_t>(n_)) * dim_;
      const auto start = Clock::now();
      auto answer = store.Query(collection_, q, 1, dim_, k_);
      const auto end = Clock::now();
      if (!answer.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (first_error_.ok()) first_error_ = answer.status();
        stop_ = true;
        break;
      }
      if (phase.record) {
        out->latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
        out->last_done = end;
        ++done_;
      }
    }
  }

  const std::vector<Store*> stores_;
  const std::string& collection_;
  const float* const queries_;
  const size_t n_;
  const size_t dim_;
  const size_t k_;
  const ReplayProgress& progress_;
  std::vector<ClientResult> results_;  // one per client
  std::mutex error_mutex_;
  Status first_error_ = Status::Ok();
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<bool> timed_out_{false};
};

}  // namespace

Result<LatencyStats> ReplayQueries(Store& store, const ClientStoreOpener& open_more,
                                   const std::string& collection, const float* queries,
                                   size_t n, size_t dim, const ReplayOptions& options,
                                   const ReplayProgress& progress) {
  if (n == 0 || dim == 0) {
    return InvalidArgument("query replay of '" + collection + "' needs at least one query");
  }
  if (!store.can_query()) {
    return InvalidArgument(store.Describe() + " cannot answer queries");
  }
  std::vector<std::unique_ptr<Store>> extra;
  ASSIGN_OR_RETURN(std::vector<Store*> stores,
                   OpenClients(store, open_more, std::max(1, options.concurrency), &extra));
  ReplaySession session(std::move(stores), collection, queries, n, dim, options.k, progress);
  const auto budget = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::max(0.0, options.max_seconds)));
  if (options.warmup > 0) session.RunPhase({options.warmup, Clock::now() + budget, false});
  const auto start = Clock::now();
  if (session.first_error().ok()) {
    session.RunPhase({options.max_queries, start + budget, true});
  }
  if (!session.first_error().ok()) {
    return session.first_error().WithContext("replaying queries against " + collection +
                                             " in " + store.Describe());
  }
  if (progress) progress(session.done(), options.max_queries);
  Clock::time_point last;
  std::vector<double> all = session.Latencies(start, &last);
  LatencyStats stats =
      SummarizeLatencies(std::move(all), std::chrono::duration<double>(last - start).count());
  stats.stopped_by_time = session.timed_out() && stats.queries < options.max_queries;
  return stats;
}

PerformanceVerdict JudgeQueryPerformance(const LatencyStats* old_stats,
                                         const LatencyStats& new_stats,
                                         const QueryPerformanceThresholds& t) {
  PerformanceVerdict v;
  if (new_stats.mean_ms > t.max_mean_latency_ms) {
    v.reasons.push_back("mean latency " + FormatFixed(new_stats.mean_ms, 2) + " ms > " +
                        check_util::FormatNumber(t.max_mean_latency_ms) + " ms");
  }
  if (new_stats.queries_per_second < t.min_queries_per_second) {
    v.reasons.push_back("throughput " + FormatFixed(new_stats.queries_per_second, 1) +
                        " queries/s < " +
                        check_util::FormatNumber(t.min_queries_per_second) + " queries/s");
  }
  if (old_stats != nullptr && old_stats->p95_ms > 0) {
    v.ratio_p95 = new_stats.p95_ms / old_stats->p95_ms;
    v.slowdown_percent = 100.0 * (v.ratio_p95 - 1.0);
    if (v.slowdown_percent > t.max_slowdown_percent) {
      v.reasons.push_back("p95 " + FormatFixed(new_stats.p95_ms, 2) + " ms is " +
                          FormatFixed(v.slowdown_percent, 1) + " % slower than old's " +
                          FormatFixed(old_stats->p95_ms, 2) + " ms (limit " +
                          check_util::FormatNumber(t.max_slowdown_percent) + " %)");
    }
  }
  v.status = v.reasons.empty() ? CheckStatus::kPass : CheckStatus::kFail;
  return v;
}

bool ReportsNoAnnIndex(const CollectionInfo& info) {
  if (info.configuration_json.empty()) return false;
  const nlohmann::json config =
      nlohmann::json::parse(info.configuration_json, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) return false;
  auto pg = config.find("postgres");
  if (pg == config.end() || !pg->is_object()) return false;
  auto ann = pg->find("ann_index");
  return ann != pg->end() && ann->is_null();
}

Criterion NoAnnIndexCriterion(const std::string& target, const std::string& observed) {
  Criterion c;
  c.what = "ANN index of new '" + target + "'";
  c.observed = observed;
  c.limit = "WARN without an HNSW or IVFFlat index on the embedding column";
  c.status = CheckStatus::kWarn;
  return c;
}

std::string NoAnnIndexSummary(const std::vector<std::string>& targets) {
  return "; new '" + targets.front() + "'" +
         (targets.size() > 1 ? " and " + std::to_string(targets.size() - 1) + " more"
                             : std::string()) +
         " without an ANN index (sequential scan)";
}

namespace {

// Milliseconds to the microsecond, rates to 0.01: finer digits are noise.
double Round(double v, double unit) { return std::round(v / unit) * unit; }

// One side's statistics as flat "SIDE_p50_ms"... keys of a group (flat so
// that the Markdown report shows one row per number).
void AddStats(const std::string& side, const LatencyStats& s, nlohmann::json* g) {
  nlohmann::json& j = *g;
  j[side + "_queries"] = s.queries;
  j[side + "_p50_ms"] = Round(s.p50_ms, 1e-3);
  j[side + "_p95_ms"] = Round(s.p95_ms, 1e-3);
  j[side + "_p99_ms"] = Round(s.p99_ms, 1e-3);
  j[side + "_mean_ms"] = Round(s.mean_ms, 1e-3);
  j[side + "_max_ms"] = Round(s.max_ms, 1e-3);
  j[side + "_qps"] = Round(s.queries_per_second, 1e-2);
  j[side + "_seconds"] = Round(s.seconds, 1e-3);
  j[side + "_stopped_by_time"] = s.stopped_by_time;
}

class QueryPerformanceValidator : public Validator {
 public:
  const char* name() const override { return "query_performance"; }

  Status OnBeginRun() override {
    if (!suite().queries.queries_file.empty()) {
      ASSIGN_OR_RETURN(check_util::QueryFile file,
                       check_util::LoadQueryFile(suite().queries.queries_file));
      file_ = std::make_unique<check_util::QueryFile>(std::move(file));
    }
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext& group) override {
    sample_.reset();
    dim_ = 0;
    for (const CollectionInfo& info : group.old_info) {
      if (info.dimension > 0) {
        dim_ = static_cast<size_t>(info.dimension);
        break;
      }
    }
    return Status::Ok();
  }

  Status OnOldPage(const GroupContext&, const RecordBatch& page, size_t) override {
    if (file_) return Status::Ok();
    for (size_t i = 0; i < page.size(); ++i) {
      if (!page.has_embedding(i)) continue;
      if (dim_ == 0) dim_ = page.embedding_size(i);
      if (page.embedding_size(i) != dim_ ||
          !check_util::AllFinite(page.embedding(i), dim_)) {
        continue;
      }
      if (!sample_) {
        sample_ = std::make_unique<check_util::BottomKSample>(
            static_cast<size_t>(suite().query_performance.queries), dim_,
            suite().queries.seed);
      }
      sample_->Offer(page.id(i), page.embedding(i));
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    const std::string& source = group.sources.empty() ? group.target : group.sources[0];
    nlohmann::json g = nlohmann::json::object();
    g["old_collection"] = source;
    std::string skipped;
    RETURN_IF_ERROR(MeasureGroup(group, source, &g, &skipped));
    if (!skipped.empty()) {
      g["skipped"] = skipped;
      skipped_.push_back(group.target + ": " + skipped);
    }
    groups_[group.target] = g;
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    const QueryPerformanceThresholds& t = suite().query_performance;
    r.status = status_;
    r.metrics["measured_collections"] = measured_groups_;
    r.metrics["skipped_collections"] = static_cast<int64_t>(skipped_.size());
    if (measured_groups_ > 0) {
      r.metrics["new_mean_latency_ms"] = Round(worst_mean_ms_, 1e-3);
      r.metrics["new_queries_per_second"] = Round(lowest_qps_, 1e-2);
      if (worst_ratio_) r.metrics["ratio_p95"] = Round(*worst_ratio_, 1e-4);
    }
    r.metrics["thresholds"] = {{"max_mean_latency_ms", t.max_mean_latency_ms},
                               {"min_queries_per_second", t.min_queries_per_second},
                               {"max_slowdown_percent", t.max_slowdown_percent},
                               {"queries", t.queries},
                               {"warmup", t.warmup},
                               {"concurrency", t.concurrency},
                               {"max_seconds", t.max_seconds}};
    r.metrics["groups"] = groups_;
    for (const std::string& target : without_ann_index_) {
      r.criteria.push_back(
          NoAnnIndexCriterion(target, "none: the latencies measured are a sequential scan's"));
    }
    if (!without_ann_index_.empty()) r.metrics["new_without_ann_index"] = without_ann_index_;
    if (measured_groups_ == 0) {
      r.summary = "skipped: " + (skipped_.empty() ? std::string("no collections")
                                                  : skipped_.front());
    } else {
      r.summary = "worst of " + std::to_string(measured_groups_) + " collection(s): new mean " +
                  FormatFixed(worst_mean_ms_, 2) + " ms, " + FormatFixed(lowest_qps_, 1) +
                  " queries/s";
      if (worst_ratio_) r.summary += ", p95 new/old " + FormatFixed(*worst_ratio_, 2) + "x";
      if (!findings_.empty()) r.summary += "; " + findings_.front().problem;
      if (!skipped_.empty()) {
        r.summary += " (" + std::to_string(skipped_.size()) + " skipped)";
      }
      if (!without_ann_index_.empty()) r.summary += NoAnnIndexSummary(without_ann_index_);
    }
    r.findings_total = static_cast<int64_t>(findings_.size());
    const size_t cap = static_cast<size_t>(std::max<int64_t>(0, suite().max_findings));
    for (size_t i = 0; i < findings_.size() && i < cap; ++i) r.findings.push_back(findings_[i]);
    if (r.status == CheckStatus::kFail) r.failed_collections.assign(failed_.begin(), failed_.end());
    return r;
  }

 private:
  // Replays the queries against old `source` (when the old store answers
  // queries) and new `group.target`, and judges them into *g; or says in
  // *skipped why the group cannot be measured.
  Status MeasureGroup(const GroupContext& group, const std::string& source, nlohmann::json* g,
                      std::string* skipped) {
    Store* old_store = run_->old_store;
    Store* new_store = run_->new_store;
    if (new_store == nullptr || !new_store->can_query()) {
      *skipped = "the new store cannot answer queries";
      return Status::Ok();
    }
    if (!group.new_exists) {
      *skipped = "the target collection does not exist in new";
      return Status::Ok();
    }
    std::vector<float> queries;
    size_t n = 0;
    RETURN_IF_ERROR(GatherQueries(group, &queries, &n));
    if (n == 0 || dim_ == 0) {
      *skipped = "no query vectors (no old records with embeddings)";
      return Status::Ok();
    }
    const bool old_queries = old_store != nullptr && old_store->can_query();
    ReplayOptions options;
    RETURN_IF_ERROR(ChooseOptions(group, source, old_queries, &options, skipped));
    if (!skipped->empty()) return Status::Ok();
    (*g)["distinct_queries"] = static_cast<int64_t>(n);
    (*g)["k"] = static_cast<int64_t>(options.k);

    std::optional<LatencyStats> old_stats;
    if (old_queries) {
      ASSIGN_OR_RETURN(LatencyStats s, Replay(*old_store, source, "old", queries, n, options));
      old_stats = s;
    } else {
      (*g)["old_skipped"] = "the old store cannot answer queries: absolute thresholds only";
    }
    ASSIGN_OR_RETURN(LatencyStats new_stats,
                     Replay(*new_store, group.target, "new", queries, n, options));
    RecordMeasurement(group, old_stats, new_stats, g);
    return Status::Ok();
  }

  // The group's query vectors, row-major n x dim_: the queries file (each
  // of the collection's dimension), else the sample of its old records.
  Status GatherQueries(const GroupContext& group, std::vector<float>* queries, size_t* n) {
    if (file_) {
      if (dim_ == 0 && group.new_info.dimension > 0) {
        dim_ = static_cast<size_t>(group.new_info.dimension);
      }
      for (size_t i = 0; i < file_->vectors.size(); ++i) {
        if (dim_ != 0 && file_->vectors[i].size() != dim_) {
          return InvalidArgument(file_->labels[i] + ": query has " +
                                 std::to_string(file_->vectors[i].size()) +
                                 " components but collection '" + group.target +
                                 "' has dimension " + std::to_string(dim_) +
                                 "; queries must have the collection's dimension");
        }
        dim_ = file_->vectors[i].size();
        queries->insert(queries->end(), file_->vectors[i].begin(), file_->vectors[i].end());
      }
      *n = file_->vectors.size();
    } else if (sample_) {
      std::vector<std::string> ids;
      sample_->Take(&ids, queries);
      *n = ids.size();
    }
    return Status::Ok();
  }

  // The replay options from the suite, with k no larger than the smaller
  // collection (a store may refuse more); *skipped when new is empty.
  Status ChooseOptions(const GroupContext& group, const std::string& source, bool old_queries,
                       ReplayOptions* options, std::string* skipped) {
    const QueryPerformanceThresholds& t = suite().query_performance;
    options->warmup = t.warmup;
    options->max_queries = t.queries;
    options->max_seconds = t.max_seconds;
    options->concurrency = static_cast<int>(t.concurrency);
    int64_t k = suite().queries.k;
    auto new_count = run_->new_store->Count(group.target);
    if (!new_count.ok()) return new_count.status().WithContext("counting new " + group.target);
    if (*new_count == 0) {
      *skipped = "the target collection is empty in new";
      return Status::Ok();
    }
    k = std::min(k, *new_count);
    if (old_queries) {
      auto old_count = run_->old_store->Count(source);
      if (!old_count.ok()) return old_count.status().WithContext("counting old " + source);
      if (*old_count > 0) k = std::min(k, *old_count);
    }
    options->k = static_cast<size_t>(std::max<int64_t>(1, k));
    return Status::Ok();
  }

  // Judges one measured group, writes its statistics into *g, and keeps
  // what Finish reports: the worst numbers, findings, collections at fault.
  void RecordMeasurement(const GroupContext& group, const std::optional<LatencyStats>& old_stats,
                         const LatencyStats& new_stats, nlohmann::json* g) {
    PerformanceVerdict v = JudgeQueryPerformance(old_stats ? &*old_stats : nullptr, new_stats,
                                                 suite().query_performance);
    // Timings of a sequential scan say nothing about how an index will
    // serve: a WARN of its own, whatever the latency.
    if (ReportsNoAnnIndex(group.new_info)) {
      (*g)["ann_index"] = nullptr;
      without_ann_index_.push_back(group.target);
      status_ = check_util::Worse(status_, CheckStatus::kWarn);
    }
    if (old_stats) AddStats("old", *old_stats, g);
    AddStats("new", new_stats, g);
    if (old_stats) {
      (*g)["ratio_p95"] = Round(v.ratio_p95, 1e-4);
      (*g)["slowdown_percent"] = Round(v.slowdown_percent, 1e-2);
    }
    (*g)["status"] = CheckStatusName(v.status);
    ++measured_groups_;
    status_ = check_util::Worse(status_, v.status);
    worst_mean_ms_ = std::max(worst_mean_ms_, new_stats.mean_ms);
    if (measured_groups_ == 1 || new_stats.queries_per_second < lowest_qps_) {
      lowest_qps_ = new_stats.queries_per_second;
    }
    if (old_stats && (!worst_ratio_ || v.ratio_p95 > *worst_ratio_)) worst_ratio_ = v.ratio_p95;
    for (const std::string& reason : v.reasons) {
      findings_.push_back({group.target, "", reason});
      failed_.insert(group.sources.begin(), group.sources.end());
    }
  }

  Result<LatencyStats> Replay(Store& store, const std::string& collection,
                              const std::string& side, const std::vector<float>& queries,
                              size_t n, const ReplayOptions& options) {
    const std::string& uri = &store == run_->old_store ? run_->old_uri : run_->new_uri;
    const OpenOptions open_options = run_->open_options;
    ClientStoreOpener open_more;
    if (!uri.empty()) {
      open_more = [uri, open_options]() { return OpenStore(uri, open_options); };
    }
    const std::string stage = "queries " + side + " " + collection;
    ReplayProgress progress;
    if (run_->progress) {
      progress = [this, stage](int64_t done, int64_t total) {
        run_->progress(stage, done, total);
      };
    }
    return ReplayQueries(store, open_more, collection, queries.data(), n, dim_, options,
                         progress);
  }

  std::unique_ptr<check_util::QueryFile> file_;
  std::unique_ptr<check_util::BottomKSample> sample_;
  size_t dim_ = 0;
  CheckStatus status_ = CheckStatus::kPass;
  int64_t measured_groups_ = 0;
  double worst_mean_ms_ = 0;
  double lowest_qps_ = 0;
  std::optional<double> worst_ratio_;
  std::vector<std::string> skipped_;
  std::vector<std::string> without_ann_index_;  // measured targets with no ANN index
  std::vector<Finding> findings_;
  std::set<std::string> failed_;
  nlohmann::json groups_ = nlohmann::json::object();
};

}  // namespace

std::unique_ptr<Validator> NewQueryPerformanceValidator() {
  return std::make_unique<QueryPerformanceValidator>();
}

}  // namespace vecgate
