// The CI report, validation_report.junit.xml.
//
// One <testcase> per check so that CI systems (Jenkins, GitLab, GitHub
// test-report actions) show the gate natively. The failures follow the
// gate's verdict: FAIL is a <failure type="FAIL">; WARN is a
// <failure type="WARN"> when warnings fail this gate (--fail-on warning),
// and otherwise a <skipped message="WARN ..."> so that it is visible but not
// a failure. A run that could not complete (ERROR, exit 3) is one test case
// "run" with an <error>. Messages carry the threshold that decided the
// check; bodies the summary, thresholds, per-collection rows, metrics and
// findings by problem. Everything is XML-escaped, and characters XML 1.0 cannot carry are
// dropped, so damaged ids never make the file unparseable.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/text.h"
#include "reports/report.h"
#include "reports/report_text.h"

namespace vecgate {
namespace {

using report_text::XmlEscape;

std::string Attr(const std::string& name, const std::string& value) {
  return " " + name + "=\"" + XmlEscape(value, /*attribute=*/true) + "\"";
}

std::string Time(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", seconds < 0 ? 0.0 : seconds);
  return buf;
}

// The text body of a test case: summary, thresholds, per collection,
// findings by problem, problems already in the old store.
std::string Details(const CheckResult& check) {
  using report_text::OneLine;
  std::string text = OneLine(check.summary) + "\n";
  for (const Criterion& c : check.criteria) {
    text += std::string("threshold ") + CheckStatusName(c.status) + ": " +
            report_text::CriterionText(c) + "\n";
  }
  if (!check.failed_collections.empty()) {
    text += "collections at fault:";
    for (const auto& c : check.failed_collections) text += " " + OneLine(c);
    text += "\n";
  }
  if (check.per_collection.is_array()) {
    for (const auto& row : check.per_collection) {
      text += "per collection: " + DumpJson(row) + "\n";
    }
  }
  if (check.metrics.is_object() && !check.metrics.empty()) {
    text += "metrics: " + DumpJson(check.metrics) + "\n";
  }
  auto findings = [&](const char* label, const std::vector<Finding>& list, int64_t total) {
    const int64_t listed = static_cast<int64_t>(list.size());
    total = std::max(total, listed);
    if (total == 0) return;
    text += std::string(label) + ": " + std::to_string(total) + " records";
    if (total > listed) text += " (" + std::to_string(listed) + " listed)";
    text += "\n";
    for (const auto& group : report_text::GroupByProblem(list)) {
      text += "  " + OneLine(group.problem) + ": " + std::to_string(group.findings.size()) +
              (group.findings.size() == 1 ? " record:" : " records:");
      for (const Finding* f : group.findings) {
        text += " " + (f->collection.empty() ? std::string() : OneLine(f->collection) + "/") +
                (f->id.empty() ? std::string("-") : report_text::Printable(f->id));
      }
      text += "\n";
    }
  };
  findings("findings", check.findings, check.findings_total);
  findings("already in the old store (not caused by this migration)",
           check.preexisting_findings, check.preexisting_total);
  return text;
}

// The one line a CI widget shows: status, the threshold that decided it,
// the summary.
std::string Message(const std::string& prefix, const CheckResult& check) {
  std::string text = prefix;
  auto deciding = report_text::DecidingCriteria(check);
  if (!deciding.empty()) text += report_text::CriterionText(*deciding.front()) + "; ";
  return text + report_text::OneLine(check.summary);
}

class JUnitReporter : public Reporter {
 public:
  std::string format() const override { return "junit"; }
  std::string extension() const override { return ".junit.xml"; }

  std::string Render(const ValidationReport& r) const override {
    const bool error = r.overall_status == OverallStatus::kError;
    // WARN checks are failures when warnings fail this gate.
    const bool warn_fails = r.fail_on_warning && r.overall_status == OverallStatus::kFailed;
    int64_t failures = 0, skipped = 0;
    for (const CheckResult& c : r.checks) {
      failures += c.status == CheckStatus::kFail || (warn_fails && c.status == CheckStatus::kWarn);
      skipped += !warn_fails && c.status == CheckStatus::kWarn;
    }
    const std::string tests = std::to_string(error ? 1 : r.checks.size());
    const std::string counts = Attr("tests", tests) +
                               Attr("failures", std::to_string(failures)) +
                               Attr("errors", error ? "1" : "0") +
                               Attr("time", Time(r.elapsed_seconds));

    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += "<testsuites" + Attr("name", "vecgate") + counts + ">\n";
    xml += "  <testsuite" + Attr("name", "vecgate") + counts +
           Attr("skipped", std::to_string(skipped)) + Attr("timestamp", r.started_at) + ">\n";
    xml += "    <properties>\n";
    auto property = [&](const std::string& name, const std::string& value) {
      xml += "      <property" + Attr("name", name) + Attr("value", value) + "/>\n";
    };
    property("overall_status", OverallStatusName(r.overall_status));
    property("fail_on", r.fail_on_warning ? "warning" : "failure");
    for (const std::string& note : r.notes) property("note", note);
    property("rollback_triggered", r.rollback_triggered ? "true" : "false");
    property("rollback_performed", RollbackPerformed(r) ? "true" : "false");
    property("rollback_reason", r.rollback_reason);
    property("data_loss_percentage", nlohmann::json(r.data_loss_percentage).dump());
    property("semantic_divergence_percentage",
             nlohmann::json(r.semantic_divergence_percentage).dump());
    property("old_store", r.old_store);
    property("new_store", r.new_store);
    property("suite", r.suite_name);
    property("tool_version", r.tool_version);
    property("exit_code", std::to_string(r.exit_code));
    if (error) property("error", r.error);
    if (r.rollback) {
      property("rollback_snapshot", r.rollback->snapshot_id);
      property("rollback_result", r.rollback->dry_run     ? "dry_run"
                                  : r.rollback->succeeded ? "succeeded"
                                                          : "failed");
    }
    xml += "    </properties>\n";

    // CI viewers split the class name on dots into a package tree: a store
    // URI (127.0.0.1, db.example.com) there would become a dozen levels. The
    // stores are properties of the suite above.
    // "vecgate.validation", "vecgate.bench": the kind of report.
    const std::string classname = "vecgate." + r.file_base.substr(0, r.file_base.find('_'));
    if (error) {
      // One test case that errored: nothing was decided.
      std::string body = r.error + "\n";
      if (!r.error_hint.empty()) body += "what to do: " + r.error_hint + "\n";
      xml += "    <testcase" + Attr("classname", classname) + Attr("name", "run") +
             Attr("time", Time(r.elapsed_seconds)) + ">\n";
      xml += "      <error" + Attr("message", "ERROR: could not complete: " + r.error) +
             Attr("type", "ERROR") + ">" + XmlEscape(body, false) + "</error>\n";
      xml += "    </testcase>\n";
    }
    for (const CheckResult& c : r.checks) {
      xml += "    <testcase" + Attr("classname", classname) + Attr("name", c.name) +
             Attr("time", Time(c.elapsed_seconds)) + ">\n";
      const std::string details = Details(c);
      if (c.status == CheckStatus::kFail) {
        xml += "      <failure" + Attr("message", Message("FAIL: ", c)) + Attr("type", "FAIL") +
               ">" + XmlEscape(details, false) + "</failure>\n";
      } else if (c.status == CheckStatus::kWarn && warn_fails) {
        xml += "      <failure" +
               Attr("message", Message("WARN (fails this gate: --fail-on warning): ", c)) +
               Attr("type", "WARN") + ">" + XmlEscape(details, false) + "</failure>\n";
      } else if (c.status == CheckStatus::kWarn) {
        // JUnit has no warning state: shown as skipped, so that CI widgets
        // show it apart from the passes, with a message starting "WARN".
        xml += "      <skipped" +
               Attr("message", Message("WARN (not a failure; review before cutover): ", c)) +
               "/>\n";
        xml += "      <system-out>" + XmlEscape("WARN: " + details, false) +
               "</system-out>\n";
      } else {
        xml += "      <system-out>" + XmlEscape("PASS: " + details, false) +
               "</system-out>\n";
      }
      xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n</testsuites>\n";
    return xml;
  }
};

}  // namespace

std::unique_ptr<Reporter> NewJUnitReporter() { return std::make_unique<JUnitReporter>(); }

}  // namespace vecgate
