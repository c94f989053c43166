// Check 4, semantic_divergence: do searches return the same records after
// the migration?
//
// Queries come from suite.queries.queries_file (JSON Lines of arrays, or one
// JSON array of arrays) or, without a file, are sampled deterministically
// from each group's old records: the sample_count records with the smallest
// HashBytes(id) ^ seed (independent of scan order). For each query, the exact
// top-k (ExactTopK, validators/topk.h) in old and in new under each side's
// distance space. divergence = 1 - |overlap| / k, where a new result overlaps
// when its id is in the old top-k or its distance ties the old k-th distance
// (within kTieEpsilon, relative); k is capped at the number of old results.
// semantic_divergence_percentage (read by the runner) is the mean over every
// query of every group, in percent. WARN at >= warn_percent, FAIL at >=
// fail_percent. Rows with a wrong length or non-finite components are
// skipped (embedding_integrity reports them).
//
// Streaming: old scans precede new scans, so the queries are known before
// the first new page and the new top-k is computed while the new pages
// stream. With a queries file the old top-k streams too; with sampled
// queries the old top-k replays the group's old vectors, which the runner
// kept once for every check (GroupContext::old_vectors) in EndGroup.
//
// Live index: when the new store can answer queries (and
// divergence.check_live_index), the queries are also sent to it: recall@k of
// its answer against the exact new top-k (ties-aware) below min_recall WARNs;
// and up to self_retrieval_sample sampled records present in new are queried
// with their own new embedding: a record must come back first (or tied at
// the first distance).
//
// The live index is judged against the old store's: when the old collection
// answers queries too, the same queries measure its recall (against the
// exact old top-k) and self-retrieval (sampled records with their old
// vectors), and the new store may fall short of it by at most
// recall_tolerance (WARN) and self_retrieval_tolerance (FAIL). HNSW is
// approximate and loses a little recall as a collection grows, in both
// stores alike. Only when the old side has no live index (a snapshot, a
// jsonl file) do the absolute floors min_recall (WARN) and
// min_self_retrieval (FAIL) apply.
//
// Non-finite vectors in a live index: a NaN or Inf vector inside an HNSW
// graph makes its distance comparisons false, so the index strands records
// around it. Measured on Chroma, one NaN record among 1,130: the new
// store's self-retrieval fell to 68-93 % over 12 migrations of the same
// data, and to what exactly depends on how that migration built the graph.
// A verdict read off that rate would change from run to run, so the rule
// is on the vectors instead: a live-indexed new collection holding more
// non-finite vectors than its old collection did FAILs (Search Index
// Degraded) whatever its measured rates, and names them. When the old
// collection held as many, both indexes are poisoned alike and their rates
// are noise: they are reported, not judged, and the suite's pre_existing
// policy decides.
//
// A new collection the store reports without an ANN index
// (ReportsNoAnnIndex, validators/query_performance.h: a pgvector table with
// no HNSW/IVFFlat index) is still queried, but its recall and
// self-retrieval then measure a sequential scan, not an index: a WARN
// criterion says so.
//
// A group whose dimension or distance space changed is not comparable: the
// content check reports the change (a FAIL unless content.reembedding
// declares it); here the exact top-k is skipped. With a declared
// re-embedding, the new store's own search quality is judged: the sampled
// records are queried with their new vectors (self-retrieval).
#include <algorithm>
#include <cmath>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/env.h"
#include "validators/check_util.h"
#include "validators/query_performance.h"
#include "validators/topk.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::AllFinite;
using check_util::FormatFixed;
using check_util::LoadQueryFile;
using check_util::Percent;
using check_util::QueryFile;

// Distances within this (relative to max(1, |d|)) of the k-th are ties.
constexpr double kTieEpsilon = 1e-6;
// The same for distances reported by a live store (its own float arithmetic).
constexpr double kLiveTieEpsilon = 1e-4;
// Queries per live Query call.
constexpr size_t kLiveBatch = 100;

bool Tied(double a, double b, double epsilon) {
  return std::fabs(a - b) <= epsilon * std::max(1.0, std::fabs(b));
}

bool ValidRow(const RecordBatch& page, size_t i, size_t dim) {
  return page.embedding_size(i) == dim && check_util::AllFinite(page.embedding(i), dim);
}

// Calls sink(first_row, count) for each run of consecutive valid rows (they
// are contiguous in the page's embedding block).
template <typename Sink>
void ForEachValidRun(const RecordBatch& page, size_t dim, Sink sink) {
  size_t i = 0;
  while (i < page.size()) {
    if (!ValidRow(page, i, dim)) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < page.size() && ValidRow(page, i, dim)) ++i;
    sink(start, i - start);
  }
}

struct QueryOutcome {
  std::string target;
  std::string query;
  size_t overlap;
  size_t k;
  double divergence;
};

// One group's live-index measurements, new and (when it answers) old.
struct LiveGroup {
  std::string target;
  bool no_ann_index = false;  // the store answered by a sequential scan
  // Vectors with a NaN or Inf component in each collection's scan.
  int64_t new_non_finite = 0, old_non_finite = 0;
  double new_recall_sum = 0;
  int64_t new_recall_queries = 0;
  int64_t new_self_hits = 0, new_self_checked = 0;
  bool old_measured = false;
  double old_recall_sum = 0;
  int64_t old_recall_queries = 0;
  int64_t old_self_hits = 0, old_self_checked = 0;

  static double Ratio(double a, int64_t b) { return b > 0 ? a / static_cast<double>(b) : 1.0; }
  double NewRecall() const { return Ratio(new_recall_sum, new_recall_queries); }
  double NewSelf() const { return Ratio(static_cast<double>(new_self_hits), new_self_checked); }
  double OldRecall() const { return Ratio(old_recall_sum, old_recall_queries); }
  double OldSelf() const { return Ratio(static_cast<double>(old_self_hits), old_self_checked); }
  // Adds the counts of `other` (not its target or flags): totals over groups.
  void AddCounts(const LiveGroup& other) {
    new_recall_sum += other.new_recall_sum;
    new_recall_queries += other.new_recall_queries;
    new_self_hits += other.new_self_hits;
    new_self_checked += other.new_self_checked;
    old_recall_sum += other.old_recall_sum;
    old_recall_queries += other.old_recall_queries;
    old_self_hits += other.old_self_hits;
    old_self_checked += other.old_self_checked;
    new_non_finite += other.new_non_finite;
    old_non_finite += other.old_non_finite;
  }
  // The migration put non-finite vectors into the new live index.
  bool PoisonedByMigration() const { return new_non_finite > old_non_finite; }
  // Its index holds non-finite vectors the old one held too.
  bool PoisonedBefore() const { return new_non_finite > 0 && !PoisonedByMigration(); }
};

struct LiveVerdict {
  CheckStatus recall = CheckStatus::kPass;
  CheckStatus self = CheckStatus::kPass;
  CheckStatus non_finite = CheckStatus::kPass;
  CheckStatus Worst() const {
    return check_util::Worse(non_finite, check_util::Worse(recall, self));
  }
};

// Up to this many non-finite new ids per collection are named.
constexpr size_t kNonFiniteIdsKept = 20;

class SemanticDivergenceValidator : public Validator {
 public:
  const char* name() const override { return "semantic_divergence"; }

  Status OnBeginRun() override {
    const QuerySource& q = suite().queries;
    if (q.k <= 0) return InvalidArgument("semantic_divergence: k must be positive");
    if (!q.queries_file.empty()) {
      auto file = LoadQueryFile(q.queries_file);
      if (!file.ok()) return file.status();
      file_ = std::make_unique<QueryFile>(std::move(file).value());
    }
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext& group) override {
    g_ = std::make_unique<GroupState>();
    g_->space_old = group.old_info.empty() ? group.new_info.space : group.old_info[0].space;
    g_->space_new = group.new_exists ? group.new_info.space : g_->space_old;
    for (const CollectionInfo& info : group.old_info) {
      if (info.dimension > 0) {
        g_->dim = static_cast<size_t>(info.dimension);
        break;
      }
    }
    if (g_->dim == 0 && group.new_info.dimension > 0) {
      g_->dim = static_cast<size_t>(group.new_info.dimension);
    }
    g_->new_dim = group.new_info.dimension > 0 ? static_cast<size_t>(group.new_info.dimension)
                                               : g_->dim;
    if (group.new_exists && g_->dim > 0 && g_->new_dim != g_->dim) {
      g_->comparable = false;
      g_->not_comparable_reason = "dimension " + std::to_string(g_->dim) + " -> " +
                                  std::to_string(g_->new_dim);
    } else if (group.new_exists && g_->space_old != g_->space_new) {
      g_->comparable = false;
      g_->not_comparable_reason = std::string("distance space ") +
                                  DistanceSpaceName(g_->space_old) + " -> " +
                                  DistanceSpaceName(g_->space_new);
    } else if (suite().content.reembedding) {
      g_->comparable = false;
      g_->not_comparable_reason = "declared re-embedding";
    }
    if (g_->dim > 0) RETURN_IF_ERROR(SetDimension(group, g_->dim));
    return Status::Ok();
  }

  Status OnOldPage(const GroupContext& group, const RecordBatch& page, size_t) override {
    g_->old_non_finite += CountNonFinite(page, nullptr);
    if (g_->dim == 0) {
      for (size_t i = 0; i < page.size(); ++i) {
        if (page.has_embedding(i)) {
          RETURN_IF_ERROR(SetDimension(group, page.embedding_size(i)));
          break;
        }
      }
      if (g_->dim == 0) return Status::Ok();
    }
    const size_t dim = g_->dim;
    ForEachValidRun(page, dim, [&](size_t start, size_t n) {
      const float* rows = page.embedding(start);
      const std::string* ids = page.ids().data() + start;
      for (size_t r = 0; r < n; ++r) g_->sample->Offer(ids[r], rows + r * dim);
      if (g_->old_topk) g_->old_topk->AddBlock(rows, n, ids);
    });
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage&) override {
    FinalizeQueries(group);
    g_->new_non_finite += CountNonFinite(page, &g_->new_non_finite_ids);
    if (!g_->comparable) {
      CaptureSelfVectors(page, g_->new_dim);
      return Status::Ok();
    }
    if (g_->dim == 0 || !g_->new_topk) return Status::Ok();
    const size_t dim = g_->dim;
    ForEachValidRun(page, dim, [&](size_t start, size_t n) {
      g_->new_topk->AddBlock(page.embedding(start), n, page.ids().data() + start);
      if (g_->self_slot.empty()) return;
      for (size_t r = start; r < start + n; ++r) {
        auto it = g_->self_slot.find(page.id(r));
        if (it == g_->self_slot.end()) continue;
        const float* v = page.embedding(r);
        std::copy(v, v + dim, g_->self_vectors.begin() + it->second * dim);
        g_->self_found[it->second] = true;
      }
    });
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    FinalizeQueries(group);
    GroupState& g = *g_;
    nlohmann::json gj;
    gj["target"] = group.target;
    gj["space_old"] = DistanceSpaceName(g.space_old);
    gj["space_new"] = DistanceSpaceName(g.space_new);
    gj["dimension"] = g.dim;
    if (!g.comparable) {
      gj["comparable"] = false;
      gj["not_comparable"] = g.not_comparable_reason;
      gj["queries"] = 0;
      gj["semantic_divergence_percentage"] = 0.0;
      not_comparable_.push_back(group.target + ": " + g.not_comparable_reason);
      if (suite().content.reembedding) {
        RETURN_IF_ERROR(CheckOwnSelfRetrieval(group, gj));
      }
      groups_.push_back(std::move(gj));
      g_.reset();
      return Status::Ok();
    }
    if (g.queries.empty() || g.dim == 0) {
      gj["queries"] = 0;
      gj["semantic_divergence_percentage"] = 0.0;
      groups_.push_back(std::move(gj));
      g_.reset();
      return Status::Ok();
    }
    const size_t nq = g.query_labels.size();
    if (!g.old_topk) {
      g.old_topk = std::make_unique<ExactTopK>(g.queries.data(), nq, g.dim, K(), g.space_old);
      // The runner kept every old vector of the group's dimension; replay
      // the finite ones (NaN/Inf rows are embedding_integrity's to report).
      if (group.old_vectors == nullptr || group.old_vectors->dim() != g.dim) {
        return Internal("semantic_divergence: the old vectors of '" + group.target +
                        "' were not kept by the runner");
      }
      RETURN_IF_ERROR(group.old_vectors->Replay([&](const float* rows, size_t n,
                                                    const std::string* ids) {
        size_t i = 0;
        while (i < n) {
          if (!AllFinite(rows + i * g.dim, g.dim)) {
            ++i;
            continue;
          }
          size_t start = i;
          while (i < n && AllFinite(rows + i * g.dim, g.dim)) ++i;
          g.old_topk->AddBlock(rows + start * g.dim, i - start, ids + start);
        }
      }).WithContext("semantic_divergence: replaying old vectors of '" + group.target + "'"));
    }
    double group_sum = 0;
    size_t group_queries = 0;
    std::vector<std::vector<ExactTopK::Neighbor>> exact_new(nq), exact_old(nq);
    for (size_t q = 0; q < nq; ++q) {
      exact_old[q] = g.old_topk->Results(q);
      const std::vector<ExactTopK::Neighbor>& old_results = exact_old[q];
      exact_new[q] = g.new_topk->Results(q);
      const size_t k = std::min(K(), old_results.size());
      if (k == 0) continue;
      std::unordered_set<std::string> old_ids;
      for (size_t i = 0; i < k; ++i) old_ids.insert(old_results[i].id);
      const double kth = old_results[k - 1].distance;
      size_t overlap = 0;
      for (size_t i = 0; i < std::min(k, exact_new[q].size()); ++i) {
        const auto& n = exact_new[q][i];
        if (old_ids.count(n.id) || Tied(n.distance, kth, kTieEpsilon)) ++overlap;
      }
      double divergence = 1.0 - static_cast<double>(overlap) / static_cast<double>(k);
      group_sum += divergence;
      ++group_queries;
      outcomes_.push_back({group.target, g.query_labels[q], overlap, k, divergence});
    }
    const double group_pct = group_queries > 0 ? 100.0 * group_sum / group_queries : 0.0;
    divergence_sum_ += group_sum;
    query_count_ += group_queries;
    gj["queries"] = group_queries;
    gj["semantic_divergence_percentage"] = group_pct;
    if (group_pct > 0 && group_pct >= suite().divergence.fail_percent) faults_.MarkGroup(group);

    RETURN_IF_ERROR(CheckLiveIndex(group, exact_new, exact_old, gj));
    groups_.push_back(std::move(gj));
    g_.reset();
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    // The exact top-k failing means search answers changed; the live index
    // failing alone (JudgeLiveIndexes) means records the index cannot reach.
    const bool divergence_failed = JudgeDivergence(&r);
    JudgeLiveIndexes(&r);
    r.metrics["groups"] = groups_;
    ListFindings(&r);
    if (r.status == CheckStatus::kFail) {
      r.failed_collections = faults_.ToVector();
      r.rollback_reason = divergence_failed ? "Search Results Diverged" : "Search Index Degraded";
    }
    return r;
  }

 private:
  struct GroupState {
    size_t dim = 0;
    int64_t old_non_finite = 0, new_non_finite = 0;
    std::vector<std::string> new_non_finite_ids;  // the first kNonFiniteIdsKept
    size_t new_dim = 0;       // the new collection's, when not comparable
    bool comparable = true;   // same dimension and space, not re-embedded
    std::string not_comparable_reason;
    std::vector<float> self_old_vectors;  // old vectors of self_ids
    DistanceSpace space_old = DistanceSpace::kL2;
    DistanceSpace space_new = DistanceSpace::kL2;
    std::unique_ptr<check_util::BottomKSample> sample;  // old records
    bool finalized = false;
    std::vector<float> queries;  // row-major nq x dim
    std::vector<std::string> query_labels;
    std::unique_ptr<ExactTopK> old_topk;
    std::unique_ptr<ExactTopK> new_topk;
    // Self-retrieval: sampled ids -> slot, and their new vectors.
    std::unordered_map<std::string, size_t> self_slot;
    std::vector<std::string> self_ids;
    std::vector<float> self_vectors;
    std::vector<bool> self_found;
  };

  size_t K() const { return static_cast<size_t>(suite().queries.k); }

  // The live index of one group against the old store's, or the floors.
  LiveVerdict Judge(const LiveGroup& lg) const {
    const DivergenceThresholds& t = suite().divergence;
    LiveVerdict v;
    if (lg.PoisonedByMigration()) {
      v.non_finite = CheckStatus::kFail;
      return v;
    }
    if (lg.PoisonedBefore()) {
      v.non_finite = check_util::ApplyPreExisting(suite().pre_existing, CheckStatus::kPass,
                                                  CheckStatus::kFail, lg.new_non_finite);
      return v;
    }
    if (lg.new_recall_queries > 0) {
      const double floor = lg.old_measured && lg.old_recall_queries > 0
                               ? lg.OldRecall() - t.recall_tolerance
                               : t.min_recall;
      if (lg.NewRecall() < floor) v.recall = CheckStatus::kWarn;
    }
    if (lg.new_self_checked > 0) {
      const double floor = lg.old_measured && lg.old_self_checked > 0
                               ? lg.OldSelf() - t.self_retrieval_tolerance
                               : t.min_self_retrieval;
      if (lg.NewSelf() < floor) v.self = CheckStatus::kFail;
    }
    return v;
  }

  // The exact top-k divergence over every query: sets r->status, its
  // criterion, metrics and the start of the summary; and a criterion for the
  // groups not comparable by search. Returns true when it FAILs.
  bool JudgeDivergence(CheckResult* r) const {
    const DivergenceThresholds& t = suite().divergence;
    const double pct = query_count_ > 0 ? 100.0 * divergence_sum_ / query_count_ : 0.0;
    if (pct > 0 && pct >= t.fail_percent) {
      r->status = CheckStatus::kFail;
    } else if (pct > 0 && pct >= t.warn_percent) {
      r->status = CheckStatus::kWarn;
    }
    const bool divergence_failed = r->status == CheckStatus::kFail;
    r->metrics["semantic_divergence_percentage"] = pct;
    r->metrics["divergence_failed"] = divergence_failed;
    r->metrics["queries"] = query_count_;
    r->metrics["k"] = suite().queries.k;
    r->metrics["query_source"] = file_ ? "file" : "sampled";
    int64_t diverged = 0;
    for (const auto& o : outcomes_) diverged += o.divergence > 0;
    r->metrics["diverged_queries"] = diverged;
    r->summary = FormatFixed(pct, 2) + " % divergence over " + std::to_string(query_count_) +
                 " queries (k = " + std::to_string(suite().queries.k) + "), " +
                 std::to_string(diverged) + " queries with a different top-k";
    Criterion c;
    c.what = "exact top-" + std::to_string(suite().queries.k) + " divergence, old vs new";
    c.observed = FormatFixed(pct, 2) + " % over " + std::to_string(query_count_) + " queries";
    c.limit = "FAIL at " + check_util::FormatNumber(t.fail_percent) + " %, WARN at " +
              check_util::FormatNumber(t.warn_percent) + " %";
    c.status = r->status;
    r->criteria.push_back(c);
    if (!not_comparable_.empty()) {
      Criterion n;
      for (const auto& reason : not_comparable_) {
        n.observed += (n.observed.empty() ? "" : "; ") + reason;
      }
      n.what = "collections not comparable by search";
      n.limit = "skipped here; the content check judges the change";
      n.status = CheckStatus::kPass;
      r->criteria.push_back(n);
      r->metrics["not_comparable"] = not_comparable_;
    }
    return divergence_failed;
  }

  // The live index of every group: its verdict joins r->status, its
  // criteria are added, and the totals go to the metrics and the summary.
  void JudgeLiveIndexes(CheckResult* r) const {
    LiveGroup total;
    std::vector<std::string> without_ann_index;
    bool any_old = false, all_old = !live_groups_.empty();
    for (const LiveGroup& lg : live_groups_) {
      const LiveVerdict v = Judge(lg);
      r->status = check_util::Worse(r->status, v.Worst());
      total.AddCounts(lg);
      any_old |= lg.old_measured;
      all_old &= lg.old_measured;
      if (lg.new_recall_queries + lg.new_self_checked == 0) continue;
      AddLiveCriteria(lg, v, r);
      if (lg.no_ann_index) {
        r->criteria.push_back(NoAnnIndexCriterion(
            lg.target, "none: its recall and self-retrieval measure a sequential scan"));
        r->status = check_util::Worse(r->status, CheckStatus::kWarn);
        without_ann_index.push_back(lg.target);
      }
    }
    SummarizeLiveIndexes(total, any_old, all_old, r);
    if (!without_ann_index.empty()) {
      r->metrics["new_without_ann_index"] = without_ann_index;
      r->summary += NoAnnIndexSummary(without_ann_index);
    }
  }

  // The criteria of one group's live index: its non-finite vectors, its
  // recall and its self-retrieval, each against the old store's or a floor.
  void AddLiveCriteria(const LiveGroup& lg, const LiveVerdict& v, CheckResult* r) const {
    const DivergenceThresholds& t = suite().divergence;
    // Rates of an index poisoned before the migration are noise.
    const std::string unjudged = "not judged: both live indexes hold non-finite vectors";
    if (lg.new_non_finite > 0) {
      Criterion nc;
      nc.what = "non-finite vectors in the live index of new '" + lg.target + "'";
      nc.observed = std::to_string(lg.new_non_finite) + " (old: " +
                    std::to_string(lg.old_non_finite) + ")";
      nc.limit = lg.PoisonedByMigration()
                     ? std::string("FAIL above old: they strand records around them")
                     : "as many as old (pre_existing: " +
                           std::string(PreExistingPolicyName(suite().pre_existing)) + ")";
      nc.status = v.non_finite;
      r->criteria.push_back(nc);
    }
    if (lg.new_recall_queries > 0) {
      Criterion rc;
      rc.what = "live index recall@k of new '" + lg.target + "'";
      rc.observed = FormatFixed(lg.NewRecall(), 3) +
                    (lg.old_measured ? " (old: " + FormatFixed(lg.OldRecall(), 3) + ")" : "");
      rc.limit = lg.old_measured
                     ? "WARN below old - " + check_util::FormatNumber(t.recall_tolerance)
                     : "WARN below " + check_util::FormatNumber(t.min_recall) +
                           " (old store has no live index)";
      if (lg.PoisonedBefore()) rc.limit = unjudged;
      rc.status = v.recall;
      r->criteria.push_back(rc);
    }
    if (lg.new_self_checked > 0) {
      Criterion sc;
      sc.what = "self-retrieval of new '" + lg.target + "'";
      sc.observed = FormatFixed(100.0 * lg.NewSelf(), 1) + " %" +
                    (lg.old_measured ? " (old: " + FormatFixed(100.0 * lg.OldSelf(), 1) + " %)"
                                     : "");
      sc.limit = lg.old_measured
                     ? "FAIL below old - " + FormatFixed(100.0 * t.self_retrieval_tolerance, 1) +
                           " points"
                     : "FAIL below " + FormatFixed(100.0 * t.min_self_retrieval, 1) +
                           " % (old store has no live index)";
      if (lg.PoisonedBefore()) sc.limit = unjudged;
      sc.status = v.self;
      r->criteria.push_back(sc);
    }
  }

  // The live-index totals of every group, in the metrics and the summary.
  static void SummarizeLiveIndexes(const LiveGroup& total, bool any_old, bool all_old,
                                   CheckResult* r) {
    if (total.new_recall_queries == 0 && total.new_self_checked == 0) {
      r->metrics["live_index_checked"] = false;
      return;
    }
    r->metrics["live_index_checked"] = true;
    r->metrics["live_index_recall"] = total.NewRecall();
    r->metrics["live_index_queries"] = total.new_recall_queries;
    r->metrics["self_retrieval_rate"] = total.NewSelf();
    r->metrics["self_retrieval_checked"] = total.new_self_checked;
    r->metrics["live_index_judged_against"] = all_old ? "old store" : any_old ? "mixed" : "floors";
    if (any_old) {
      r->metrics["old_live_index_recall"] = total.OldRecall();
      r->metrics["old_self_retrieval_rate"] = total.OldSelf();
    }
    r->summary += "; live index recall@k " + FormatFixed(total.NewRecall(), 3) +
                  ", self-retrieval " + FormatFixed(100.0 * total.NewSelf(), 1) + " %";
    if (any_old) {
      r->summary += " (old store: " + FormatFixed(total.OldRecall(), 3) + ", " +
                    FormatFixed(100.0 * total.OldSelf(), 1) + " %)";
    }
    if (total.new_non_finite > 0) {
      r->metrics["live_index_non_finite"] = total.new_non_finite;
      r->metrics["old_live_index_non_finite"] = total.old_non_finite;
      r->summary += "; " + std::to_string(total.new_non_finite) +
                    " non-finite vectors in the live index (old store: " +
                    std::to_string(total.old_non_finite) + ")";
    }
  }

  // The queries whose top-k diverged, worst first, then the records the
  // live index could not retrieve.
  void ListFindings(CheckResult* r) {
    std::stable_sort(outcomes_.begin(), outcomes_.end(),
                     [](const QueryOutcome& a, const QueryOutcome& b) {
                       return a.divergence > b.divergence;
                     });
    FindingList findings(suite().max_findings);
    for (const auto& o : outcomes_) {
      if (o.divergence <= 0) break;
      findings.Add(o.target, o.query,
                   "overlap " + std::to_string(o.overlap) + "/" + std::to_string(o.k));
    }
    for (const auto& f : self_failures_) findings.Add(f.collection, f.id, f.problem);
    findings.MoveTo(*r);
  }

  Status SetDimension(const GroupContext& group, size_t dim) {
    GroupState& g = *g_;
    g.dim = dim;
    const QuerySource& q = suite().queries;
    size_t sample_size = static_cast<size_t>(std::max<int64_t>(
        file_ ? 0 : q.sample_count, LiveIndexEnabled(group) ? q.self_retrieval_sample : 0));
    g.sample = std::make_unique<check_util::BottomKSample>(sample_size, dim, q.seed);
    if (file_) {
      for (size_t i = 0; i < file_->vectors.size(); ++i) {
        if (file_->vectors[i].size() != dim) {
          return InvalidArgument(file_->labels[i] + ": query has " +
                                 std::to_string(file_->vectors[i].size()) +
                                 " components but collection '" + group.target +
                                 "' has dimension " + std::to_string(dim) +
                                 "; queries must have the collection's dimension");
        }
        g.queries.insert(g.queries.end(), file_->vectors[i].begin(), file_->vectors[i].end());
      }
      g.query_labels = file_->labels;
      g.old_topk = std::make_unique<ExactTopK>(g.queries.data(), g.query_labels.size(), dim,
                                               K(), g.space_old);
    }
    return Status::Ok();
  }

  bool LiveIndexEnabled(const GroupContext& group) const {
    return suite().divergence.check_live_index && group.new_exists &&
           run_->new_store != nullptr && run_->new_store->can_query();
  }

  // After the old scans: fixes the group's queries and starts the new top-k.
  void FinalizeQueries(const GroupContext& group) {
    GroupState& g = *g_;
    if (g.finalized) return;
    g.finalized = true;
    if (g.dim == 0) return;
    std::vector<std::string> ids;
    std::vector<float> vectors;
    g.sample->Take(&ids, &vectors);
    if (!file_) {
      size_t n = std::min(ids.size(), static_cast<size_t>(suite().queries.sample_count));
      g.queries.assign(vectors.begin(), vectors.begin() + n * g.dim);
      g.query_labels.assign(ids.begin(), ids.begin() + n);
    }
    if (LiveIndexEnabled(group)) {
      size_t n = std::min(ids.size(), static_cast<size_t>(std::max<int64_t>(
                                          0, suite().queries.self_retrieval_sample)));
      g.self_ids.assign(ids.begin(), ids.begin() + n);
      for (size_t i = 0; i < n; ++i) g.self_slot[ids[i]] = i;
      const size_t new_dim = g.comparable ? g.dim : g.new_dim;
      g.self_vectors.assign(n * new_dim, 0.0f);
      g.self_found.assign(n, false);
      g.self_old_vectors.assign(vectors.begin(), vectors.begin() + n * g.dim);
    }
    g.new_topk = std::make_unique<ExactTopK>(g.queries.data(), g.query_labels.size(), g.dim,
                                             K(), g.space_new);
  }

  // Rows of `page` with an embedding holding NaN or Inf; the first
  // kNonFiniteIdsKept ids go to `ids` when given.
  static int64_t CountNonFinite(const RecordBatch& page, std::vector<std::string>* ids) {
    int64_t n = 0;
    for (size_t i = 0; i < page.size(); ++i) {
      if (!page.has_embedding(i) || AllFinite(page.embedding(i), page.embedding_size(i))) {
        continue;
      }
      ++n;
      if (ids != nullptr && ids->size() < kNonFiniteIdsKept) ids->push_back(page.id(i));
    }
    return n;
  }

  // The live-index record of the group being ended, with its non-finite
  // counts; the non-finite records the migration added are findings.
  LiveGroup NewLiveGroup(const GroupContext& group) {
    LiveGroup lg;
    lg.target = group.target;
    lg.no_ann_index = ReportsNoAnnIndex(group.new_info);
    lg.new_non_finite = g_->new_non_finite;
    lg.old_non_finite = g_->old_non_finite;
    if (lg.PoisonedByMigration()) {
      for (const std::string& id : g_->new_non_finite_ids) {
        self_failures_.push_back({group.target, id, "non_finite_in_live_index"});
      }
    }
    return lg;
  }

  // Sampled records' new vectors (of `dim` components) for self-retrieval.
  void CaptureSelfVectors(const RecordBatch& page, size_t dim) {
    GroupState& g = *g_;
    if (g.self_slot.empty() || dim == 0) return;
    for (size_t r = 0; r < page.size(); ++r) {
      if (!ValidRow(page, r, dim)) continue;
      auto it = g.self_slot.find(page.id(r));
      if (it == g.self_slot.end()) continue;
      std::copy(page.embedding(r), page.embedding(r) + dim, g.self_vectors.begin() + it->second * dim);
      g.self_found[it->second] = true;
    }
  }

  // Asks `store` the `n` queries of `vectors` in batches, answers in order.
  static Status AskLive(Store& store, const std::string& collection, const float* vectors,
                        size_t n, size_t dim, size_t k, QueryResult* out) {
    for (size_t b = 0; b < n; b += kLiveBatch) {
      const size_t m = std::min(kLiveBatch, n - b);
      auto live = store.Query(collection, vectors + b * dim, m, dim, k);
      if (!live.ok()) return live.status();
      for (size_t i = 0; i < m; ++i) {
        out->ids.push_back(i < live->ids.size() ? live->ids[i] : std::vector<std::string>());
        out->distances.push_back(i < live->distances.size() ? live->distances[i]
                                                            : std::vector<float>());
      }
    }
    return Status::Ok();
  }

  // Sum over queries of recall@k of `answers` against `exact`; `counted`
  // queries had an exact answer.
  double RecallSum(const QueryResult& answers,
                   const std::vector<std::vector<ExactTopK::Neighbor>>& exact,
                   size_t* counted) const {
    double sum = 0;
    *counted = 0;
    for (size_t q = 0; q < exact.size() && q < answers.ids.size(); ++q) {
      const size_t k = std::min(K(), exact[q].size());
      if (k == 0) continue;
      std::unordered_set<std::string> exact_ids;
      for (size_t j = 0; j < k; ++j) exact_ids.insert(exact[q][j].id);
      const double kth = exact[q][k - 1].distance;
      size_t hits = 0;
      for (size_t j = 0; j < std::min(k, answers.ids[q].size()); ++j) {
        bool tied = j < answers.distances[q].size() &&
                    Tied(answers.distances[q][j], kth, kLiveTieEpsilon);
        if (exact_ids.count(answers.ids[q][j]) || tied) ++hits;
      }
      sum += static_cast<double>(hits) / static_cast<double>(k);
      ++*counted;
    }
    return sum;
  }

  // A vector's distance to itself (0 for l2 and cosine, 1 - |v|^2 for ip).
  static double SelfDistance(const float* v, size_t dim, DistanceSpace space) {
    return ExactDistance(v, v, dim, space);
  }

  // Whether answer i brings back `id` first (or tied with the first), or
  // brings back first a record at the query's own distance to itself: an
  // identical vector (a natural duplicate, such as a boilerplate chunk) that
  // no index can tell from the record, so not a record the index lost.
  static bool SelfHit(const QueryResult& answers, size_t i, const std::string& id,
                      double self_distance, std::string* first) {
    *first = "nothing";
    if (i >= answers.ids.size() || answers.ids[i].empty()) return false;
    const auto& ids = answers.ids[i];
    const auto& d = answers.distances[i];
    *first = ids[0];
    if (!d.empty() && Tied(d[0], self_distance, kLiveTieEpsilon)) return true;
    for (size_t j = 0; j < ids.size(); ++j) {
      if (ids[j] == id &&
          (j == 0 || (j < d.size() && !d.empty() && Tied(d[j], d[0], kLiveTieEpsilon)))) {
        return true;
      }
    }
    return false;
  }

  // The sampled records (slots of the self-retrieval sample) present in new.
  std::vector<size_t> PresentSelf() const {
    std::vector<size_t> present;
    for (size_t s = 0; s < g_->self_ids.size(); ++s) {
      if (g_->self_found[s]) present.push_back(s);
    }
    return present;
  }

  // The live answers of `store` for the sampled records `present`, each
  // queried with its vector in `vectors` (`dim` components per sample slot),
  // answers in the order of `present`. Sampled queries and the
  // self-retrieval sample are prefixes of one sample, so a record whose
  // vector is bit for bit its own query was already asked: its answer in
  // `prior` (one per query, may be null) is reused. On the fixture corpus
  // (9,832 records, 200 queries, 200 self-retrieval samples) this halves
  // the live queries of each store.
  Status SelfAnswers(Store& store, const std::string& collection,
                     const std::vector<float>& vectors, size_t dim,
                     const std::vector<size_t>& present, const QueryResult* prior,
                     QueryResult* out) const {
    const GroupState& g = *g_;
    out->ids.assign(present.size(), {});
    out->distances.assign(present.size(), {});
    std::vector<size_t> ask;  // positions in `present` still to ask
    std::vector<float> block;
    for (size_t i = 0; i < present.size(); ++i) {
      const size_t s = present[i];
      const float* v = vectors.data() + s * dim;
      const bool same = prior != nullptr && !file_ && dim == g.dim &&
                        s < g.query_labels.size() && s < prior->ids.size() &&
                        std::equal(v, v + dim, g.queries.begin() + s * dim);
      if (same) {
        out->ids[i] = prior->ids[s];
        out->distances[i] = prior->distances[s];
        continue;
      }
      ask.push_back(i);
      block.insert(block.end(), v, v + dim);
    }
    QueryResult asked;
    RETURN_IF_ERROR(AskLive(store, collection, block.data(), ask.size(), dim, K(), &asked));
    for (size_t j = 0; j < ask.size(); ++j) {
      out->ids[ask[j]] = std::move(asked.ids[j]);
      out->distances[ask[j]] = std::move(asked.distances[j]);
    }
    return Status::Ok();
  }

  // How many of `present` came back first in `answers`; with `failures_in`
  // set, each miss is listed as a finding on that collection.
  int64_t CountSelfHits(const QueryResult& answers, const std::vector<size_t>& present,
                        const std::vector<float>& vectors, size_t dim, DistanceSpace space,
                        const std::string* failures_in) {
    int64_t hits = 0;
    for (size_t i = 0; i < present.size(); ++i) {
      const std::string& id = g_->self_ids[present[i]];
      const float* v = vectors.data() + present[i] * dim;
      std::string first;
      if (SelfHit(answers, i, id, SelfDistance(v, dim, space), &first)) {
        ++hits;
      } else if (failures_in != nullptr) {
        self_failures_.push_back({*failures_in, id, "not_self_retrieved(first: " + first + ")"});
      }
    }
    return hits;
  }

  // With a declared re-embedding: the new store's own self-retrieval, the
  // sampled records queried with their new vectors.
  Status CheckOwnSelfRetrieval(const GroupContext& group, nlohmann::json& gj) {
    GroupState& g = *g_;
    if (!LiveIndexEnabled(group) || g.new_dim == 0) return Status::Ok();
    const std::vector<size_t> present = PresentSelf();
    QueryResult answers;
    RETURN_IF_ERROR(SelfAnswers(*run_->new_store, group.target, g.self_vectors, g.new_dim,
                                present, nullptr, &answers)
                        .WithContext("semantic_divergence: self-retrieval queries on '" +
                                     group.target + "'"));
    LiveGroup lg = NewLiveGroup(group);
    lg.new_self_hits =
        CountSelfHits(answers, present, g.self_vectors, g.new_dim, g.space_new, &group.target);
    lg.new_self_checked = static_cast<int64_t>(present.size());
    gj["self_retrieval_rate"] = lg.NewSelf();
    gj["self_retrieval_checked"] = lg.new_self_checked;
    if (Judge(lg).Worst() == CheckStatus::kFail) faults_.MarkGroup(group);
    live_groups_.push_back(std::move(lg));
    return Status::Ok();
  }

  // The old store's own live index, asked the same queries: its recall
  // against the exact old top-k and its self-retrieval with old vectors.
  Status MeasureOldLive(const GroupContext& group,
                        const std::vector<std::vector<ExactTopK::Neighbor>>& exact_old,
                        LiveGroup* lg) {
    GroupState& g = *g_;
    Store* old = run_->old_store;
    if (old == nullptr || !old->can_query() || group.sources.size() != 1) return Status::Ok();
    const std::string& source = group.sources[0];
    QueryResult answers;
    RETURN_IF_ERROR(AskLive(*old, source, g.queries.data(), g.query_labels.size(), g.dim, K(),
                            &answers)
                        .WithContext("semantic_divergence: querying the live index of old '" +
                                     source + "'"));
    size_t counted = 0;
    lg->old_recall_sum = RecallSum(answers, exact_old, &counted);
    lg->old_recall_queries = static_cast<int64_t>(counted);
    // Self-retrieval of the same sampled records that new was asked about.
    const std::vector<size_t> present = PresentSelf();
    QueryResult self_answers;
    RETURN_IF_ERROR(SelfAnswers(*old, source, g.self_old_vectors, g.dim, present, &answers,
                                &self_answers)
                        .WithContext("semantic_divergence: self-retrieval queries on old '" +
                                     source + "'"));
    lg->old_self_hits =
        CountSelfHits(self_answers, present, g.self_old_vectors, g.dim, g.space_old, nullptr);
    lg->old_self_checked = static_cast<int64_t>(present.size());
    lg->old_measured = true;
    return Status::Ok();
  }

  Status CheckLiveIndex(const GroupContext& group,
                        const std::vector<std::vector<ExactTopK::Neighbor>>& exact_new,
                        const std::vector<std::vector<ExactTopK::Neighbor>>& exact_old,
                        nlohmann::json& gj) {
    if (!LiveIndexEnabled(group)) return Status::Ok();
    GroupState& g = *g_;
    Store& store = *run_->new_store;
    // The old store's live index is asked at the same time on its own
    // connection: the two stores' queries overlap instead of adding up
    // (measured on the 9,832 x 1,536 fixture corpus: about 0.44 s of live
    // queries per store, now 0.45 s of wall time for both). MeasureOldLive
    // only reads the group's state and writes `old_lg`.
    LiveGroup old_lg;
    std::future<Status> old_done;
    const bool overlap = run_->old_store != nullptr && run_->old_store != run_->new_store;
    if (overlap) {
      old_done = std::async(std::launch::async,
                            [&] { return MeasureOldLive(group, exact_old, &old_lg); });
    }
    // Recall of the live answer against the exact new top-k.
    QueryResult answers;  // the live answer of every query, kept for reuse
    RETURN_IF_ERROR(AskLive(store, group.target, g.queries.data(), g.query_labels.size(), g.dim,
                            K(), &answers)
                        .WithContext("semantic_divergence: querying the live index of '" +
                                     group.target + "'"));
    size_t recall_queries = 0;
    LiveGroup lg = NewLiveGroup(group);
    lg.new_recall_sum = RecallSum(answers, exact_new, &recall_queries);
    lg.new_recall_queries = static_cast<int64_t>(recall_queries);
    // Self-retrieval of sampled records present in new.
    const std::vector<size_t> present = PresentSelf();
    QueryResult self_answers;
    RETURN_IF_ERROR(SelfAnswers(store, group.target, g.self_vectors, g.dim, present, &answers,
                                &self_answers)
                        .WithContext("semantic_divergence: self-retrieval queries on '" +
                                     group.target + "'"));
    lg.new_self_hits =
        CountSelfHits(self_answers, present, g.self_vectors, g.dim, g.space_new, &group.target);
    lg.new_self_checked = static_cast<int64_t>(present.size());
    RETURN_IF_ERROR(overlap ? old_done.get() : MeasureOldLive(group, exact_old, &old_lg));
    lg.old_measured = old_lg.old_measured;
    lg.old_recall_sum = old_lg.old_recall_sum;
    lg.old_recall_queries = old_lg.old_recall_queries;
    lg.old_self_hits = old_lg.old_self_hits;
    lg.old_self_checked = old_lg.old_self_checked;
    gj["live_index_recall"] = lg.NewRecall();
    gj["self_retrieval_rate"] = lg.NewSelf();
    gj["self_retrieval_checked"] = present.size();
    if (lg.old_measured) {
      gj["old_live_index_recall"] = lg.OldRecall();
      gj["old_self_retrieval_rate"] = lg.OldSelf();
    }
    if (Judge(lg).Worst() == CheckStatus::kFail) faults_.MarkGroup(group);
    live_groups_.push_back(std::move(lg));
    return Status::Ok();
  }

  std::unique_ptr<QueryFile> file_;
  std::unique_ptr<GroupState> g_;
  std::vector<QueryOutcome> outcomes_;
  double divergence_sum_ = 0;
  int64_t query_count_ = 0;
  std::vector<LiveGroup> live_groups_;
  std::vector<std::string> not_comparable_;
  std::vector<Finding> self_failures_;
  check_util::FaultSources faults_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewSemanticDivergenceValidator() {
  return std::make_unique<SemanticDivergenceValidator>();
}

}  // namespace vecgate
