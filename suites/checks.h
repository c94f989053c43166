// The checks vecgate knows, in report order: the one list that the suite
// loader ("checks" and "thresholds" keys), the validator registry
// (validators/registry.cc), the verdict (harness/runner.cc), `vecgate bench`
// and the tests read. Each entry carries its threshold table: the suite keys
// of the check, what JSON each takes, its bounds, where it lives in Suite
// (suites/suite.h) and what it means. The loader parses, bounds-checks and
// cross-checks "thresholds" from these tables alone, and the unit tests hold
// suites/seeds.json, the JSON Schema and docs/checks.md to them.
#ifndef VECGATE_SUITES_CHECKS_H_
#define VECGATE_SUITES_CHECKS_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vecgate {

struct Suite;  // suites/suite.h

// What JSON a threshold takes. Every kind refuses any other JSON type.
enum class ThresholdKind {
  kBool,         // true or false
  kInteger,      // an integer within the range (20.0 counts as 20)
  kNumber,       // a finite number within the range
  kString,       // a non-empty string
  kIntegerList,  // an array of distinct integers, each within the range
  kStringList,   // an array of distinct non-empty strings
};

// A threshold's value: the alternative that its kind names.
using ThresholdValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                                    std::vector<std::string>>;

// Inclusive bounds of a number, an integer or each item of an integer list.
struct ThresholdRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool above_min = false;       // min itself is refused too
  std::string_view max_reason;  // what the upper bound protects, for errors
};

// One key of a check's "thresholds" object.
struct ThresholdKey {
  std::string_view key;  // "tolerance", under thresholds.count
  ThresholdKind kind;
  ThresholdRange range;      // unused by bools, strings and string lists
  std::string_view unit;     // "%", "ms", "seconds"; "" for counts and ratios
  std::string_view meaning;  // one line: docs/checks.md's table says the same
  // The value in a Suite, as a copy; and storing one of `kind`'s alternative.
  std::function<ThresholdValue(const Suite&)> get;
  std::function<void(Suite&, ThresholdValue)> set;
};

// A rule between two keys of one check, applied after all its keys are read.
// The error names `key`'s JSON path.
struct ThresholdRule {
  enum class Kind {
    kNotAbove,      // number `key` <= number `other`
    kNonEmptyWhen,  // list `key` is not empty when bool `other` is true
  };
  Kind kind;
  std::string_view key;
  std::string_view other;
  std::string_view reason;  // appended to the message, separator included
};

struct ThresholdTable {
  std::vector<ThresholdKey> keys;  // in this order in messages and docs
  std::vector<ThresholdRule> rules;

  // The key named `key`, or nullptr.
  const ThresholdKey* Find(std::string_view key) const;
};

struct CheckInfo {
  std::string_view name;   // key in suites and reports: "count"
  std::string_view title;  // heading in reports: "Record counts"
  // Why a rollback happens when this check fails, unless the check names a
  // more precise reason in its result ("Duplicate Records Introduced").
  std::string_view rollback_reason;
  bool on_by_default;         // query_performance replays queries: only on request
  ThresholdTable thresholds;  // keys of "thresholds": {NAME: {...}}
};

// Every check, in the order reports list them.
const std::vector<CheckInfo>& AllChecks();

// The check named `name`, or nullptr.
const CheckInfo* FindCheckInfo(std::string_view name);

}  // namespace vecgate

#endif  // VECGATE_SUITES_CHECKS_H_
