// Check 3, metadata_completeness: every required field of the suite's schema
// is present in every new record.
//
// A field is present when the record's metadata has the key with a non-null
// value of the type its field rule names (SPEC: "a value of the wrong type is
// not 'present'"; a field without a rule accepts any non-null value). A
// record without metadata misses every field. Completeness per field is the
// percentage of new records where it is present. Decision: every field at
// least metadata.pass_percent (100) PASS, at least warn_percent (99) WARN,
// else FAIL. Findings: "missing_field:<name>" per record and field.
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
  const char* title() const override { return "Metadata completeness"; }

  Status BeginRun(const RunContext& run) override {
    run_ = &run;
    findings_ = std::make_unique<FindingList>(suite().max_findings);
    fields_ = suite().required_fields;
    types_.assign(fields_.size(), "");
    for (size_t f = 0; f < fields_.size(); ++f) {
      for (const FieldRule& rule : suite().field_rules) {
        if (rule.field == fields_[f]) types_[f] = rule.type;
      }
    }
    present_.assign(fields_.size(), 0);
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext&) override {
    group_records_ = 0;
    group_present_.assign(fields_.size(), 0);
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    for (size_t i = 0; i < page.size(); ++i) {
      ++group_records_;
      bool complete = true;
      for (size_t f = 0; f < fields_.size(); ++f) {
        const MetadataValue* value = FindField(page.metadata(i), fields_[f]);
        bool present = value != nullptr &&
                       (types_[f].empty()
                            ? !std::holds_alternative<std::monostate>(*value)
                            : HasRuleType(*value, types_[f]));
        if (present) {
          ++group_present_[f];
        } else {
          complete = false;
          findings_->Add(group.target, page.id(i), "missing_field:" + fields_[f]);
        }
      }
      if (!complete) faults_[group.target].Mark(group, joined.old[i]);
    }
    return Status::Ok();
  }

  Status EndGroup(const GroupContext& group) override {
    nlohmann::json g;
    g["target"] = group.target;
    g["records"] = group_records_;
    nlohmann::json per_field = nlohmann::json::object();
    double group_min = 100.0;
    for (size_t f = 0; f < fields_.size(); ++f) {
      double pct = group_records_ > 0 ? Percent(group_present_[f], group_records_) : 100.0;
      per_field[fields_[f]] = pct;
      group_min = std::min(group_min, pct);
      present_[f] += group_present_[f];
    }
    g["field_completeness_percentage"] = per_field;
    g["min_completeness_percentage"] = group_min;
    groups_.push_back(std::move(g));
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
    double min_pct = 100.0;
    std::string worst_field;
    for (size_t f = 0; f < fields_.size(); ++f) {
      double pct = records_ > 0 ? Percent(present_[f], records_) : 100.0;
      per_field[fields_[f]] = pct;
      if (pct < min_pct) {
        min_pct = pct;
        worst_field = fields_[f];
      }
    }
    if (min_pct >= t.pass_percent) {
      r.status = CheckStatus::kPass;
    } else if (min_pct >= t.warn_percent) {
      r.status = CheckStatus::kWarn;
    } else {
      r.status = CheckStatus::kFail;
    }
    r.metrics["records"] = records_;
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
  std::unique_ptr<FindingList> findings_;
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
