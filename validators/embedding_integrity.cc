// Check 2, embedding_integrity: the vectors of the new store.
//
// Per new record: a missing embedding, NaN or infinite components, a length
// other than the collection's dimension (new_info.dimension when the store
// knows it, else the most common length in the collection; with
// embedding.require_allowed_dimension also a length outside
// allowed_dimensions) and zero-norm vectors. For ids present in both stores
// whose embedding bytes changed (same length, different hash), the old
// vector is read from the group's old-vector spool that the runner filled
// (or, when it is not there, fetched by id from the old store in batches)
// and compared: the pair drifts when cosine similarity is below
// drift_min_cosine or the largest component difference, relative to the
// largest component magnitude, is above drift_max_abs_diff. A float
// round-trip (a few ulps) is therefore not drift; another model is.
//
// A missing, NaN, Inf or zero-norm embedding whose old record (same id) had
// the very same bytes (or no embedding either) is pre-existing: the
// migration did not make it. Pre-existing records are listed apart and judged
// by the suite's pre_existing policy. With content.reembedding the migration
// is declared to change every vector: drift is not judged.
//
// A record with any of these problems is corrupt (counted once). Decision:
// no corrupt record PASS; corrupt percentage above
// fail_percent FAIL; above warn_percent WARN. Memory: counters, a length
// histogram with up to max_findings ids per length, and at most
// kDriftBatch queued new vectors.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "validators/check_util.h"
#include "validators/topk.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FormatFixed;
using check_util::FormatNumber;
using check_util::Percent;

// Changed vectors queued before their old versions are fetched.
constexpr size_t kDriftBatch = 256;

struct Counters {
  int64_t records = 0;
  int64_t corrupt = 0;
  int64_t missing = 0;
  int64_t nan = 0;
  int64_t inf = 0;
  int64_t wrong_dimension = 0;
  int64_t zero_norm = 0;
  int64_t drifted = 0;
  int64_t drift_checked = 0;
  int64_t preexisting = 0;  // corrupt in old already, unchanged
  double min_cosine = 1.0;

  void Add(const Counters& o) {
    records += o.records;
    preexisting += o.preexisting;
    corrupt += o.corrupt;
    missing += o.missing;
    nan += o.nan;
    inf += o.inf;
    wrong_dimension += o.wrong_dimension;
    zero_norm += o.zero_norm;
    drifted += o.drifted;
    drift_checked += o.drift_checked;
    min_cosine = std::min(min_cosine, o.min_cosine);
  }

  void ToJson(nlohmann::json& j) const {
    j["records"] = records;
    j["corrupt_count"] = corrupt;
    j["corrupt_percentage"] = Percent(corrupt, records);
    j["missing_count"] = missing;
    j["nan_count"] = nan;
    j["inf_count"] = inf;
    j["wrong_dimension_count"] = wrong_dimension;
    j["zero_norm_count"] = zero_norm;
    j["drifted_count"] = drifted;
    j["drift_checked_count"] = drift_checked;
    j["min_cosine"] = min_cosine;
    j["preexisting_count"] = preexisting;
  }
};

class EmbeddingIntegrityValidator : public Validator {
 public:
  const char* name() const override { return "embedding_integrity"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<check_util::SplitFindings>(suite().max_findings);
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext& group) override {
    group_ = Counters();
    fixed_dimension_ = group.new_info.dimension > 0
                           ? static_cast<size_t>(group.new_info.dimension)
                           : 0;
    lengths_.clear();
    pending_.clear();
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    for (size_t i = 0; i < page.size(); ++i) {
      ++group_.records;
      const std::string& id = page.id(i);
      const size_t len = page.embedding_size(i);
      const OldRecordDigest* old_digest = joined.old[i];
      if (len == 0) {
        ++group_.missing;
        const bool pre = old_digest != nullptr && old_digest->embedding_hash == 0;
        MarkCorrupt(group, old_digest, pre);
        findings_->Add(pre, group.target, id, "missing_embedding");
        continue;
      }
      const float* v = page.embedding(i);
      bool has_nan = false, has_inf = false;
      double sq = 0;
      for (size_t c = 0; c < len; ++c) {
        if (std::isnan(v[c])) {
          has_nan = true;
        } else if (std::isinf(v[c])) {
          has_inf = true;
        } else {
          sq += static_cast<double>(v[c]) * v[c];
        }
      }
      bool corrupt = false;
      // Unchanged bytes from old: the problem was already there. Hashed only
      // for records with a problem.
      bool pre = false, pre_known = false;
      auto preexisting = [&] {
        if (!pre_known) {
          pre_known = true;
          pre = old_digest != nullptr && old_digest->dimension == len &&
                old_digest->embedding_hash == HashBytes(v, len * sizeof(float));
        }
        return pre;
      };
      if (has_nan) {
        ++group_.nan;
        findings_->Add(preexisting(), group.target, id, "nan");
        corrupt = true;
      }
      if (has_inf) {
        ++group_.inf;
        findings_->Add(preexisting(), group.target, id, "inf");
        corrupt = true;
      }
      if (!has_nan && !has_inf && sq == 0) {
        ++group_.zero_norm;
        findings_->Add(preexisting(), group.target, id, "zero_norm");
        corrupt = true;
      }
      if (fixed_dimension_ > 0) {
        if (WrongDimension(len, fixed_dimension_)) {
          ++group_.wrong_dimension;
          findings_->Add(preexisting(), group.target, id,
                         DimensionProblem(len, fixed_dimension_));
          corrupt = true;
        }
      } else {
        LengthStats& stats = lengths_[len];
        ++stats.count;
        if (corrupt) ++stats.already_corrupt;
        if (static_cast<int64_t>(stats.ids.size()) < suite().max_findings) {
          stats.ids.push_back(id);
        }
      }
      if (corrupt) {
        MarkCorrupt(group, old_digest, preexisting());
        continue;
      }
      const OldRecordDigest* old = old_digest;
      if (suite().content.reembedding) continue;  // declared: vectors change
      if (old != nullptr && old->embedding_hash != 0 && old->dimension == len &&
          HashBytes(v, len * sizeof(float)) != old->embedding_hash) {
        if (old->vector_row >= 0 && group.old_vectors != nullptr &&
            group.old_vectors->dim() == len) {
          // The runner kept the old vector: compare without asking the store.
          old_vector_.resize(len);
          RETURN_IF_ERROR(group.old_vectors->ReadRow(static_cast<size_t>(old->vector_row),
                                                     old_vector_.data()));
          CheckDrift(group, group.sources[old->source_index], id, old_vector_.data(), v, len);
          continue;
        }
        pending_.push_back({id, old->source_index, std::vector<float>(v, v + len)});
        if (pending_.size() >= kDriftBatch) RETURN_IF_ERROR(FlushDrift(group));
      }
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    RETURN_IF_ERROR(FlushDrift(group));
    size_t dimension = fixed_dimension_;
    if (dimension == 0) {
      // The most common length (the smallest on a tie).
      int64_t best = -1;
      for (const auto& [len, stats] : lengths_) {
        if (stats.count > best) {
          best = stats.count;
          dimension = len;
        }
      }
      for (const auto& [len, stats] : lengths_) {
        if (!WrongDimension(len, dimension)) continue;
        group_.wrong_dimension += stats.count;
        group_.corrupt += stats.count - stats.already_corrupt;
        if (stats.count > 0) faults_.MarkGroup(group);
        for (const std::string& id : stats.ids) {
          findings_->Add(false, group.target, id, DimensionProblem(len, dimension));
        }
        unlisted_ += stats.count - static_cast<int64_t>(stats.ids.size());
      }
    }
    nlohmann::json g;
    g["target"] = group.target;
    g["dimension"] = dimension;
    group_.ToJson(g);
    groups_.push_back(std::move(g));
    if (group_.records > 0 || dimension > 0) dimensions_.push_back(dimension);
    total_.Add(group_);
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const EmbeddingThresholds& t = suite().embedding;
    const double corrupt_pct = check_util::JudgeBadRecords(
        suite().pre_existing, t.warn_percent, t.fail_percent, total_.corrupt, total_.preexisting,
        total_.records,
        "corrupt embeddings the migration introduced (missing, NaN/Inf, zero, wrong "
        "dimension, drifted)",
        &r);
    {
      Criterion drift;
      drift.what = "drift of changed vectors (same id, other bytes)";
      drift.observed = std::to_string(total_.drifted) + " of " +
                       std::to_string(total_.drift_checked) + " changed; min cosine " +
                       FormatNumber(total_.min_cosine);
      drift.limit = suite().content.reembedding
                        ? "not judged (content.reembedding)"
                        : "drifts when cosine < " + FormatNumber(t.drift_min_cosine) +
                              " or max |diff| > " + FormatNumber(t.drift_max_abs_diff);
      drift.status = total_.drifted > 0 ? CheckStatus::kWarn : CheckStatus::kPass;
      r.criteria.push_back(drift);
    }
    total_.ToJson(r.metrics);
    bool same = !dimensions_.empty() &&
                std::all_of(dimensions_.begin(), dimensions_.end(),
                            [&](size_t d) { return d == dimensions_[0]; });
    r.metrics["dimension"] = same ? nlohmann::json(dimensions_[0]) : nlohmann::json();
    r.metrics["drift_min_cosine"] = t.drift_min_cosine;
    r.metrics["drift_max_abs_diff"] = t.drift_max_abs_diff;
    r.metrics["groups"] = groups_;
    r.summary = std::to_string(total_.corrupt) + " of " + std::to_string(total_.records) +
                " embeddings corrupt (" + FormatFixed(corrupt_pct, 3) +
                " %): " + std::to_string(total_.missing) + " missing, " +
                std::to_string(total_.nan) + " NaN, " + std::to_string(total_.inf) +
                " Inf, " + std::to_string(total_.wrong_dimension) +
                " wrong dimension, " + std::to_string(total_.zero_norm) +
                " zero-norm, " + std::to_string(total_.drifted) + " drifted of " +
                std::to_string(total_.drift_checked) + " changed";
    if (total_.preexisting > 0) {
      r.summary += "; " + std::to_string(total_.preexisting) + " more already so in the old store";
    }
    for (const auto& g : groups_) {
      nlohmann::json row;
      row["collection"] = g["target"];
      row["dimension"] = g["dimension"];
      row["records"] = g["records"];
      row["corrupt"] = g["corrupt_count"];
      row["nan"] = g["nan_count"];
      row["missing"] = g["missing_count"];
      row["zero_norm"] = g["zero_norm_count"];
      row["wrong_dimension"] = g["wrong_dimension_count"];
      row["drifted"] = g["drifted_count"];
      row["pre_existing"] = g["preexisting_count"];
      r.per_collection.push_back(std::move(row));
    }
    if (r.status == CheckStatus::kFail) r.failed_collections = faults_.ToVector();
    findings_->MoveTo(r);
    r.findings_total += unlisted_;
    return r;
  }

 private:
  struct LengthStats {
    int64_t count = 0;
    int64_t already_corrupt = 0;  // rows of this length corrupt for another reason
    std::vector<std::string> ids;  // up to max_findings, for findings
  };
  struct PendingDrift {
    std::string id;
    uint32_t source_index;
    std::vector<float> vector;
  };

  bool WrongDimension(size_t len, size_t dimension) const {
    if (len != dimension) return true;
    if (!suite().embedding.require_allowed_dimension) return false;
    const auto& allowed = suite().embedding.allowed_dimensions;
    return std::find(allowed.begin(), allowed.end(), static_cast<int64_t>(len)) ==
           allowed.end();
  }

  std::string DimensionProblem(size_t len, size_t dimension) const {
    if (len != dimension) {
      return "dimension " + std::to_string(len) + " != " + std::to_string(dimension);
    }
    return "dimension " + std::to_string(len) + " not allowed";
  }

  void MarkCorrupt(const GroupContext& group, const OldRecordDigest* old, bool preexisting) {
    if (preexisting) {
      ++group_.preexisting;
      return;
    }
    ++group_.corrupt;
    faults_.Mark(group, old);
  }

  // Fetches the old vectors of the queued changed records and compares.
  Status FlushDrift(const GroupContext& group) {
    if (pending_.empty()) return Status::Ok();
    std::map<uint32_t, std::vector<size_t>> by_source;
    for (size_t p = 0; p < pending_.size(); ++p) {
      by_source[pending_[p].source_index].push_back(p);
    }
    Include embeddings_only;
    embeddings_only.documents = false;
    embeddings_only.metadatas = false;
    embeddings_only.embeddings = true;
    for (const auto& [source, rows] : by_source) {
      if (source >= group.sources.size()) {
        return Internal("embedding_integrity: source index out of range");
      }
      const std::string& collection = group.sources[source];
      std::vector<std::string> ids;
      ids.reserve(rows.size());
      for (size_t p : rows) ids.push_back(pending_[p].id);
      auto fetched = run_->old_store->Get(collection, ids, embeddings_only);
      if (!fetched.ok()) {
        return fetched.status().WithContext(
            "embedding_integrity: fetching old vectors of '" + collection + "'");
      }
      const RecordBatch& old = *fetched;
      std::unordered_map<std::string, size_t> row_of;
      for (size_t i = 0; i < old.size(); ++i) row_of[old.id(i)] = i;
      for (size_t p : rows) {
        const PendingDrift& item = pending_[p];
        auto it = row_of.find(item.id);
        if (it == row_of.end()) {
          return FailedPrecondition("embedding_integrity: record '" + item.id +
                                    "' of old collection '" + collection +
                                    "' disappeared from the old store during "
                                    "validation; re-run on a quiescent store");
        }
        const size_t i = it->second;
        if (old.embedding_size(i) == item.vector.size()) {
          CheckDrift(group, collection, item.id, old.embedding(i), item.vector.data(),
                     item.vector.size());
        } else {
          CheckDrift(group, collection, item.id, nullptr, item.vector.data(),
                     item.vector.size());
        }
      }
    }
    pending_.clear();
    return Status::Ok();
  }

  // Compares one changed pair (`old_vector` null: the old one has another
  // length) and records drift.
  void CheckDrift(const GroupContext& group, const std::string& collection,
                  const std::string& id, const float* old_vector, const float* new_vector,
                  size_t len) {
    const EmbeddingThresholds& t = suite().embedding;
    ++group_.drift_checked;
    double cosine = 0, relative_diff = 1;
    if (old_vector != nullptr) Compare(old_vector, new_vector, len, &cosine, &relative_diff);
    group_.min_cosine = std::min(group_.min_cosine, cosine);
    if (!(cosine >= t.drift_min_cosine) || !(relative_diff <= t.drift_max_abs_diff)) {
      ++group_.drifted;
      ++group_.corrupt;
      faults_.Add(collection);
      findings_->Add(false, group.target, id,
                     "drift(cosine " + FormatNumber(cosine) + ", max_abs_diff " +
                         FormatNumber(relative_diff) + ")");
      if (fixed_dimension_ == 0) ++lengths_[len].already_corrupt;
    }
  }

  // Cosine similarity and the largest component difference relative to the
  // largest component magnitude of either vector.
  static void Compare(const float* a, const float* b, size_t n, double* cosine,
                      double* relative_diff) {
    double ab = 0, aa = 0, bb = 0, max_diff = 0, max_mag = 0;
    for (size_t i = 0; i < n; ++i) {
      const double x = a[i], y = b[i];
      ab += x * y;
      aa += x * x;
      bb += y * y;
      max_diff = std::max(max_diff, std::fabs(x - y));
      max_mag = std::max({max_mag, std::fabs(x), std::fabs(y)});
    }
    if (aa == 0 || bb == 0) {
      *cosine = (aa == 0 && bb == 0) ? 1.0 : 0.0;
    } else {
      *cosine = ab / (std::sqrt(aa) * std::sqrt(bb));
    }
    // NaN anywhere makes both comparisons fail: reported as drift.
    *relative_diff = max_mag > 0 ? max_diff / max_mag : (max_diff > 0 ? 1.0 : 0.0);
    if (std::isnan(ab)) *relative_diff = std::nan("");
  }

  std::unique_ptr<check_util::SplitFindings> findings_;
  int64_t unlisted_ = 0;
  Counters group_;
  Counters total_;
  size_t fixed_dimension_ = 0;
  std::map<size_t, LengthStats> lengths_;
  std::vector<PendingDrift> pending_;
  std::vector<float> old_vector_;  // scratch for one old row
  check_util::FaultSources faults_;
  std::vector<size_t> dimensions_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewEmbeddingIntegrityValidator() {
  return std::make_unique<EmbeddingIntegrityValidator>();
}

}  // namespace vecgate
