#include "core/text.h"

#include <cctype>

#include <algorithm>
#include <cstdio>

namespace vecgate {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t ValidSequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = ValidSequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ToValidUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    size_t n = ValidSequenceLength(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

std::string Printable(std::string_view s, bool one_line) {
  std::string valid = ToValidUtf8(s);
  std::string out;
  out.reserve(valid.size());
  char buf[8];
  for (size_t i = 0; i < valid.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(valid[i]);
    if ((c == '\n' || c == '\t') && !one_line) {
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else if (c == 0xC2 && i + 1 < valid.size() &&
               static_cast<unsigned char>(valid[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(valid[i + 1]) <= 0x9F) {
      // C1 controls (U+0080..U+009F), among them CSI, act like ESC sequences.
      std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned char>(valid[i + 1]));
      out += buf;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Redact(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + 3)) {
      text.replace(pos, secret.size(), "***");
    }
  }
  return text;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates,
                         size_t max_distance) {
  std::string best;
  size_t best_distance = max_distance;
  for (const std::string& candidate : candidates) {
    const size_t d = EditDistance(word, candidate);
    if (d < best_distance && d < std::max(word.size(), candidate.size())) {
      best = candidate;
      best_distance = d;
    }
  }
  return best;
}

size_t JsonTooDeepAt(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

Result<nlohmann::json> ParseJsonBounded(std::string_view text, const std::string& where,
                                        const std::string& what_to_do, size_t max_depth) {
  const std::string todo = what_to_do.empty() ? "" : "; " + what_to_do;
  if (size_t at = JsonTooDeepAt(text, max_depth); at != std::string_view::npos) {
    return Corruption(where + ": JSON nests deeper than " + std::to_string(max_depth) +
                      " levels (at byte " + std::to_string(at) +
                      "); vecgate neither writes nor reads such JSON" + todo);
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    return Corruption(where + ": not JSON (" + ToValidUtf8(e.what()) + ")" + todo);
  }
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-' || c == '.' || c == '%';
}

bool EndsValue(char c) {
  return c == '&' || c == ';' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
         c == '\'' || c == '"' || c == '#' || c == ')' || c == ',';
}

}  // namespace

bool IsCredentialParameter(std::string_view name) {
  std::string lower;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '%' && i + 2 < name.size() &&
        HexValue(name[i + 1]) >= 0 && HexValue(name[i + 2]) >= 0) {
      c = static_cast<char>(HexValue(name[i + 1]) * 16 + HexValue(name[i + 2]));
      i += 2;
    }
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const char* part : {"password", "passwd", "passphrase", "secret", "token", "apikey",
                           "api_key", "api-key"}) {
    if (lower.find(part) != std::string::npos) return true;
  }
  return lower == "pass" || lower == "pwd" || lower == "auth";
}

std::string RedactCredentials(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // scheme://user:PASSWORD@host
    if (text.compare(i, 3, "://") == 0) {
      out.append("://");
      i += 3;
      size_t end = i;
      while (end < text.size() && text[end] != '/' && text[end] != '@' &&
             text[end] != '?' && text[end] != '#' && text[end] != ' ' &&
             text[end] != '\'' && text[end] != '"' && text[end] != '\n') {
        ++end;
      }
      const size_t colon = text.find(':', i);
      if (end < text.size() && text[end] == '@' && colon < end) {
        out.append(text.substr(i, colon + 1 - i));
        out.append("***");
        i = end;  // '@' is copied next
      }
      continue;
    }
    // NAME=VALUE with a credential NAME.
    if (text[i] == '=' && i > 0) {
      size_t start = i;
      while (start > 0 && IsNameChar(text[start - 1])) --start;
      if (start < i && IsCredentialParameter(text.substr(start, i - start))) {
        out.push_back('=');
        size_t end = i + 1;
        while (end < text.size() && !EndsValue(text[end])) ++end;
        if (end > i + 1) out.append("***");
        i = end;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

Status ShowableStatus(const Status& status) {
  if (status.ok()) return status;
  return Status(status.code(), Printable(RedactCredentials(status.message())));
}

std::string DumpJson(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Byte offsets of each code point start in `text`, plus text.size().
std::vector<size_t> CodePointStarts(std::string_view text) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  starts.push_back(text.size());
  return starts;
}

std::string Snippet(std::string_view text, const std::vector<size_t>& starts, size_t at,
                    size_t context) {
  const size_t chars = starts.size() - 1;
  const size_t begin = at > context ? at - context : 0;
  const size_t end = std::min(chars, at + context);
  std::string out = begin > 0 ? "..." : "";
  out += Printable(text.substr(starts[begin], starts[end] - starts[begin]), true);
  if (end < chars) out += "...";
  return out;
}

}  // namespace

TextDifference FirstDifference(std::string_view old_text, std::string_view new_text,
                               size_t context) {
  TextDifference d;
  if (old_text == new_text) return d;
  const std::vector<size_t> a = CodePointStarts(old_text), b = CodePointStarts(new_text);
  size_t k = 0;
  while (k + 1 < a.size() && k + 1 < b.size() &&
         old_text.substr(a[k], a[k + 1] - a[k]) == new_text.substr(b[k], b[k + 1] - b[k])) {
    ++k;
  }
  d.offset = k;
  d.old_snippet = Snippet(old_text, a, k, context);
  d.new_snippet = Snippet(new_text, b, k, context);
  return d;
}

}  // namespace vecgate
