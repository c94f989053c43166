// Pattern: a suite's regular expression (field_rules[].pattern), compiled
// once when the suite loads and matched in time linear in the text.
//
// The syntax is RE2's: the familiar Perl/ECMAScript subset (classes, \d \s \w
// \S, anchors, groups, alternation, counted repetition up to 1000) without
// backreferences and lookaround, which cannot be matched in linear time. A
// pattern must match the whole value (as if wrapped in ^(?:...)$), so
// `^[a-z]{2}$` and `[a-z]{2}` mean the same. Text is UTF-8; a character class
// matches one code point. The RE2 header stays out of this one.
#ifndef VECGATE_SUITES_PATTERN_H_
#define VECGATE_SUITES_PATTERN_H_

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace re2 {
class RE2;
}

namespace vecgate {

class Pattern {
 public:
  // Compiles `source`. A pattern RE2 does not take (bad syntax,
  // backreference, lookaround, too large) is InvalidArgument with RE2's
  // reason, e.g. "invalid perl operator: (?<".
  static Result<std::shared_ptr<const Pattern>> Compile(const std::string& source);

  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  // True when the whole of `text` matches. Safe from several threads.
  bool FullMatch(std::string_view text) const;
  const std::string& source() const { return source_; }

 private:
  Pattern(std::string source, std::unique_ptr<re2::RE2> re);
  std::string source_;
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace vecgate

#endif  // VECGATE_SUITES_PATTERN_H_
