// Check 6, duplicates: across every target collection of the new store.
//
// - Duplicate ids: an id seen twice in one collection or in more than one
//   target collection. Any duplicate id FAILs.
// - Duplicate documents: records with the same non-empty document (by content
//   hash) and identical embeddings (same float32 bytes, by hash; vectors
//   with NaN/Inf components are left to embedding_integrity). The
//   percentage of records involved (every member of a duplicate set, the
//   first included) FAILs above duplicates.fail_percent and WARNs above
//   warn_percent. Each can be switched off (check_documents/check_embeddings).
// - Near-duplicates (near_duplicate_cosine > 0): pairs with cosine similarity
//   at least that threshold among a deterministic sample of
//   near_duplicate_sample records per target (bottom-k by id hash), not
//   counting identical embeddings. Reported as WARN.
//
// Memory: every id once, and per distinct document/embedding hash the first
// id holding it; never documents or vectors (beyond the near-duplicate
// sample). Findings: "duplicate_id", "duplicate_document_of:<first id>",
// "duplicate_embedding_of:<first id>", "near_duplicate_of:<id>(cosine c)".
// Eigen 3.4's AVX-512 packet code trips GCC 12's uninitialized-use
// analysis once inlined here; the warnings are about Eigen, not this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FormatFixed;
using check_util::FormatNumber;
using check_util::Percent;

class DuplicatesValidator : public Validator {
 public:
  const char* name() const override { return "duplicates"; }
  const char* title() const override { return "Duplicates"; }

  Status BeginRun(const RunContext& run) override {
    run_ = &run;
    findings_ = std::make_unique<FindingList>(suite().max_findings);
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext& group) override {
    sample_.reset();
    sample_dimension_ = group.new_info.dimension > 0
                            ? static_cast<size_t>(group.new_info.dimension)
                            : 0;
    group_duplicates_ = 0;
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    const DuplicateThresholds& t = suite().duplicates;
    for (size_t i = 0; i < page.size(); ++i) {
      ++records_;
      const std::string& id = page.id(i);
      bool duplicate = false;
      if (!ids_.insert(id).second) {
        ++duplicate_ids_;
        duplicate = true;
        findings_->Add(group.target, id, "duplicate_id");
      }
      if (t.check_documents && page.document(i) && !page.document(i)->empty()) {
        const std::string& doc = *page.document(i);
        duplicate |= Record(&documents_, HashBytes(doc.data(), doc.size()), id, group,
                            "duplicate_document_of:", &document_involved_);
      }
      // Vectors with NaN/Inf are embedding_integrity's to report; in a
      // cosine collection Chroma turns them wholly into NaN, which would make
      // them all "identical" here.
      if (t.check_embeddings && page.has_embedding(i) &&
          check_util::AllFinite(page.embedding(i), page.embedding_size(i))) {
        duplicate |= Record(&embeddings_,
                            HashBytes(page.embedding(i), page.embedding_size(i) * sizeof(float)),
                            id, group, "duplicate_embedding_of:", &embedding_involved_);
      }
      if (duplicate) {
        ++group_duplicates_;
        faults_.Mark(group, joined.old[i]);
      }
      if (t.near_duplicate_cosine > 0 && page.has_embedding(i)) {
        const size_t len = page.embedding_size(i);
        if (sample_dimension_ == 0) sample_dimension_ = len;
        if (len == sample_dimension_ && check_util::AllFinite(page.embedding(i), len)) {
          if (!sample_) {
            sample_ = std::make_unique<check_util::BottomKSample>(
                static_cast<size_t>(std::max<int64_t>(0, t.near_duplicate_sample)), len,
                suite().queries.seed);
          }
          sample_->Offer(id, page.embedding(i));
        }
      }
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    if (sample_) FindNearDuplicates(group);
    nlohmann::json g;
    g["target"] = group.target;
    g["records_with_duplicates"] = group_duplicates_;
    groups_.push_back(std::move(g));
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const DuplicateThresholds& t = suite().duplicates;
    const double document_pct = Percent(document_involved_, records_);
    const double embedding_pct = Percent(embedding_involved_, records_);
    CheckStatus status = CheckStatus::kPass;
    if (duplicate_ids_ > 0) status = CheckStatus::kFail;
    status = check_util::Worse(
        status, check_util::StatusFromBadPercent(document_pct, t.warn_percent, t.fail_percent));
    status = check_util::Worse(
        status, check_util::StatusFromBadPercent(embedding_pct, t.warn_percent, t.fail_percent));
    if (near_pairs_ > 0) status = check_util::Worse(status, CheckStatus::kWarn);
    r.status = status;
    r.metrics["records"] = records_;
    r.metrics["duplicate_id_count"] = duplicate_ids_;
    r.metrics["duplicate_document_records"] = document_involved_;
    r.metrics["duplicate_document_percentage"] = document_pct;
    r.metrics["duplicate_embedding_records"] = embedding_involved_;
    r.metrics["duplicate_embedding_percentage"] = embedding_pct;
    r.metrics["near_duplicate_threshold"] = t.near_duplicate_cosine;
    r.metrics["near_duplicate_sampled"] = near_sampled_;
    r.metrics["near_duplicate_pairs"] = near_pairs_;
    r.metrics["groups"] = groups_;
    r.summary = std::to_string(duplicate_ids_) + " duplicate ids; duplicate documents " +
                FormatFixed(document_pct, 2) + " %, identical embeddings " +
                FormatFixed(embedding_pct, 2) + " % of " + std::to_string(records_) +
                " records";
    if (t.near_duplicate_cosine > 0) {
      r.summary += "; " + std::to_string(near_pairs_) + " near-duplicate pairs in " +
                   std::to_string(near_sampled_) + " sampled";
    }
    if (r.status == CheckStatus::kFail) r.failed_collections = faults_.ToVector();
    findings_->MoveTo(r);
    return r;
  }

 private:
  struct FirstHolder {
    std::string id;
    bool counted = false;  // already counted as involved in a duplicate set
  };
  using HashIndex = std::unordered_map<uint64_t, FirstHolder>;

  // Returns true when `hash` was seen before (and records the finding).
  bool Record(HashIndex* index, uint64_t hash, const std::string& id,
              const GroupContext& group, const char* problem, int64_t* involved) {
    auto [it, inserted] = index->try_emplace(hash);
    if (inserted) {
      it->second.id = id;
      return false;
    }
    if (!it->second.counted) {
      it->second.counted = true;
      ++*involved;
    }
    ++*involved;
    findings_->Add(group.target, id, problem + it->second.id);
    return true;
  }

  void FindNearDuplicates(const GroupContext& group) {
    std::vector<std::string> ids;
    std::vector<float> vectors;
    sample_->Take(&ids, &vectors);
    const size_t n = ids.size(), d = sample_->dim();
    near_sampled_ += static_cast<int64_t>(n);
    using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<Matrix> x(vectors.data(), n, d);
    std::vector<uint64_t> hashes(n);
    for (size_t i = 0; i < n; ++i) {
      hashes[i] = HashBytes(vectors.data() + i * d, d * sizeof(float));
      float norm = x.row(i).norm();
      if (norm > 0) x.row(i) /= norm;
    }
    Matrix gram = x * x.transpose();
    const double threshold = suite().duplicates.near_duplicate_cosine;
    for (size_t j = 0; j < n; ++j) {
      for (size_t i = 0; i < j; ++i) {
        if (gram(i, j) >= threshold && hashes[i] != hashes[j]) {
          ++near_pairs_;
          findings_->Add(group.target, ids[j],
                         "near_duplicate_of:" + ids[i] + "(cosine " +
                             FormatNumber(std::round(gram(i, j) * 1e6) / 1e6) + ")");
        }
      }
    }
    sample_.reset();
  }

  std::unique_ptr<FindingList> findings_;
  std::unordered_set<std::string> ids_;  // every id of every target
  HashIndex documents_;
  HashIndex embeddings_;
  int64_t records_ = 0;
  int64_t duplicate_ids_ = 0;
  int64_t document_involved_ = 0;
  int64_t embedding_involved_ = 0;
  int64_t near_sampled_ = 0;
  int64_t near_pairs_ = 0;
  int64_t group_duplicates_ = 0;
  size_t sample_dimension_ = 0;
  std::unique_ptr<check_util::BottomKSample> sample_;
  check_util::FaultSources faults_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewDuplicatesValidator() {
  return std::make_unique<DuplicatesValidator>();
}

}  // namespace vecgate
