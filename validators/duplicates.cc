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
// Judging the migration, not the source: the old store is counted the same
// way (per document hash, embedding hash and id, over every old collection).
// A member of a new duplicate set is pre-existing when another member of
// the same set had the same document / embedding as it in the old store
// (same old hash): the migration kept a duplicate it was given, even if it
// rewrote both copies alike (a truncation). Every other member of a
// duplicate set is the migration's: a record that joined a set, or two
// records that were not duplicates of each other before. Classified at the
// end, so the order of the scan does not matter. Pre-existing duplicates are
// listed apart and judged by the suite's pre_existing policy, so a perfect
// copy of a corpus with natural duplicates passes, and one duplicate the
// migration adds is judged exactly as before.
//
// Memory: every id once, per distinct document/embedding hash the first id
// holding it and a count, and per old record two hashes and a counter;
// never documents or vectors (beyond the near-duplicate sample). Findings
// are classified at the end; up to kCandidateCap of them are kept for that. Findings: "duplicate_id", "duplicate_document_of:<first id>",
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
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FormatFixed;
using check_util::FormatNumber;
using check_util::Percent;

// Duplicate findings kept until Finish classifies them.
constexpr size_t kCandidateCap = 20000;

class DuplicatesValidator : public Validator {
 public:
  const char* name() const override { return "duplicates"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<check_util::SplitFindings>(suite().max_findings);
    return Status::Ok();
  }

  // Old ids, to tell a duplicate id the old store already had (two old
  // collections merged into one target). Documents and embeddings need no
  // old pass: the joined digests carry their old hashes.
  Status OnOldPage(const GroupContext&, const RecordBatch& page, size_t) override {
    for (size_t i = 0; i < page.size(); ++i) {
      ++old_ids_[HashBytes(page.id(i).data(), page.id(i).size())];
    }
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext& group) override {
    targets_.push_back(group.target);
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
      const OldRecordDigest* old = joined.old[i];
      bool duplicate = false;
      if (!ids_.insert(id).second) {
        ++duplicate_ids_;
        duplicate = true;
        auto it = old_ids_.find(HashBytes(id.data(), id.size()));
        const bool pre = it != old_ids_.end() && it->second >= 2;
        if (pre) ++preexisting_duplicate_ids_;
        findings_->Add(pre, group.target, id, "duplicate_id");
      }
      if (t.check_documents && page.document(i) && !page.document(i)->empty()) {
        const std::string& doc = *page.document(i);
        const uint64_t h = HashBytes(doc.data(), doc.size());
        duplicate |= Record(&documents_, h, id, group, "duplicate_document_of:",
                            old != nullptr ? old->document_hash : 0, false);
      }
      // Vectors with NaN/Inf are embedding_integrity's to report; in a
      // cosine collection Chroma turns them wholly into NaN, which would make
      // them all "identical" here.
      if (t.check_embeddings && page.has_embedding(i) &&
          check_util::AllFinite(page.embedding(i), page.embedding_size(i))) {
        const uint64_t h =
            HashBytes(page.embedding(i), page.embedding_size(i) * sizeof(float));
        duplicate |= Record(&embeddings_, h, id, group, "duplicate_embedding_of:",
                            old != nullptr ? old->embedding_hash : 0, true);
      }
      if (duplicate) {
        ++group_duplicates_;
        group_faults_.push_back(old != nullptr ? old->source_index : UINT32_MAX);
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
    nlohmann::json row;
    row["collection"] = group.target;
    row["records_in_duplicate_sets"] = group_duplicates_;
    per_collection_.push_back(std::move(row));
    // Which old collections a failure would blame, kept by name.
    for (uint32_t source : group_faults_) {
      if (source == UINT32_MAX || source >= group.sources.size()) {
        for (const auto& name : group.sources) fault_names_.insert(name);
      } else {
        fault_names_.insert(group.sources[source]);
      }
    }
    group_faults_.clear();
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const Tally tally = TallyDuplicates();
    Judge(tally, &r);
    Describe(tally, &r);
    ClassifyCandidates();
    findings_->MoveTo(r);
    // Findings beyond the candidate cap are counted, not listed.
    r.findings_total += unlisted_;
    if (r.status == CheckStatus::kFail) {
      r.failed_collections.assign(fault_names_.begin(), fault_names_.end());
    }
    return r;
  }

 private:
  struct FirstHolder {
    std::string id;
    uint64_t first_old_hash = 0;  // the first member's old hash (0: none)
    uint32_t first_group = 0;     // index of its target in targets_
    uint32_t members = 0;  // new records with this hash
    // Members per old hash (0: not in old): the first inline, the rest (rare:
    // a set whose members had different old values) in `more`.
    uint64_t old_hash0 = 0;
    uint32_t count0 = 0;
    std::vector<std::pair<uint64_t, uint32_t>> more;

    void AddOld(uint64_t old_hash) {
      if (count0 == 0 || old_hash0 == old_hash) {
        old_hash0 = old_hash;
        ++count0;
        return;
      }
      for (auto& [h, n] : more) {
        if (h == old_hash) {
          ++n;
          return;
        }
      }
      more.push_back({old_hash, 1});
    }
    uint32_t MembersWithOldHash(uint64_t old_hash) const {
      if (old_hash == 0) return 0;
      if (count0 > 0 && old_hash0 == old_hash) return count0;
      for (const auto& [h, n] : more) {
        if (h == old_hash) return n;
      }
      return 0;
    }
    // Members that were duplicates of another member already in old.
    uint32_t Preexisting() const {
      uint32_t pre = old_hash0 != 0 && count0 >= 2 ? count0 : 0;
      for (const auto& [h, n] : more) pre += h != 0 && n >= 2 ? n : 0;
      return pre;
    }
  };
  using HashIndex = std::unordered_map<uint64_t, FirstHolder>;
  using OldCounts = std::unordered_map<uint64_t, uint32_t>;
  struct Candidate {
    bool embedding;
    uint64_t hash, old_hash;
    std::string collection, id, problem;
  };
  struct Involvement {
    int64_t all = 0;         // new records in duplicate sets
    int64_t introduced = 0;  // of which the migration's
  };

  // Every duplicate of the run, the migration's apart from the old store's.
  struct Tally {
    Involvement docs, embs;
    int64_t new_ids = 0;      // duplicate ids the migration introduced
    int64_t preexisting = 0;  // duplicate ids, documents and embeddings old had
    int64_t preexisting_docs() const { return docs.all - docs.introduced; }
    int64_t preexisting_embs() const { return embs.all - embs.introduced; }
  };

  static Involvement Classify(const HashIndex& index) {
    Involvement v;
    for (const auto& [hash, holder] : index) {
      if (holder.members < 2) continue;
      v.all += holder.members;
      v.introduced += holder.members - holder.Preexisting();
    }
    return v;
  }

  Tally TallyDuplicates() const {
    Tally tally;
    tally.docs = Classify(documents_);
    tally.embs = Classify(embeddings_);
    tally.new_ids = duplicate_ids_ - preexisting_duplicate_ids_;
    tally.preexisting =
        preexisting_duplicate_ids_ + tally.preexisting_docs() + tally.preexisting_embs();
    return tally;
  }

  // The status of `ids` duplicate ids and of `doc_records` and
  // `emb_records` records in duplicate sets.
  CheckStatus Decide(int64_t ids, int64_t doc_records, int64_t emb_records) const {
    const DuplicateThresholds& t = suite().duplicates;
    CheckStatus status = ids > 0 ? CheckStatus::kFail : CheckStatus::kPass;
    status = check_util::Worse(status,
                               check_util::StatusFromBadPercent(Percent(doc_records, records_),
                                                                t.warn_percent, t.fail_percent));
    return check_util::Worse(status,
                             check_util::StatusFromBadPercent(Percent(emb_records, records_),
                                                              t.warn_percent, t.fail_percent));
  }

  // Sets r->status under the suite's pre_existing policy and adds the
  // criteria: ids, documents and embeddings the migration introduced, and
  // what the old store already had.
  void Judge(const Tally& tally, CheckResult* r) const {
    const DuplicateThresholds& t = suite().duplicates;
    CheckStatus introduced = Decide(tally.new_ids, tally.docs.introduced, tally.embs.introduced);
    if (near_pairs_ > 0) introduced = check_util::Worse(introduced, CheckStatus::kWarn);
    const CheckStatus everything = Decide(duplicate_ids_, tally.docs.all, tally.embs.all);
    r->status = check_util::ApplyPreExisting(suite().pre_existing, introduced, everything,
                                             tally.preexisting);
    Criterion ids;
    ids.what = "duplicate ids the migration introduced";
    ids.observed = std::to_string(tally.new_ids);
    ids.limit = "FAIL above 0";
    ids.status = tally.new_ids > 0 ? CheckStatus::kFail : CheckStatus::kPass;
    r->criteria.push_back(ids);
    r->criteria.push_back(check_util::PercentCriterion(
        "records in duplicate-document sets the migration introduced",
        Percent(tally.docs.introduced, records_), t.warn_percent, t.fail_percent,
        tally.docs.introduced, records_));
    r->criteria.push_back(check_util::PercentCriterion(
        "records in identical-embedding sets the migration introduced",
        Percent(tally.embs.introduced, records_), t.warn_percent, t.fail_percent,
        tally.embs.introduced, records_));
    if (tally.preexisting > 0) {
      r->criteria.push_back(check_util::PreExistingCriterion(
          suite().pre_existing, "duplicates already in the old store",
          std::to_string(tally.preexisting_docs()) + " document, " +
              std::to_string(tally.preexisting_embs()) + " embedding, " +
              std::to_string(preexisting_duplicate_ids_) + " id",
          "judged as new", everything, tally.preexisting));
    }
  }

  // The metrics, per-collection rows, rollback reason and summary.
  void Describe(const Tally& tally, CheckResult* r) const {
    const DuplicateThresholds& t = suite().duplicates;
    const double document_pct = Percent(tally.docs.introduced, records_);
    const double embedding_pct = Percent(tally.embs.introduced, records_);
    r->per_collection = per_collection_;
    r->rollback_reason =
        tally.new_ids > 0 ? "Duplicate IDs Found" : "Duplicate Records Introduced";
    r->metrics["records"] = records_;
    r->metrics["duplicate_id_count"] = tally.new_ids;
    r->metrics["duplicate_document_records"] = tally.docs.introduced;
    r->metrics["duplicate_document_percentage"] = document_pct;
    r->metrics["duplicate_embedding_records"] = tally.embs.introduced;
    r->metrics["duplicate_embedding_percentage"] = embedding_pct;
    r->metrics["preexisting_duplicate_ids"] = preexisting_duplicate_ids_;
    r->metrics["preexisting_duplicate_document_records"] = tally.preexisting_docs();
    r->metrics["preexisting_duplicate_embedding_records"] = tally.preexisting_embs();
    r->metrics["near_duplicate_threshold"] = t.near_duplicate_cosine;
    r->metrics["near_duplicate_sampled"] = near_sampled_;
    r->metrics["near_duplicate_pairs"] = near_pairs_;
    r->metrics["groups"] = groups_;
    r->summary = std::to_string(tally.new_ids) + " duplicate ids; duplicate documents " +
                 FormatFixed(document_pct, 2) + " %, identical embeddings " +
                 FormatFixed(embedding_pct, 2) + " % of " + std::to_string(records_) +
                 " records";
    if (tally.preexisting > 0) {
      r->summary += " (the migration's; " + std::to_string(tally.preexisting_docs()) +
                    " duplicate documents and " + std::to_string(tally.preexisting_embs()) +
                    " identical embeddings were already in the old store)";
    }
    if (t.near_duplicate_cosine > 0) {
      r->summary += "; " + std::to_string(near_pairs_) + " near-duplicate pairs in " +
                    std::to_string(near_sampled_) + " sampled";
    }
  }

  // Adds the kept duplicate findings, each introduced or pre-existing. A
  // set whose later members are all pre-existing but whose first member is
  // not (it joined a set of old copies first in scan order): the first
  // member gets the finding, naming one of the copies it joined.
  void ClassifyCandidates() {
    std::unordered_set<uint64_t> sets_with_new_candidate;
    auto set_key = [](const Candidate& c) { return c.hash ^ (c.embedding ? 0x5bd1e995u : 0); };
    auto holder_of = [&](const Candidate& c) -> const FirstHolder* {
      const HashIndex& index = c.embedding ? embeddings_ : documents_;
      auto it = index.find(c.hash);
      return it == index.end() ? nullptr : &it->second;
    };
    auto candidate_pre = [&](const Candidate& c) {
      const FirstHolder* h = holder_of(c);
      return h != nullptr && h->MembersWithOldHash(c.old_hash) >= 2;
    };
    for (const Candidate& c : candidates_) {
      if (!candidate_pre(c)) sets_with_new_candidate.insert(set_key(c));
    }
    std::unordered_set<uint64_t> first_named;
    for (const Candidate& c : candidates_) {
      const bool pre = candidate_pre(c);
      findings_->Add(pre, c.collection, c.id, c.problem);
      const FirstHolder* h = holder_of(c);
      if (h != nullptr && h->MembersWithOldHash(h->first_old_hash) < 2 &&
          !sets_with_new_candidate.count(set_key(c)) && first_named.insert(set_key(c)).second) {
        const std::string& target =
            h->first_group < targets_.size() ? targets_[h->first_group] : c.collection;
        findings_->Add(false, target, h->id,
                       std::string(c.embedding ? "duplicate_embedding_of:"
                                               : "duplicate_document_of:") + c.id);
      }
    }
  }

  // Returns true when `hash` was seen before (and keeps the finding).
  // `old_hash` is the same record's hash in old (0: not in old).
  bool Record(HashIndex* index, uint64_t hash, const std::string& id,
              const GroupContext& group, const char* problem, uint64_t old_hash,
              bool embedding) {
    auto [it, inserted] = index->try_emplace(hash);
    FirstHolder& holder = it->second;
    ++holder.members;
    holder.AddOld(old_hash);
    if (inserted) {
      holder.id = id;
      holder.first_old_hash = old_hash;
      holder.first_group = static_cast<uint32_t>(targets_.empty() ? 0 : targets_.size() - 1);
      return false;
    }
    if (candidates_.size() < kCandidateCap) {
      candidates_.push_back({embedding, hash, old_hash, group.target, id, problem + holder.id});
    } else {
      ++unlisted_;
    }
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
          findings_->Add(false, group.target, ids[j],
                         "near_duplicate_of:" + ids[i] + "(cosine " +
                             FormatNumber(std::round(gram(i, j) * 1e6) / 1e6) + ")");
        }
      }
    }
    sample_.reset();
  }

  std::unique_ptr<check_util::SplitFindings> findings_;
  std::vector<Candidate> candidates_;
  int64_t unlisted_ = 0;
  OldCounts old_ids_;
  std::vector<std::string> targets_;  // target of each group, in order
  int64_t preexisting_duplicate_ids_ = 0;
  std::vector<uint32_t> group_faults_;  // source index of each duplicate record
  std::set<std::string> fault_names_;
  nlohmann::json per_collection_ = nlohmann::json::array();
  std::unordered_set<std::string> ids_;  // every id of every target
  HashIndex documents_;
  HashIndex embeddings_;
  int64_t records_ = 0;
  int64_t duplicate_ids_ = 0;
  int64_t near_sampled_ = 0;
  int64_t near_pairs_ = 0;
  int64_t group_duplicates_ = 0;
  size_t sample_dimension_ = 0;
  std::unique_ptr<check_util::BottomKSample> sample_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewDuplicatesValidator() {
  return std::make_unique<DuplicatesValidator>();
}

}  // namespace vecgate
