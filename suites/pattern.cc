#include "suites/pattern.h"

#include <re2/re2.h>

#include <utility>

namespace vecgate {

namespace {
// Patterns are short; a pattern whose program needs more than this is
// refused at load rather than slowing every value it meets.
constexpr int64_t kMaxPatternMemory = 8 << 20;
constexpr size_t kMaxPatternLength = 4096;
}  // namespace

Pattern::Pattern(std::string source, std::unique_ptr<re2::RE2> re)
    : source_(std::move(source)), re_(std::move(re)) {}

Pattern::~Pattern() = default;

Result<std::shared_ptr<const Pattern>> Pattern::Compile(const std::string& source) {
  if (source.size() > kMaxPatternLength) {
    return InvalidArgument("the pattern is " + std::to_string(source.size()) +
                           " characters long; at most " +
                           std::to_string(kMaxPatternLength) + " are accepted");
  }
  re2::RE2::Options options;
  options.set_log_errors(false);  // the error goes into the Status instead
  options.set_max_mem(kMaxPatternMemory);
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  // Whole-value match: an unanchored RE2 plus FullMatch anchors both ends,
  // so user anchors (^...$) are harmless.
  auto re = std::make_unique<re2::RE2>(source, options);
  if (!re->ok()) {
    std::string why = re->error();
    if (re->error_code() == re2::RE2::ErrorBadPerlOp ||
        re->error_code() == re2::RE2::ErrorBadNamedCapture ||
        re->error_code() == re2::RE2::ErrorBadEscape) {
      why += " (backreferences and lookaround are not supported: patterns use "
             "RE2 syntax, matched in linear time)";
    }
    return InvalidArgument("not a valid regular expression: " + why);
  }
  return std::shared_ptr<const Pattern>(new Pattern(source, std::move(re)));
}

bool Pattern::FullMatch(std::string_view text) const {
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace vecgate
