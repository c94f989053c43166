// Check 3, metadata_completeness: every required field of the suite's schema
// is present in every new record.
//
// A field is present when the record's metadata has the key with a non-null
// value of the type its field rule names (a value of the wrong type is not
// "present"; a field without a rule accepts any non-null value). A record
// without metadata misses every field. Completeness per field is the
// percentage of new records where it is present.
//
// Judging the migration, not the source: the old records are read the same
// way, and a field missing from a new record whose old record (same id)
// missed it too is pre-existing. Completeness for the verdict counts
// pre-existing gaps as present unless the suite's pre_existing policy says
// otherwise. Decision: every field at least metadata.pass_percent (100)
// PASS, at least warn_percent (99) WARN, else FAIL. Findings:
// "missing_field:<name>" per record and field.
#include <algorithm>
#include <limits>
#include <map>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FindField;
using check_util::FormatFixed;
using check_util::HasRuleType;
using check_util::Percent;

class MetadataCompletenessValidator : public Validator {
 public:
  const char* name() const override { return "metadata_completeness"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<check_util::SplitFindings>(suite().max_findings);
    fields_ = suite().required_fields;
    types_.assign(fields_.size(), "");
    for (size_t f = 0; f < fields_.size(); ++f) {
      for (const FieldRule& rule : suite().field_rules) {
        if (rule.field == fields_[f]) types_[f] = rule.type;
      }
    }
    present_.assign(fields_.size(), 0);
    preexisting_.assign(fields_.size(), 0);
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext&) override {
    group_records_ = 0;
    group_present_.assign(fields_.size(), 0);
    group_preexisting_.assign(fields_.size(), 0);
    old_missing_.Clear();
    return Status::Ok();
  }

  Status OnOldPage(const GroupContext&, const RecordBatch& page, size_t) override {
    for (size_t i = 0; i < page.size(); ++i) {
      for (size_t f = 0; f < fields_.size(); ++f) {
        if (!Present(page.metadata(i), f)) old_missing_.Note(page.id(i), fields_[f]);
      }
    }
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    for (size_t i = 0; i < page.size(); ++i) {
      ++group_records_;
      bool introduced = false;
      for (size_t f = 0; f < fields_.size(); ++f) {
        if (Present(page.metadata(i), f)) {
          ++group_present_[f];
          continue;
        }
        const bool pre = joined.old[i] != nullptr && old_missing_.Had(page.id(i), fields_[f]);
        if (pre) {
          ++group_preexisting_[f];
        } else {
          introduced = true;
        }
        findings_->Add(pre, group.target, page.id(i), "missing_field:" + fields_[f]);
      }
      if (introduced) faults_[group.target].Mark(group, joined.old[i]);
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    nlohmann::json g;
    g["target"] = group.target;
    g["records"] = group_records_;
    nlohmann::json per_field = nlohmann::json::object();
    double group_min = 100.0;
    std::string group_worst;
    int64_t group_missing = 0, group_pre = 0;
    for (size_t f = 0; f < fields_.size(); ++f) {
      double pct = group_records_ > 0 ? Percent(Counted(group_present_[f],
                                                        group_preexisting_[f]),
                                                group_records_)
                                      : 100.0;
      per_field[fields_[f]] = pct;
      if (pct < group_min) group_min = pct, group_worst = fields_[f];
      present_[f] += group_present_[f];
      preexisting_[f] += group_preexisting_[f];
      group_missing += group_records_ - group_present_[f] - group_preexisting_[f];
      group_pre += group_preexisting_[f];
    }
    g["field_completeness_percentage"] = per_field;
    g["min_completeness_percentage"] = group_min;
    groups_.push_back(std::move(g));
    nlohmann::json row;
    row["collection"] = group.target;
    row["records"] = group_records_;
    row["least_complete_field"] = group_worst.empty() ? "-" : group_worst;
    row["min_completeness_%"] = group_min;
    row["missing_values_introduced"] = group_missing;
    row["missing_values_pre_existing"] = group_pre;
    per_collection_.push_back(std::move(row));
    if (group_min < suite().metadata.warn_percent) below_warn_.insert(group.target);
    records_ += group_records_;
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const MetadataThresholds& t = suite().metadata;
    nlohmann::json per_field = nlohmann::json::object();
    double min_pct = 100.0, raw_min_pct = 100.0, introduced_min = 100.0;
    std::string worst_field;
    int64_t preexisting_total = 0;
    for (size_t f = 0; f < fields_.size(); ++f) {
      double pct = records_ > 0 ? Percent(Counted(present_[f], preexisting_[f]), records_) : 100.0;
      double raw = records_ > 0 ? Percent(present_[f], records_) : 100.0;
      per_field[fields_[f]] = pct;
      raw_min_pct = std::min(raw_min_pct, raw);
      if (records_ > 0) {
        introduced_min = std::min(introduced_min, Percent(present_[f] + preexisting_[f], records_));
      }
      preexisting_total += preexisting_[f];
      if (pct < min_pct) {
        min_pct = pct;
        worst_field = fields_[f];
      }
    }
    auto decide = [&](double pct) {
      return pct >= t.pass_percent   ? CheckStatus::kPass
             : pct >= t.warn_percent ? CheckStatus::kWarn
                                     : CheckStatus::kFail;
    };
    // introduced_min judges what the migration introduced; raw_min_pct the
    // new store as it stands, pre-existing gaps included.
    r.status = check_util::ApplyPreExisting(suite().pre_existing, decide(introduced_min),
                                            decide(raw_min_pct), preexisting_total);
    Criterion c;
    c.what = "least complete required field" + (worst_field.empty() ? "" : " (" + worst_field + ")");
    c.observed = FormatFixed(min_pct, 2) + " %";
    c.limit = "PASS at " + check_util::FormatNumber(t.pass_percent) + " %, WARN at " +
              check_util::FormatNumber(t.warn_percent) + " %, below FAIL";
    c.status = decide(min_pct);
    r.criteria.push_back(c);
    if (preexisting_total > 0) {
      Criterion p;
      p.what = "missing values already missing in the old store (pre_existing: " +
               std::string(PreExistingPolicyName(suite().pre_existing)) + ")";
      p.observed = std::to_string(preexisting_total);
      p.limit = suite().pre_existing == PreExistingPolicy::kIgnore
                    ? "not judged"
                    : suite().pre_existing == PreExistingPolicy::kWarn
                          ? "WARN above 0"
                          : "judged as new: completeness " + FormatFixed(raw_min_pct, 2) + " %";
      p.status = check_util::ApplyPreExisting(suite().pre_existing, CheckStatus::kPass,
                                              decide(raw_min_pct), preexisting_total);
      r.criteria.push_back(p);
    }
    r.per_collection = per_collection_;
    r.metrics["records"] = records_;
    r.metrics["preexisting_missing_values"] = preexisting_total;
    r.metrics["min_completeness_percentage_with_preexisting"] = raw_min_pct;
    r.metrics["required_fields"] = fields_;
    r.metrics["field_completeness_percentage"] = per_field;
    r.metrics["min_completeness_percentage"] = min_pct;
    r.metrics["groups"] = groups_;
    if (fields_.empty()) {
      r.summary = "no required fields in the suite";
    } else if (worst_field.empty()) {
      r.summary = "all " + std::to_string(fields_.size()) + " required fields 100 % complete in " +
                  std::to_string(records_) + " records";
    } else {
      r.summary = "least complete field '" + worst_field + "': " + FormatFixed(min_pct, 2) +
                  " % of " + std::to_string(records_) + " records";
    }
    if (r.status == CheckStatus::kFail) {
      // Groups below the warn line, or every group at fault when only the
      // total is below it.
      std::set<std::string> names;
      for (auto& [target, sources] : faults_) {
        if (below_warn_.empty() || below_warn_.count(target)) {
          for (const auto& s : sources.ToVector()) names.insert(s);
        }
      }
      r.failed_collections.assign(names.begin(), names.end());
    }
    findings_->MoveTo(r);
    return r;
  }

 private:
  // Required field f is present in `metadata`.
  bool Present(const std::optional<Metadata>& metadata, size_t f) const {
    const MetadataValue* value = FindField(metadata, fields_[f]);
    return value != nullptr && (types_[f].empty()
                                    ? !std::holds_alternative<std::monostate>(*value)
                                    : HasRuleType(*value, types_[f]));
  }
  // Values counted as present for the reported completeness: pre-existing
  // gaps count as present unless the policy judges them as new.
  int64_t Counted(int64_t present, int64_t preexisting) const {
    return suite().pre_existing == PreExistingPolicy::kFail ? present : present + preexisting;
  }

  std::unique_ptr<check_util::SplitFindings> findings_;
  check_util::OldProblems old_missing_;
  std::vector<int64_t> preexisting_;
  std::vector<int64_t> group_preexisting_;
  nlohmann::json per_collection_ = nlohmann::json::array();
  std::vector<std::string> fields_;
  std::vector<std::string> types_;  // rule type per field, "" = any
  std::vector<int64_t> present_;
  std::vector<int64_t> group_present_;
  int64_t records_ = 0;
  int64_t group_records_ = 0;
  std::map<std::string, check_util::FaultSources> faults_;  // by target
  std::set<std::string> below_warn_;
  nlohmann::json groups_ = nlohmann::json::array();
};

}  // namespace

std::unique_ptr<Validator> NewMetadataCompletenessValidator() {
  return std::make_unique<MetadataCompletenessValidator>();
}

}  // namespace vecgate
