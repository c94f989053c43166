// Check 5, collection_distribution: the new store has the collections the
// mapping expects, holding what they should.
//
// Every target collection must exist in new (FAIL otherwise) and hold exactly
// its expected count: the suite's expected_count when given, else the sum of
// its sources' old counts (FAIL on a mismatch). With strict_collections, a
// new collection that no group targets is unexpected: WARN, or FAIL with
// distribution.unexpected_collections_fail. A record routed to the wrong
// target shows here as one target short and another over (and in count as
// missing and extra ids). Findings name collections (empty id).
#include <algorithm>
#include <set>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

class CollectionDistributionValidator : public Validator {
 public:
  const char* name() const override { return "collection_distribution"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<FindingList>(suite().max_findings);
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    targets_.insert(group.target);
    const bool expected_given = group.expected_count >= 0;
    const int64_t expected = expected_given ? group.expected_count : group.old_count;
    nlohmann::json g;
    g["target"] = group.target;
    g["sources"] = group.sources;
    g["exists"] = group.new_exists;
    g["expected_count"] = expected;
    g["expected_from"] = expected_given ? "suite" : "sources";
    g["new_count"] = group.new_count;
    g["difference"] = group.new_count - expected;
    groups_.push_back(std::move(g));
    if (!group.new_exists) {
      ++missing_collections_;
      findings_->Add(group.target, "", "missing_collection");
      faults_.MarkGroup(group);
    } else if (group.new_count != expected) {
      ++count_mismatches_;
      findings_->Add(group.target, "",
                     "count " + std::to_string(group.new_count) + " != expected " +
                         std::to_string(expected) +
                         (expected_given ? " (suite)" : " (sum of sources)"));
      faults_.MarkGroup(group);
    }
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    int64_t unexpected = 0;
    int64_t aside = 0;
    std::vector<std::string> unexpected_names;
    if (suite().strict_collections) {
      for (const CollectionInfo& info : run_->new_collections) {
        if (targets_.count(info.name)) continue;
        // A failed migration kept aside by a rollback is known, not stray.
        if (IsRollbackAsideName(info.name)) {
          ++aside;
          continue;
        }
        if (run_->groups != nullptr &&
            std::any_of(run_->groups->begin(), run_->groups->end(),
                        [&](const GroupContext& g) { return g.target == info.name; })) {
          continue;
        }
        ++unexpected;
        unexpected_names.push_back(info.name);
        findings_->Add(info.name, "", "unexpected_collection");
      }
    }
    if (missing_collections_ > 0 || count_mismatches_ > 0) {
      r.status = CheckStatus::kFail;
    } else if (unexpected > 0) {
      r.status = suite().distribution.unexpected_collections_fail ? CheckStatus::kFail
                                                                  : CheckStatus::kWarn;
    }
    r.metrics["expected_collections"] = static_cast<int64_t>(targets_.size());
    r.metrics["missing_collections"] = missing_collections_;
    r.metrics["count_mismatches"] = count_mismatches_;
    r.metrics["unexpected_collections"] = unexpected;
    r.metrics["rollback_aside_collections"] = aside;
    r.metrics["unexpected_collection_names"] = unexpected_names;
    r.metrics["groups"] = groups_;
    r.summary = std::to_string(targets_.size()) + " target collections: " +
                std::to_string(missing_collections_) + " missing, " +
                std::to_string(count_mismatches_) + " with wrong counts, " +
                std::to_string(unexpected) + " unexpected";
    if (r.status == CheckStatus::kFail) r.failed_collections = faults_.ToVector();
    findings_->MoveTo(r);
    return r;
  }

 private:
  std::unique_ptr<FindingList> findings_;
  std::set<std::string> targets_;
  int64_t missing_collections_ = 0;
  int64_t count_mismatches_ = 0;
  check_util::FaultSources faults_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewCollectionDistributionValidator() {
  return std::make_unique<CollectionDistributionValidator>();
}

}  // namespace vecgate
