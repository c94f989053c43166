// Check 1, count: old and new record counts per target group and in total,
// ids missing in new (old ids the new scan never saw) and ids extra in new
// (new rows with no old record of the same id in the group), and
// data_loss_percentage = 100 * missing / old_total (read by the runner).
//
// FAIL when more ids are missing than count.tolerance or the data loss is
// above count.data_loss_fail_percent; extra ids WARN (FAIL with
// count.extra_ids_fail). Missing findings list the smallest ids (by string)
// so a report does not depend on hash-map order; memory for them is bounded
// by max_findings per group.
#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FormatFixed;
using check_util::Percent;

class CountValidator : public Validator {
 public:
  const char* name() const override { return "count"; }

  Status OnBeginRun() override {
    missing_ = std::make_unique<FindingList>(suite().max_findings);
    extra_ = std::make_unique<FindingList>(suite().max_findings);
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext&) override {
    group_extra_ = 0;
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    for (size_t i = 0; i < page.size(); ++i) {
      if (joined.old[i] == nullptr) {
        ++group_extra_;
        extra_->Add(group.target, page.id(i), "extra_in_new");
      }
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    // The smallest max_findings missing ids, and the count per source.
    const size_t cap = static_cast<size_t>(std::max<int64_t>(0, suite().max_findings));
    std::priority_queue<std::pair<std::string, uint32_t>> smallest;
    std::vector<int64_t> missing_per_source(group.sources.size(), 0);
    int64_t group_missing = 0;
    if (group.old_index != nullptr) {
      for (const auto& [id, digest] : *group.old_index) {
        if (digest.seen_in_new) continue;
        ++group_missing;
        if (digest.source_index < missing_per_source.size()) {
          ++missing_per_source[digest.source_index];
        }
        if (cap == 0) continue;
        if (smallest.size() < cap) {
          smallest.emplace(id, digest.source_index);
        } else if (id < smallest.top().first) {
          smallest.pop();
          smallest.emplace(id, digest.source_index);
        }
      }
    }
    std::vector<std::pair<std::string, uint32_t>> listed;
    while (!smallest.empty()) {
      listed.push_back(smallest.top());
      smallest.pop();
    }
    std::reverse(listed.begin(), listed.end());
    for (const auto& [id, source] : listed) {
      const std::string& collection =
          source < group.sources.size() ? group.sources[source] : group.target;
      missing_->Add(collection, id, "missing_in_new");
    }
    missing_unlisted_ += group_missing - static_cast<int64_t>(listed.size());

    nlohmann::json g;
    g["target"] = group.target;
    g["sources"] = group.sources;
    g["target_exists"] = group.new_exists;
    g["old_count"] = group.old_count;
    g["new_count"] = group.new_count;
    g["missing_ids"] = group_missing;
    g["extra_ids"] = group_extra_;
    g["data_loss_percentage"] = Percent(group_missing, group.old_count);
    nlohmann::json per_source = nlohmann::json::object();
    for (size_t s = 0; s < group.sources.size(); ++s) {
      per_source[group.sources[s]] = missing_per_source[s];
      if (missing_per_source[s] > 0) missing_sources_.insert(group.sources[s]);
    }
    g["missing_ids_per_source"] = per_source;
    groups_.push_back(std::move(g));
    if (group_extra_ > 0) {
      extra_sources_.insert(group.sources.begin(), group.sources.end());
    }
    old_total_ += group.old_count;
    new_total_ += group.new_count;
    missing_total_ += group_missing;
    extra_total_ += group_extra_;
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const CountThresholds& t = suite().count;
    double loss = Percent(missing_total_, old_total_);
    bool missing_fail =
        missing_total_ > t.tolerance || loss > t.data_loss_fail_percent;
    if (missing_fail) {
      r.status = CheckStatus::kFail;
    } else if (extra_total_ > 0) {
      r.status = t.extra_ids_fail ? CheckStatus::kFail : CheckStatus::kWarn;
    }
    r.metrics["old_count"] = old_total_;
    r.metrics["new_count"] = new_total_;
    r.metrics["missing_ids"] = missing_total_;
    r.metrics["extra_ids"] = extra_total_;
    r.metrics["data_loss_percentage"] = loss;
    r.metrics["tolerance"] = t.tolerance;
    r.metrics["groups"] = groups_;
    r.summary = std::to_string(old_total_) + " old, " + std::to_string(new_total_) +
                " new: " + std::to_string(missing_total_) + " missing, " +
                std::to_string(extra_total_) + " extra (data loss " +
                FormatFixed(loss, 2) + " %)";
    if (r.status == CheckStatus::kFail) {
      r.rollback_reason = loss > t.data_loss_fail_percent
                              ? "Data Loss Detected; Chunk Count Mismatch"
                              : "Chunk Count Mismatch";
      std::set<std::string> at_fault;
      if (missing_fail) at_fault = missing_sources_;
      if (t.extra_ids_fail) at_fault.insert(extra_sources_.begin(), extra_sources_.end());
      r.failed_collections.assign(at_fault.begin(), at_fault.end());
    }
    // Missing ids first, then extra ids, capped as one list.
    missing_->MoveTo(r);
    extra_->MoveTo(r);
    r.findings_total += missing_unlisted_;
    if (r.findings.size() > static_cast<size_t>(std::max<int64_t>(0, suite().max_findings))) {
      r.findings.resize(static_cast<size_t>(suite().max_findings));
    }
    return r;
  }

 private:
  std::unique_ptr<FindingList> missing_;
  std::unique_ptr<FindingList> extra_;
  int64_t group_extra_ = 0;
  int64_t missing_unlisted_ = 0;  // missing ids beyond the per-group listing
  int64_t old_total_ = 0, new_total_ = 0, missing_total_ = 0, extra_total_ = 0;
  std::set<std::string> missing_sources_, extra_sources_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewCountValidator() {
  return std::make_unique<CountValidator>();
}

}  // namespace vecgate
