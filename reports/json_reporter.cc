// The machine-readable report, validation_report.json.
//
// Keys keep a fixed order (nlohmann::ordered_json) so that reports diff
// cleanly between runs. The layout is versioned by "schema_version"; a field
// is only ever added, never renamed or given a new meaning, without bumping
// it. Strings from stores are kept verbatim except that invalid UTF-8 is
// replaced by U+FFFD, so the file is always valid JSON.
//
// "overall_status" is the gate's effective verdict (PASSED, WARNING, FAILED,
// ERROR) and always agrees with "exit_code"; "fail_on" and "notes" say why
// when a warning failed the gate. An ERROR report (exit 3) has no checks and
// an "error" object saying what could not be read.
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reports/report.h"
#include "reports/report_text.h"

namespace vecgate {
namespace {

using Json = nlohmann::ordered_json;

// Elapsed times to the millisecond: finer digits are noise.
double Seconds(double seconds) { return std::round(seconds * 1000.0) / 1000.0; }

Json NullIfEmpty(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Json FindingsToJson(const std::vector<Finding>& list) {
  Json findings = Json::array();
  for (const Finding& f : list) {
    Json finding;
    finding["collection"] = f.collection;
    finding["id"] = f.id;
    finding["problem"] = f.problem;
    if (!f.field.empty()) finding["field"] = f.field;
    if (!f.kind.empty()) finding["kind"] = f.kind;
    if (!f.old_value.empty() || !f.new_value.empty()) {
      finding["old"] = f.old_value;
      finding["new"] = f.new_value;
    }
    if (f.offset >= 0) finding["offset"] = f.offset;
    findings.push_back(std::move(finding));
  }
  return findings;
}

Json CheckToJson(const CheckResult& check) {
  Json j;
  j["name"] = check.name;
  j["title"] = check.title;
  j["status"] = CheckStatusName(check.status);
  j["summary"] = check.summary;
  j["metrics"] = Json(check.metrics);
  j["findings"] = FindingsToJson(check.findings);
  const int64_t listed = static_cast<int64_t>(check.findings.size());
  j["findings_total"] = std::max(check.findings_total, listed);
  j["findings_truncated"] = check.findings_total > listed;
  j["failed_collections"] = check.failed_collections;
  Json criteria = Json::array();
  for (const Criterion& c : check.criteria) {
    Json criterion;
    criterion["what"] = c.what;
    criterion["observed"] = c.observed;
    criterion["limit"] = c.limit;
    criterion["status"] = CheckStatusName(c.status);
    criteria.push_back(std::move(criterion));
  }
  j["criteria"] = std::move(criteria);
  j["per_collection"] = check.per_collection.is_array() ? Json(check.per_collection)
                                                         : Json::array();
  j["preexisting_findings"] = FindingsToJson(check.preexisting_findings);
  j["preexisting_total"] = std::max(check.preexisting_total,
                                    static_cast<int64_t>(check.preexisting_findings.size()));
  j["rollback_reason"] = NullIfEmpty(check.rollback_reason);
  j["elapsed_seconds"] = Seconds(check.elapsed_seconds);
  return j;
}

class JsonReporter : public Reporter {
 public:
  std::string format() const override { return "json"; }
  std::string extension() const override { return ".json"; }

  std::string Render(const ValidationReport& report) const override {
    Json j;
    j["schema_version"] = ValidationReport::kSchemaVersion;
    j["tool"] = {{"name", "vecgate"}, {"version", report.tool_version}};
    j["started_at"] = report.started_at;
    j["elapsed_seconds"] = Seconds(report.elapsed_seconds);
    j["old_store"] = report.old_store;
    j["new_store"] = report.new_store;
    j["suite"] = {{"name", report.suite_name},
                  {"path", NullIfEmpty(report.suite_path)}};
    j["overall_status"] = OverallStatusName(report.overall_status);
    j["fail_on"] = report.fail_on_warning ? "warning" : "failure";
    j["notes"] = report.notes;
    j["read_consistency"] = report.read_consistency;
    if (report.overall_status == OverallStatus::kError) {
      j["error"] = {{"message", report.error}, {"hint", NullIfEmpty(report.error_hint)}};
    } else {
      j["error"] = nullptr;
    }
    // "triggered": the verdict recommends a rollback; "performed": one ran
    // and restored the store.
    j["rollback_triggered"] = report.rollback_triggered;
    j["rollback_performed"] = RollbackPerformed(report);
    j["rollback_reason"] = NullIfEmpty(report.rollback_reason);
    j["data_loss_percentage"] = report.data_loss_percentage;
    j["semantic_divergence_percentage"] = report.semantic_divergence_percentage;
    j["records"] = {{"old", report.old_records}, {"new", report.new_records}};

    int64_t passed = 0, warnings = 0, failed = 0;
    Json checks = Json::array();
    for (const CheckResult& check : report.checks) {
      passed += check.status == CheckStatus::kPass;
      warnings += check.status == CheckStatus::kWarn;
      failed += check.status == CheckStatus::kFail;
      checks.push_back(CheckToJson(check));
    }
    j["summary"] = {{"total_tests", static_cast<int64_t>(report.checks.size())},
                    {"passed", passed},
                    {"warnings", warnings},
                    {"failed", failed}};
    j["checks"] = std::move(checks);

    if (report.rollback) {
      const RollbackOutcome& r = *report.rollback;
      j["rollback"] = {{"snapshot_id", r.snapshot_id},
                       {"dry_run", r.dry_run},
                       {"succeeded", r.succeeded},
                       {"collections", r.collections},
                       {"message", r.message},
                       {"elapsed_seconds", Seconds(r.elapsed_seconds)}};
    } else {
      j["rollback"] = nullptr;
    }
    j["exit_code"] = report.exit_code;
    // NaN/Inf become null; invalid UTF-8 becomes U+FFFD: never throws.
    return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  }
};

}  // namespace

std::unique_ptr<Reporter> NewJsonReporter() {
  return std::make_unique<JsonReporter>();
}

}  // namespace vecgate
