// Text that came from outside (a store, a file, a server) made safe to show.
//
// Every string read from a store, file, archive or server may hold invalid
// UTF-8, terminal escape sequences or a credential a server echoed back.
// Nothing of that may reach a terminal, a report or a JSON document raw:
//
//   ToValidUtf8(s)   invalid UTF-8 sequences become U+FFFD; nothing else changes
//   Printable(s)     ToValidUtf8, then C0/C1 controls (ESC, BEL, CR, ...) and
//                    DEL shown as \xNN; newline and tab kept unless one_line
//   Redact(s, secrets)  every occurrence of a non-empty secret becomes "***"
//   DumpJson(j, indent) nlohmann dump that replaces invalid UTF-8 instead of
//                    throwing type_error 316
#ifndef VECGATE_CORE_TEXT_H_
#define VECGATE_CORE_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vecgate {

bool IsValidUtf8(std::string_view s);
std::string ToValidUtf8(std::string_view s);
std::string Printable(std::string_view s, bool one_line = false);
std::string Redact(std::string text, const std::vector<std::string>& secrets);
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// Levenshtein distance of two short strings (bytes): how many insertions,
// deletions and substitutions turn `a` into `b`. For "did you mean"
// suggestions; O(|a| x |b|) time, O(|b|) memory.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `word` by EditDistance when it is closer than
// `max_distance` (and not the whole word changed), else "". Ties go to the
// first candidate.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates,
                         size_t max_distance = 3);

// The byte offset where `text` (JSON, possibly malformed) first nests deeper
// than `max_depth` arrays and objects, or npos. Brackets inside strings do
// not count. A pre-scan that bounds nesting before a parser recurses.
size_t JsonTooDeepAt(std::string_view text, size_t max_depth);

}  // namespace vecgate

#endif  // VECGATE_CORE_TEXT_H_
