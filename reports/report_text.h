// Text helpers shared by the reporters: UTF-8 repair, escaping for Markdown
// and XML, and the number formats an operator reads (9,832; 0.03 %; 32.45s).
//
// Reports render data from stores that may be damaged, so every string from a
// store (ids, collection names, summaries quoting them) passes through one of
// these before it is written. Internal to reports/.
#ifndef VECGATE_REPORTS_REPORT_TEXT_H_
#define VECGATE_REPORTS_REPORT_TEXT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "validators/validator.h"

namespace vecgate {
namespace report_text {

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

// Text for XML 1.0 character data or attribute values: valid UTF-8, & < >
// escaped (and " ' in attributes), characters XML cannot carry (most C0
// controls, U+FFFE, U+FFFF) dropped. In attributes, tab and line breaks become
// character references so that parsers keep them.
std::string XmlEscape(std::string_view text, bool attribute);

// A value shown verbatim to a reader, on one line: valid UTF-8, control
// characters (C0, C1, DEL, line breaks) as visible escapes (core/text.h).
std::string Printable(std::string_view text);

// Plain text for one Markdown table cell or paragraph: valid UTF-8, `|`
// escaped, HTML's `<`, `>` and `&` as entities (so an id such as
// "<script>" is shown, not interpreted), line breaks as <br>, other
// controls as visible escapes.
std::string MarkdownCell(std::string_view text);
// A Markdown code span holding `text` verbatim (safe in table cells).
std::string MarkdownCode(std::string_view text);

// One line for a terminal or a plain-text block: valid UTF-8, line breaks
// and tabs as spaces, other controls as visible escapes (core/text.h).
std::string OneLine(std::string_view text);

std::string FormatCount(int64_t n);                     // 9832 -> "9,832"
std::string FormatDecimal(double v, int max_decimals);  // 4.20 -> "4.2"
std::string FormatPercent(double percent);  // "0.03 %", "0.0031 %", "0 %"
std::string FormatSeconds(double seconds);  // "32.45s"

// "✅ PASS", "⚠️ WARN", "❌ FAIL".
std::string StatusBadge(CheckStatus status);
// "what: observed (limit)", one line.
std::string CriterionText(const Criterion& c);
// The criteria that decided a check's status (those with the check's
// status; the first criterion when none has it; empty without criteria).
std::vector<const Criterion*> DecidingCriteria(const CheckResult& check);

// Findings grouped by problem, largest group first (ties keep their order).
struct ProblemGroup {
  std::string problem;
  std::vector<const Finding*> findings;
};
std::vector<ProblemGroup> GroupByProblem(const std::vector<Finding>& findings);
// The collections a check blames: failed_collections, else the distinct
// collections of its listed findings.
std::vector<std::string> FindingCollections(const CheckResult& check);

}  // namespace report_text
}  // namespace vecgate

#endif  // VECGATE_REPORTS_REPORT_TEXT_H_
