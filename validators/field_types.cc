// Check 7, field_types: the suite's type and value rules per metadata field.
//
// For each FieldRule and each new record holding the field with a non-null
// value (absence is metadata_completeness's business): the type ("string",
// "int", "float" which accepts an int, "bool"; a bool is never an int), the
// inclusive range [min, max] for numbers, the allowed values (compared with
// the string, or the rendering of a non-string value), and the pattern (a
// regex that must match the whole string, suites/pattern.h: compiled once
// when the suite loads, matched in linear time). A value
// of the wrong type is not checked further. The violation percentage counts
// records with at least one violation; above field_types.fail_percent FAIL,
// above warn_percent WARN. Findings: "<field>:wrong_type(float expected, got
// string)", "<field>:out_of_range(1.7)", "<field>:not_allowed(\"maybe\")",
// "<field>:pattern". An array rule ("array<string>", "array<int>",
// "array<float>", "array<bool>") takes arrays whose every element has that
// type and holds each element to the range, allowed values and pattern. A
// nested value (an object: record.h NestedJson) in a field no rule covers
// is a finding of its own, "<field>:nested({...})".
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "validators/check_util.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using check_util::FindField;
using check_util::FormatFixed;
using check_util::FormatNumber;
using check_util::HasRuleType;
using check_util::Percent;

struct CompiledRule {
  const FieldRule* rule;
  std::shared_ptr<const Pattern> pattern;  // null: no pattern
  int64_t wrong_type = 0, out_of_range = 0, not_allowed = 0, pattern_mismatch = 0;
};

class FieldTypesValidator : public Validator {
 public:
  const char* name() const override { return "field_types"; }

  Status OnBeginRun() override {
    findings_ = std::make_unique<check_util::SplitFindings>(suite().max_findings);
    rules_.clear();
    ruled_fields_.clear();
    nested_.clear();
    for (const FieldRule& rule : suite().field_rules) {
      CompiledRule c;
      c.rule = &rule;
      if (!rule.pattern.empty()) c.pattern = rule.compiled_pattern;
      if (!rule.pattern.empty() && (c.pattern == nullptr || c.pattern->source() != rule.pattern)) {
        // A rule built or changed in code after loading.
        auto compiled = Pattern::Compile(rule.pattern);
        if (!compiled.ok()) {
          return InvalidArgument("field_types: the pattern of field '" + rule.field +
                                 "' in suite '" + suite().name + "' is " +
                                 compiled.status().message() + ": " + rule.pattern);
        }
        c.pattern = std::move(compiled).value();
      }
      rules_.push_back(std::move(c));
      ruled_fields_.insert(rule.field);
    }
    return Status::Ok();
  }

  Status BeginGroup(const GroupContext&) override {
    old_problems_.Clear();
    return Status::Ok();
  }

  // The old records are judged by the same rules, so that a violation the
  // old record (same id) already had is told apart as pre-existing.
  Status OnOldPage(const GroupContext&, const RecordBatch& page, size_t) override {
    for (size_t i = 0; i < page.size(); ++i) {
      for (CompiledRule& c : rules_) {
        const MetadataValue* value = FindField(page.metadata(i), c.rule->field);
        if (value == nullptr || std::holds_alternative<std::monostate>(*value)) continue;
        std::string problem = Check(c, *value, /*count=*/false);
        if (!problem.empty()) {
          old_problems_.Note(page.id(i), ProblemKey(c.rule->field + ":" + problem));
        }
      }
      for (const std::string& problem : NestedProblems(page.metadata(i), /*count=*/false)) {
        old_problems_.Note(page.id(i), ProblemKey(problem));
      }
    }
    return Status::Ok();
  }

  Status OnNewPage(const GroupContext& group, const RecordBatch& page,
                   const JoinedPage& joined) override {
    for (size_t i = 0; i < page.size(); ++i) {
      ++records_;
      bool introduced = false, preexisting = false;
      for (CompiledRule& c : rules_) {
        const MetadataValue* value = FindField(page.metadata(i), c.rule->field);
        if (value == nullptr || std::holds_alternative<std::monostate>(*value)) continue;
        std::string problem = Check(c, *value);
        if (problem.empty()) continue;
        problem = c.rule->field + ":" + problem;
        // Pre-existing: the old record already broke this field's rule the
        // same way (a changed value is the content check's finding).
        const bool pre = joined.old[i] != nullptr &&
                         old_problems_.Had(page.id(i), ProblemKey(problem));
        (pre ? preexisting : introduced) = true;
        findings_->Add(pre, group.target, page.id(i), problem);
      }
      for (const std::string& problem : NestedProblems(page.metadata(i), /*count=*/true)) {
        const bool pre = joined.old[i] != nullptr &&
                         old_problems_.Had(page.id(i), ProblemKey(problem));
        (pre ? preexisting : introduced) = true;
        findings_->Add(pre, group.target, page.id(i), problem);
      }
      if (introduced) {
        ++violating_records_;
        faults_.Mark(group, joined.old[i]);
      } else if (preexisting) {
        ++preexisting_records_;
      }
    }
    return Status::Ok();
  }

  Result<CheckResult> Finish() override {
    CheckResult r;
    r.name = name();
    r.title = title();
    const FieldTypeThresholds& t = suite().field_types;
    const double pct = check_util::JudgeBadRecords(
        suite().pre_existing, t.warn_percent, t.fail_percent, violating_records_,
        preexisting_records_, records_, "records breaking a field rule because of the migration",
        &r);
    r.metrics["preexisting_records"] = preexisting_records_;
    r.metrics["records"] = records_;
    r.metrics["violating_records"] = violating_records_;
    r.metrics["violation_percentage"] = pct;
    // Only the fields and counters that are not zero.
    nlohmann::json fields = nlohmann::json::object();
    for (const CompiledRule& c : rules_) {
      nlohmann::json counts = nlohmann::json::object();
      if (c.wrong_type) counts["wrong_type"] = c.wrong_type;
      if (c.out_of_range) counts["out_of_range"] = c.out_of_range;
      if (c.not_allowed) counts["not_allowed"] = c.not_allowed;
      if (c.pattern_mismatch) counts["pattern_mismatch"] = c.pattern_mismatch;
      if (!counts.empty()) fields[c.rule->field] = counts;
    }
    for (const auto& [field, n] : nested_) fields[field]["nested"] = n;
    r.metrics["fields"] = fields;
    r.summary = std::to_string(violating_records_) + " of " + std::to_string(records_) +
                " records break a field rule (" + FormatFixed(pct, 3) + " %, " +
                std::to_string(rules_.size()) + " rules)";
    if (preexisting_records_ > 0) {
      r.summary += "; " + std::to_string(preexisting_records_) +
                   " more already broke it in the old store";
    }
    if (r.status == CheckStatus::kFail) r.failed_collections = faults_.ToVector();
    findings_->MoveTo(r);
    return r;
  }

 private:
  // The problem with `value` under rule `c`, or "" when it complies. An
  // array's elements are each held to the rule's range, allowed values and
  // pattern.
  static std::string Check(CompiledRule& c, const MetadataValue& value, bool count = true) {
    const FieldRule& rule = *c.rule;
    if (!rule.type.empty() && !HasRuleType(value, rule.type)) {
      if (count) ++c.wrong_type;
      return "wrong_type(" + rule.type + " expected, got " + MetadataTypeName(value) + ")";
    }
    if (const auto* array = std::get_if<MetadataArray>(&value)) {
      for (const MetadataScalar& e : *array) {
        std::string problem = CheckScalar(c, ScalarToValue(e), count);
        if (!problem.empty()) return problem;
      }
      return "";
    }
    return CheckScalar(c, value, count);
  }

  static std::string CheckScalar(CompiledRule& c, const MetadataValue& value, bool count) {
    const FieldRule& rule = *c.rule;
    if (rule.min || rule.max) {
      double number = 0;
      bool numeric = true;
      if (const auto* i = std::get_if<int64_t>(&value)) {
        number = static_cast<double>(*i);
      } else if (const auto* d = std::get_if<double>(&value)) {
        number = *d;
      } else {
        numeric = false;
      }
      if (numeric && (std::isnan(number) || (rule.min && number < *rule.min) ||
                      (rule.max && number > *rule.max))) {
        if (count) ++c.out_of_range;
        return "out_of_range(" + Render(value) + ")";
      }
    }
    if (!rule.allowed.empty()) {
      const auto* s = std::get_if<std::string>(&value);
      std::string text = s != nullptr ? *s : MetadataValueToString(value);
      if (std::find(rule.allowed.begin(), rule.allowed.end(), text) == rule.allowed.end()) {
        if (count) ++c.not_allowed;
        return "not_allowed(" + MetadataValueToString(value) + ")";
      }
    }
    if (c.pattern != nullptr) {
      const auto* s = std::get_if<std::string>(&value);
      std::string text = s != nullptr ? *s : MetadataValueToString(value);
      if (!c.pattern->FullMatch(text)) {
        if (count) ++c.pattern_mismatch;
        return "pattern";
      }
    }
    return "";
  }

  // "<field>:nested(<json>)" for each value that is nested JSON (an object,
  // or an array holding more than scalars) in a field no rule covers (a
  // rule's type already says "got nested"): vecgate reads such a record
  // rather than stop, and says here that its value is one no check can
  // judge and Chroma cannot hold.
  std::vector<std::string> NestedProblems(const std::optional<Metadata>& metadata, bool count) {
    std::vector<std::string> out;
    if (!metadata) return out;
    for (const auto& [key, value] : *metadata) {
      const auto* nested = std::get_if<NestedJson>(&value);
      if (nested == nullptr || ruled_fields_.count(key) != 0) continue;
      std::string text = nested->json;
      if (text.size() > 60) text = text.substr(0, 57) + "...";
      out.push_back(key + ":nested(" + text + ")");
      if (count) ++nested_[key];
    }
    return out;
  }

  // "field:kind" without the value: out_of_range(61.7) and out_of_range(61.8)
  // are the same problem of the same field.
  static std::string ProblemKey(const std::string& problem) {
    return problem.substr(0, problem.find('('));
  }

  static std::string Render(const MetadataValue& value) {
    if (const auto* d = std::get_if<double>(&value)) return FormatNumber(*d);
    return MetadataValueToString(value);
  }

  std::unique_ptr<check_util::SplitFindings> findings_;
  check_util::OldProblems old_problems_;
  int64_t preexisting_records_ = 0;
  std::vector<CompiledRule> rules_;
  std::set<std::string> ruled_fields_;
  std::map<std::string, int64_t> nested_;  // nested values per field
  int64_t records_ = 0;
  int64_t violating_records_ = 0;
  check_util::FaultSources faults_;
};

}  // namespace

std::unique_ptr<Validator> NewFieldTypesValidator() {
  return std::make_unique<FieldTypesValidator>();
}

}  // namespace vecgate
