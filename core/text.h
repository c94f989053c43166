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
//   RedactCredentials(s) the credentials a URI can carry, wherever they stand
//                    in `s`: user:PASSWORD@ and the values of query
//                    parameters that hold secrets (password, sslpassword,
//                    passphrases, tokens, API keys) become "***"
//   DumpJson(j, indent) nlohmann dump that replaces invalid UTF-8 instead of
//                    throwing type_error 316
//   ParseJsonBounded(text, where)  nlohmann parse of outside JSON, its nesting
//                    bounded first: the one way vecgate parses such JSON into
//                    an nlohmann DOM
#ifndef VECGATE_CORE_TEXT_H_
#define VECGATE_CORE_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace vecgate {

// Deepest JSON nesting accepted from a server, a store file, an archive, a
// manifest or a journal. Chroma's answers nest four or five levels, records
// three; 64 leaves room for configuration objects while a hostile "[[[[..."
// cannot drive a parser (or nlohmann's recursive dump and copy) deep.
inline constexpr size_t kMaxJsonDepth = 64;

bool IsValidUtf8(std::string_view s);
std::string ToValidUtf8(std::string_view s);
std::string Printable(std::string_view s, bool one_line = false);
std::string Redact(std::string text, const std::vector<std::string>& secrets);
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// True for a URI query parameter name that carries a secret: names holding
// "password", "passwd", "passphrase", "secret", "token", "apikey",
// "api_key" or "api-key", and "pass", "pwd", "auth" (any case, after
// %-decoding). "sslkey" (a path) and "user" are not secrets.
bool IsCredentialParameter(std::string_view name);
// `text` (a URI, an error message, a report line) with every credential a
// URI in it may carry replaced by "***": the password of
// "scheme://user:PASSWORD@host" and the value of each NAME=VALUE whose
// NAME IsCredentialParameter (the value ends at '&', ';', whitespace, a
// quote, '#', ')' or the end). Everything else is unchanged. Applied to
// every store description, error, report, manifest, journal and audit line.
std::string RedactCredentials(std::string_view text);
// `status` with its message made safe to print: RedactCredentials, then
// Printable (newlines and tabs kept). The code is unchanged.
Status ShowableStatus(const Status& status);

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

// Parses JSON that came from outside (a file, an archive member, a server's
// answer, a store's configuration) into an nlohmann DOM. The nesting is
// bounded by a pre-scan (JsonTooDeepAt) before nlohmann sees the text:
// nlohmann's DOM is copied, compared and dumped recursively, so "[[[[..."
// 100,000 deep overflows the stack (exit 139) in whatever touches it next.
// Corruption "WHERE: ..." naming the byte where the nesting goes too deep,
// or the parse error, followed by `what_to_do` when it is not empty. Never
// throws.
Result<nlohmann::json> ParseJsonBounded(std::string_view text, const std::string& where,
                                        const std::string& what_to_do = "",
                                        size_t max_depth = kMaxJsonDepth);

// Where two texts first differ, for showing a change to a person: the
// offset in characters (UTF-8 code points) of the first difference, and a
// bounded snippet of each side around it (`context` characters before and
// after, "..." where cut). Equal texts give offset npos and empty snippets.
struct TextDifference {
  size_t offset = std::string::npos;
  std::string old_snippet;
  std::string new_snippet;
};
TextDifference FirstDifference(std::string_view old_text, std::string_view new_text,
                               size_t context = 40);

}  // namespace vecgate

#endif  // VECGATE_CORE_TEXT_H_
