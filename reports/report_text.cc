// Text helpers shared by the reporters (see report_text.h).
#include "reports/report_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "core/text.h"

namespace vecgate {
namespace report_text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr uint32_t kReplacementCodePoint = 0xFFFD;

// Calls `fn(code_point, bytes)` for each character of `text`; an invalid
// sequence (bad lead byte, truncated, overlong, surrogate, > U+10FFFF) is
// reported one byte at a time as U+FFFD.
void ForEachCodePoint(
    std::string_view text,
    const std::function<void(uint32_t, std::string_view)>& fn) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
      length = 1, cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2, cp = lead & 0x1F, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, cp = lead & 0x0F, min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, cp = lead & 0x07, min = 0x10000;
    }
    bool valid = length != 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      unsigned char c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    valid =
        valid && cp >= min && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (valid) {
      fn(cp, text.substr(i, length));
      i += length;
    } else {
      fn(kReplacementCodePoint, kReplacement);
      i += 1;
    }
  }
}

bool IsXmlChar(uint32_t cp) {
  if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
  return cp != 0xFFFE && cp != 0xFFFF;
}

std::string TrimZeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::string ValidUtf8(std::string_view text) { return ToValidUtf8(text); }

std::string XmlEscape(std::string_view text, bool attribute) {
  std::string out;
  out.reserve(text.size() + 16);
  ForEachCodePoint(text, [&](uint32_t cp, std::string_view bytes) {
    if (!IsXmlChar(cp)) return;
    switch (cp) {
      case '&':
        out += "&amp;";
        return;
      case '<':
        out += "&lt;";
        return;
      case '>':
        out += "&gt;";
        return;
      case '"':
        out += attribute ? "&quot;" : "\"";
        return;
      case '\'':
        out += attribute ? "&apos;" : "'";
        return;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        return;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        return;
      case '\r':
        out += "&#13;";
        return;
      default:
        out += bytes;
    }
  });
  return out;
}

std::string Printable(std::string_view text) {
  // The usual escapes for the common controls, \xNN for the rest.
  std::string named;
  named.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      named += "\\n";
    } else if (c == '\t') {
      named += "\\t";
    } else if (c == '\r') {
      named += "\\r";
    } else {
      named += c;
    }
  }
  return vecgate::Printable(named, /*one_line=*/true);
}

std::string MarkdownCell(std::string_view text) {
  // \r\n and \r are line breaks; other controls become visible escapes.
  std::string lines;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      lines += '\n';
    } else {
      lines += text[i];
    }
  }
  const std::string printable = vecgate::Printable(lines, /*one_line=*/false);
  std::string out;
  out.reserve(printable.size());
  for (char c : printable) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
        out += "<br>";
        break;
      case '\t':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string MarkdownCode(std::string_view text) {
  std::string body = Printable(text);
  // A fence one backtick longer than the longest run inside.
  size_t longest = 0;
  size_t run = 0;
  for (char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string escaped;
  for (char c : body) {
    if (c == '|') {
      escaped += "\\|";  // table cells split on |, even inside code spans
    } else {
      escaped += c;
    }
  }
  std::string fence(longest + 1, '`');
  bool pad =
      !escaped.empty() && (escaped.front() == '`' || escaped.back() == '`');
  if (escaped.empty()) return "` `";
  return fence + (pad ? " " : "") + escaped + (pad ? " " : "") + fence;
}

std::string OneLine(std::string_view text) {
  std::string out = vecgate::Printable(text, /*one_line=*/false);
  for (char& c : out) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return out;
}

std::string FormatCount(int64_t n) {
  uint64_t magnitude =
      n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string FormatDecimal(double v, int max_decimals) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return FormatCount(static_cast<int64_t>(v));
  }
  char buf[64];
  if (std::fabs(v) < std::pow(10.0, -max_decimals)) {
    std::snprintf(buf, sizeof(buf), "%.2g",
                  v);  // small: two significant digits
    return TrimZeros(buf);
  }
  // More decimals when rounding would show a fraction as a whole number
  // (a cosine of 0.99999994 is not 1, 99.9996 % complete is not 100 %).
  for (int decimals = max_decimals;; ++decimals) {
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    double shown = std::strtod(buf, nullptr);
    if (shown != std::floor(shown) || decimals >= 9) break;
  }
  return TrimZeros(buf);
}

std::string FormatPercent(double percent) {
  return FormatDecimal(percent, 2) + " %";
}

std::string FormatSeconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2fs", seconds);
  return buf;
}

std::string StatusBadge(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPass:
      return "\xE2\x9C\x85 PASS";  // ✅
    case CheckStatus::kWarn:
      return "\xE2\x9A\xA0\xEF\xB8\x8F WARN";  // ⚠️
    case CheckStatus::kFail:
      return "\xE2\x9D\x8C FAIL";  // ❌
  }
  return "FAIL";
}

std::string CriterionText(const Criterion& c) {
  std::string out = OneLine(c.what);
  if (!c.observed.empty()) out += ": " + OneLine(c.observed);
  if (!c.limit.empty()) out += " (" + OneLine(c.limit) + ")";
  return out;
}

std::vector<const Criterion*> DecidingCriteria(const CheckResult& check) {
  std::vector<const Criterion*> out;
  for (const Criterion& c : check.criteria) {
    if (c.status == check.status) out.push_back(&c);
  }
  if (out.empty() && !check.criteria.empty()) out.push_back(&check.criteria.front());
  return out;
}

std::vector<ProblemGroup> GroupByProblem(const std::vector<Finding>& findings) {
  std::vector<ProblemGroup> groups;
  for (const Finding& f : findings) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const ProblemGroup& g) { return g.problem == f.problem; });
    if (it == groups.end()) {
      groups.push_back({f.problem, {}});
      it = groups.end() - 1;
    }
    it->findings.push_back(&f);
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const ProblemGroup& a, const ProblemGroup& b) {
                     return a.findings.size() > b.findings.size();
                   });
  return groups;
}

std::vector<std::string> FindingCollections(const CheckResult& check) {
  std::vector<std::string> out = check.failed_collections;
  if (!out.empty()) return out;
  for (const Finding& f : check.findings) {
    if (!f.collection.empty() &&
        std::find(out.begin(), out.end(), f.collection) == out.end()) {
      out.push_back(f.collection);
    }
  }
  return out;
}

}  // namespace report_text
}  // namespace vecgate
