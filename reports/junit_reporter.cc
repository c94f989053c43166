// The CI report, validation_report.junit.xml (SPEC.md section 5).
//
// One <testcase> per check so that CI systems (Jenkins, GitLab, GitHub
// test-report actions) show the gate natively. FAIL is a <failure>; WARN is
// not a failure but carries a "WARNING" note in <system-out>, so it stays
// visible. The failure body or <system-out> has the summary, metrics and
// findings. Everything is XML-escaped, and characters XML 1.0 cannot carry are
// dropped, so damaged ids never make the file unparseable.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

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

// The text body of a test case: summary, metrics, findings.
std::string Details(const CheckResult& check) {
  std::string text = check.summary + "\n";
  if (!check.failed_collections.empty()) {
    text += "collections at fault:";
    for (const auto& c : check.failed_collections) text += " " + c;
    text += "\n";
  }
  if (check.metrics.is_object() && !check.metrics.empty()) {
    text += "metrics: " +
            check.metrics.dump(-1, ' ', false,
                               nlohmann::json::error_handler_t::replace) +
            "\n";
  }
  const int64_t listed = static_cast<int64_t>(check.findings.size());
  const int64_t total = std::max(check.findings_total, listed);
  if (total > 0) {
    text += "findings: showing " + std::to_string(listed) + " of " +
            std::to_string(total) + "\n";
    for (const Finding& f : check.findings) {
      text += "  " + (f.collection.empty() ? std::string("-") : f.collection) +
              " " +
              (f.id.empty() ? std::string("-") : report_text::Printable(f.id)) +
              ": " + f.problem + "\n";
    }
  }
  return text;
}

class JUnitReporter : public Reporter {
 public:
  std::string format() const override { return "junit"; }
  std::string file_name() const override {
    return "validation_report.junit.xml";
  }

  std::string Render(const ValidationReport& r) const override {
    int64_t failures = 0;
    for (const CheckResult& c : r.checks)
      failures += c.status == CheckStatus::kFail;
    const std::string tests = std::to_string(r.checks.size());
    const std::string counts =
        Attr("tests", tests) + Attr("failures", std::to_string(failures)) +
        Attr("errors", "0") + Attr("time", Time(r.elapsed_seconds));

    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    xml += "<testsuites" + Attr("name", "vecgate") + counts + ">\n";
    xml += "  <testsuite" + Attr("name", "vecgate") + counts +
           Attr("skipped", "0") + Attr("timestamp", r.started_at) + ">\n";
    xml += "    <properties>\n";
    auto property = [&](const std::string& name, const std::string& value) {
      xml += "      <property" + Attr("name", name) + Attr("value", value) +
             "/>\n";
    };
    property("overall_status", OverallStatusName(r.overall_status));
    property("rollback_triggered", r.rollback_triggered ? "true" : "false");
    property("rollback_reason", r.rollback_reason);
    property("data_loss_percentage",
             nlohmann::json(r.data_loss_percentage).dump());
    property("semantic_divergence_percentage",
             nlohmann::json(r.semantic_divergence_percentage).dump());
    property("old_store", r.old_store);
    property("new_store", r.new_store);
    property("suite", r.suite_name);
    property("tool_version", r.tool_version);
    property("exit_code", std::to_string(r.exit_code));
    if (r.rollback) {
      property("rollback_snapshot", r.rollback->snapshot_id);
      property("rollback_result", r.rollback->dry_run     ? "dry_run"
                                  : r.rollback->succeeded ? "succeeded"
                                                          : "failed");
    }
    xml += "    </properties>\n";

    const std::string classname = "vecgate." + r.new_store;
    for (const CheckResult& c : r.checks) {
      xml += "    <testcase" + Attr("classname", classname) +
             Attr("name", c.name) + Attr("time", Time(c.elapsed_seconds)) +
             ">\n";
      const std::string details = Details(c);
      if (c.status == CheckStatus::kFail) {
        xml += "      <failure" + Attr("message", c.summary) +
               Attr("type", "FAIL") + ">" + XmlEscape(details, false) +
               "</failure>\n";
      } else {
        std::string note =
            c.status == CheckStatus::kWarn
                ? "WARNING (not a failure; review before cutover): "
                : "PASS: ";
        xml += "      <system-out>" + XmlEscape(note + details, false) +
               "</system-out>\n";
      }
      xml += "    </testcase>\n";
    }
    xml += "  </testsuite>\n</testsuites>\n";
    return xml;
  }
};

}  // namespace

std::unique_ptr<Reporter> NewJUnitReporter() {
  return std::make_unique<JUnitReporter>();
}

}  // namespace vecgate
