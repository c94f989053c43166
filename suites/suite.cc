// Suite loading: turns a suite file (JSON, format in docs/suite-format.md) into a
// validated Suite, and provides the built-in default suite.
//
// Validation is strict so that a typo never silently weakens a gate: unknown
// keys, duplicate keys, wrong types and out-of-range values are errors. Every
// error names the file, the JSON path ("$.thresholds.count.tolerance") or the
// line and column of a syntax error, what is wrong and what is expected.
// nlohmann_json exceptions are caught here and never leave this file.
#include "suites/suite.h"

#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include "core/env.h"
#include "suites/checks.h"

namespace vecgate {
namespace {

// Ordered so that field rules keep the order of the file.
using Json = nlohmann::ordered_json;

// The keys of "checks" and "thresholds": every check in the catalogue.
std::vector<std::string_view> CheckNames() {
  std::vector<std::string_view> names;
  for (const CheckInfo& c : AllChecks()) names.push_back(c.name);
  return names;
}

// Upper bounds of the numbers that size memory or work, so that a typo such
// as "k": 1e12 is refused at load instead of exhausting memory mid-run. Each
// is far above what a gate needs. (Those of check thresholds are in their
// tables, suites/checks.cc.)
constexpr int64_t kMaxK = 10000;                   // neighbours per query
constexpr int64_t kMaxQuerySample = 100000;        // sampled query vectors
constexpr int64_t kMaxFindingsListed = 100000;
// Suite files are small: bytes and JSON nesting are bounded before parsing.
constexpr size_t kMaxSuiteBytes = 16 << 20;
constexpr size_t kMaxSuiteDepth = 32;

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// A short rendering of a JSON value for "got ..." in messages.
std::string Describe(const Json& j) {
  std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  if (j.is_object()) return "an object " + text;
  if (j.is_array()) return "an array " + text;
  return text;
}

bool IsIdentifier(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// "$.a" + "b" -> "$.a.b"; keys that are not identifiers are quoted.
std::string Child(const std::string& path, const std::string& key) {
  if (IsIdentifier(key)) return path + "." + key;
  return path + "[" +
         Json(key).dump(-1, ' ', false, Json::error_handler_t::replace) + "]";
}

std::string Child(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string Directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Resolves `file` relative to the directory of the suite file.
std::string ResolveRelative(const std::string& origin,
                            const std::string& file) {
  if (file.empty() || file[0] == '/') return file;
  std::string dir = Directory(origin);
  if (dir.empty()) return file;
  return dir == "/" ? "/" + file : dir + "/" + file;
}

// The suite name used when the file does not give one: its file stem.
std::string StemOf(const std::string& origin) {
  size_t slash = origin.rfind('/');
  std::string base =
      slash == std::string::npos ? origin : origin.substr(slash + 1);
  size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? "default" : base;
}

// The value of an integer or number threshold, for rules between keys.
double AsNumber(const ThresholdValue& value) {
  if (const int64_t* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  return std::get<double>(value);
}

bool IsEmptyList(const ThresholdValue& value) {
  if (const auto* ints = std::get_if<std::vector<int64_t>>(&value)) return ints->empty();
  if (const auto* strings = std::get_if<std::vector<std::string>>(&value)) {
    return strings->empty();
  }
  return false;
}

// Reads one suite. Each method returns InvalidArgument naming the origin and
// the JSON path on the first problem found.
class SuiteParser {
 public:
  explicit SuiteParser(std::string origin) : origin_(std::move(origin)) {}

  Status Error(const std::string& path, const std::string& what) const {
    return InvalidArgument("suite " + origin_ + ": " + path + ": " + what);
  }

  // Rejects a value that is not an object or has keys outside `allowed`.
  Status CheckObject(const Json& j, const std::string& path,
                     const std::vector<std::string_view>& allowed) const {
    if (!j.is_object()) {
      return Error(path, "expected an object, got " + Describe(j));
    }
    for (const auto& item : j.items()) {
      bool known = false;
      for (std::string_view name : allowed) known = known || item.key() == name;
      if (known) continue;
      std::string message = "unknown key \"" + item.key() + "\"";
      std::string best;
      size_t best_distance = 3;  // suggest only close matches
      for (std::string_view name : allowed) {
        size_t d = EditDistance(item.key(), std::string(name));
        if (d < best_distance) best = name, best_distance = d;
      }
      if (!best.empty()) {
        message += "; did you mean \"" + best + "\"?";
      } else {
        message += "; expected one of: ";
        bool first = true;
        for (std::string_view name : allowed) {
          message += (first ? "" : ", ") + std::string(name);
          first = false;
        }
      }
      return Error(Child(path, item.key()), message);
    }
    return Status::Ok();
  }

  Status Number(const Json& j, const std::string& path, double min, double max,
                double* out) const {
    if (!j.is_number() || !std::isfinite(j.get<double>()) ||
        j.get<double>() < min || j.get<double>() > max) {
      std::string range;
      const double inf = std::numeric_limits<double>::infinity();
      if (min == -inf && max == inf) {
        range = "a number";
      } else if (max == inf) {
        range = "a number >= " + FormatNumber(min);
      } else {
        range = "a number between " + FormatNumber(min) + " and " +
                FormatNumber(max);
      }
      return Error(path, "expected " + range + ", got " + Describe(j));
    }
    *out = j.get<double>();
    return Status::Ok();
  }

  Status Integer(const Json& j, const std::string& path, int64_t min,
                 int64_t* out) const {
    bool ok = false;
    int64_t value = 0;
    if (j.is_number_unsigned()) {
      uint64_t u = j.get<uint64_t>();
      ok = u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
      value = static_cast<int64_t>(u);
    } else if (j.is_number_integer()) {
      ok = true;
      value = j.get<int64_t>();
    } else if (j.is_number_float()) {
      double d = j.get<double>();
      ok = std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15;
      if (ok) value = static_cast<int64_t>(d);  // cast only what fits (UB otherwise)
    }
    if (!ok || value < min) {
      return Error(path, "expected an integer >= " + std::to_string(min) +
                             ", got " + Describe(j));
    }
    *out = value;
    return Status::Ok();
  }

  // An integer in [min, max]; `why`, when given, says what the upper bound
  // protects.
  Status Integer(const Json& j, const std::string& path, int64_t min,
                 int64_t max, std::string_view why, int64_t* out) const {
    int64_t value = 0;
    RETURN_IF_ERROR(Integer(j, path, min, &value));
    if (value > max) {
      return Error(path, "expected an integer between " + std::to_string(min) +
                             " and " + std::to_string(max) +
                             (why.empty() ? "" : " (" + std::string(why) + ")") +
                             ", got " + Describe(j));
    }
    *out = value;
    return Status::Ok();
  }

  Status Unsigned(const Json& j, const std::string& path, uint64_t* out) const {
    if (j.is_number_unsigned()) {
      *out = j.get<uint64_t>();
      return Status::Ok();
    }
    int64_t value = 0;
    RETURN_IF_ERROR(Integer(j, path, 0, &value));
    *out = static_cast<uint64_t>(value);
    return Status::Ok();
  }

  Status Bool(const Json& j, const std::string& path, bool* out) const {
    if (!j.is_boolean()) {
      return Error(path, "expected true or false, got " + Describe(j));
    }
    *out = j.get<bool>();
    return Status::Ok();
  }

  Status String(const Json& j, const std::string& path, bool allow_empty,
                std::string* out) const {
    if (!j.is_string() || (!allow_empty && j.get<std::string>().empty())) {
      return Error(path,
                   std::string(allow_empty ? "expected a string"
                                           : "expected a non-empty string") +
                       ", got " + Describe(j));
    }
    *out = j.get<std::string>();
    return Status::Ok();
  }

  // A list of distinct non-empty strings.
  Status StringList(const Json& j, const std::string& path,
                    std::vector<std::string>* out) const {
    if (!j.is_array()) {
      return Error(path, "expected an array of strings, got " + Describe(j));
    }
    std::vector<std::string> values;
    std::set<std::string> seen;
    for (size_t i = 0; i < j.size(); ++i) {
      std::string value;
      RETURN_IF_ERROR(String(j[i], Child(path, i), false, &value));
      if (!seen.insert(value).second) {
        return Error(Child(path, i), "\"" + value + "\" is listed twice");
      }
      values.push_back(std::move(value));
    }
    *out = std::move(values);
    return Status::Ok();
  }

  Status Parse(const Json& root, Suite* suite) const;

 private:
  Status ParseFieldRules(const Json& j, const std::string& path,
                         Suite* suite) const;
  Status ParseMappings(const Json& j, const std::string& path,
                       Suite* suite) const;
  Status ParseThresholds(const Json& j, const std::string& path,
                         Suite* suite) const;
  Status ParseCheckThresholds(const Json& j, const std::string& path,
                              const ThresholdTable& table, Suite* suite) const;
  Status ParseThreshold(const Json& j, const std::string& path,
                        const ThresholdKey& key, ThresholdValue* out) const;
  Status CheckThresholdRule(const std::string& path, const ThresholdRule& rule,
                            const ThresholdTable& table, const Suite& suite) const;
  Status ParseQueries(const Json& j, const std::string& path,
                      Suite* suite) const;
  Status ParseChecks(const Json& j, const std::string& path,
                     Suite* suite) const;
  Status LoadRegistryFile(const std::string& path, Suite* suite) const;

  std::string origin_;
};

Status SuiteParser::Parse(const Json& root, Suite* suite) const {
  const std::string path = "$";
  RETURN_IF_ERROR(
      CheckObject(root, path,
                  {"$schema", "name", "description", "required_fields",
                   "field_rules", "mappings", "strict_collections",
                   "thresholds", "queries", "citation_registry",
                   "citation_registry_file", "checks", "max_findings",
                   "pre_existing", "id_mapping", "reads"}));
  suite->name = StemOf(origin_);
  if (root.contains("$schema")) {
    std::string ignored;
    RETURN_IF_ERROR(
        String(root["$schema"], Child(path, "$schema"), true, &ignored));
  }
  if (root.contains("name")) {
    RETURN_IF_ERROR(
        String(root["name"], Child(path, "name"), false, &suite->name));
  }
  if (root.contains("description")) {
    RETURN_IF_ERROR(String(root["description"], Child(path, "description"),
                           true, &suite->description));
  }
  if (root.contains("required_fields")) {
    RETURN_IF_ERROR(StringList(root["required_fields"],
                               Child(path, "required_fields"),
                               &suite->required_fields));
  }
  if (root.contains("field_rules")) {
    RETURN_IF_ERROR(ParseFieldRules(root["field_rules"],
                                    Child(path, "field_rules"), suite));
  }
  if (root.contains("mappings")) {
    RETURN_IF_ERROR(
        ParseMappings(root["mappings"], Child(path, "mappings"), suite));
  }
  if (root.contains("strict_collections")) {
    RETURN_IF_ERROR(Bool(root["strict_collections"],
                         Child(path, "strict_collections"),
                         &suite->strict_collections));
  }
  if (root.contains("thresholds")) {
    RETURN_IF_ERROR(
        ParseThresholds(root["thresholds"], Child(path, "thresholds"), suite));
  }
  if (root.contains("queries")) {
    RETURN_IF_ERROR(
        ParseQueries(root["queries"], Child(path, "queries"), suite));
  }
  if (root.contains("citation_registry")) {
    RETURN_IF_ERROR(StringList(root["citation_registry"],
                               Child(path, "citation_registry"),
                               &suite->citation_registry));
  }
  if (root.contains("citation_registry_file")) {
    std::string file;
    std::string file_path = Child(path, "citation_registry_file");
    RETURN_IF_ERROR(
        String(root["citation_registry_file"], file_path, false, &file));
    suite->citation_registry_file = ResolveRelative(origin_, file);
    RETURN_IF_ERROR(LoadRegistryFile(file_path, suite));
  }
  if (root.contains("checks")) {
    RETURN_IF_ERROR(ParseChecks(root["checks"], Child(path, "checks"), suite));
  }
  if (root.contains("max_findings")) {
    RETURN_IF_ERROR(Integer(root["max_findings"], Child(path, "max_findings"),
                            0, kMaxFindingsListed, "ids listed per check",
                            &suite->max_findings));
  }
  if (root.contains("id_mapping")) {
    const Json& m = root["id_mapping"];
    const std::string p = Child(path, "id_mapping");
    RETURN_IF_ERROR(CheckObject(m, p, {"old", "new"}));
    for (const char* side : {"old", "new"}) {
      if (!m.contains(side)) continue;
      std::string spec;
      RETURN_IF_ERROR(String(m[side], Child(p, side), false, &spec));
      auto parsed = ParseIdMapping(spec);
      if (!parsed.ok()) return Error(Child(p, side), parsed.status().message());
      (std::string(side) == "old" ? suite->old_id : suite->new_id) = std::move(parsed).value();
    }
  }
  if (root.contains("reads")) {
    const Json& r = root["reads"];
    const std::string p = Child(path, "reads");
    RETURN_IF_ERROR(CheckObject(r, p, {"settle_seconds", "live"}));
    if (r.contains("settle_seconds")) {
      RETURN_IF_ERROR(Number(r["settle_seconds"], Child(p, "settle_seconds"), 0, 86400,
                             &suite->reads.settle_seconds));
    }
    if (r.contains("live")) {
      RETURN_IF_ERROR(Bool(r["live"], Child(p, "live"), &suite->reads.live));
    }
  }
  if (root.contains("pre_existing")) {
    const Json& v = root["pre_existing"];
    const std::string p = Child(path, "pre_existing");
    std::string policy;
    RETURN_IF_ERROR(String(v, p, false, &policy));
    if (policy == "ignore") {
      suite->pre_existing = PreExistingPolicy::kIgnore;
    } else if (policy == "warn") {
      suite->pre_existing = PreExistingPolicy::kWarn;
    } else if (policy == "fail") {
      suite->pre_existing = PreExistingPolicy::kFail;
    } else {
      return Error(p, "expected \"ignore\", \"warn\" or \"fail\", got \"" + policy +
                          "\"");
    }
  }
  return Status::Ok();
}

Status SuiteParser::ParseFieldRules(const Json& j, const std::string& path,
                                    Suite* suite) const {
  if (!j.is_object()) {
    return Error(path, "expected an object mapping field names to rules, got " +
                           Describe(j));
  }
  std::vector<FieldRule> rules;
  for (const auto& item : j.items()) {
    const std::string rule_path = Child(path, item.key());
    const Json& r = item.value();
    RETURN_IF_ERROR(CheckObject(r, rule_path,
                                {"type", "min", "max", "allowed", "pattern"}));
    FieldRule rule;
    rule.field = item.key();
    if (rule.field.empty()) return Error(rule_path, "field name is empty");
    static const char* const kTypes =
        "\"string\", \"int\", \"float\", \"bool\", \"array<string>\", "
        "\"array<int>\", \"array<float>\", \"array<bool>\"";
    if (!r.contains("type")) {
      return Error(Child(rule_path, "type"),
                   std::string("missing; expected one of ") + kTypes);
    }
    const Json& type = r["type"];
    auto known = [](const std::string& t) {
      return t == "string" || t == "int" || t == "float" || t == "bool";
    };
    const std::string type_text = type.is_string() ? type.get<std::string>() : "";
    // The element type of an array rule ("array<int>" -> "int").
    const std::string element =
        type_text.size() > 7 && type_text.compare(0, 6, "array<") == 0 &&
                type_text.back() == '>'
            ? type_text.substr(6, type_text.size() - 7)
            : type_text;
    if (!type.is_string() || !known(element)) {
      return Error(Child(rule_path, "type"),
                   std::string("expected one of ") + kTypes + ", got " +
                       Describe(type));
    }
    rule.type = type_text;
    // Range, allowed values and pattern apply to an array's elements.
    const bool numeric = element == "int" || element == "float";
    const double inf = std::numeric_limits<double>::infinity();
    for (const char* bound : {"min", "max"}) {
      if (!r.contains(bound)) continue;
      if (!numeric) {
        return Error(Child(rule_path, bound),
                     "only int and float fields have a range; this field is " +
                         rule.type);
      }
      double value = 0;
      RETURN_IF_ERROR(
          Number(r[bound], Child(rule_path, bound), -inf, inf, &value));
      (std::string(bound) == "min" ? rule.min : rule.max) = value;
    }
    if (rule.min && rule.max && *rule.min > *rule.max) {
      return Error(Child(rule_path, "max"), "max (" + FormatNumber(*rule.max) +
                                                ") is below min (" +
                                                FormatNumber(*rule.min) + ")");
    }
    for (const char* key : {"allowed", "pattern"}) {
      if (r.contains(key) && element != "string") {
        return Error(Child(rule_path, key),
                     "only string fields have \"" + std::string(key) +
                         "\"; this field is " + rule.type);
      }
    }
    if (r.contains("allowed")) {
      RETURN_IF_ERROR(
          StringList(r["allowed"], Child(rule_path, "allowed"), &rule.allowed));
      if (rule.allowed.empty()) {
        return Error(Child(rule_path, "allowed"),
                     "expected at least one allowed value (omit the key to "
                     "allow any string)");
      }
    }
    if (r.contains("pattern")) {
      const std::string pattern_path = Child(rule_path, "pattern");
      RETURN_IF_ERROR(String(r["pattern"], pattern_path, false, &rule.pattern));
      if (!rule.pattern.empty()) {
        auto compiled = Pattern::Compile(rule.pattern);
        if (!compiled.ok()) {
          return Error(pattern_path,
                       compiled.status().message() + ": " + Describe(r["pattern"]));
        }
        rule.compiled_pattern = std::move(compiled).value();
      }
    }
    rules.push_back(std::move(rule));
  }
  suite->field_rules = std::move(rules);
  return Status::Ok();
}

Status SuiteParser::ParseMappings(const Json& j, const std::string& path,
                                  Suite* suite) const {
  if (!j.is_array()) {
    return Error(path,
                 "expected an array of {\"sources\": [...], \"target\": "
                 "...} objects, got " +
                     Describe(j));
  }
  std::vector<CollectionMapping> mappings;
  std::map<std::string, size_t> target_at;  // target -> mapping index
  std::map<std::string, size_t> source_at;  // source -> mapping index
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string mpath = Child(path, i);
    const Json& m = j[i];
    RETURN_IF_ERROR(CheckObject(
        m, mpath, {"sources", "source", "target", "expected_count"}));
    CollectionMapping mapping;
    if (m.contains("sources") && m.contains("source")) {
      return Error(mpath, "give either \"source\" or \"sources\", not both");
    }
    if (m.contains("sources")) {
      RETURN_IF_ERROR(
          StringList(m["sources"], Child(mpath, "sources"), &mapping.sources));
      if (mapping.sources.empty()) {
        return Error(Child(mpath, "sources"),
                     "expected at least one old collection name");
      }
    } else if (m.contains("source")) {
      std::string source;
      RETURN_IF_ERROR(
          String(m["source"], Child(mpath, "source"), false, &source));
      mapping.sources.push_back(std::move(source));
    } else {
      return Error(mpath,
                   "missing \"sources\" (old collection names) or "
                   "\"source\" (one old collection name)");
    }
    if (!m.contains("target")) {
      return Error(Child(mpath, "target"),
                   "missing; expected the new collection's name");
    }
    RETURN_IF_ERROR(
        String(m["target"], Child(mpath, "target"), false, &mapping.target));
    if (m.contains("expected_count")) {
      int64_t count = 0;
      RETURN_IF_ERROR(Integer(m["expected_count"],
                              Child(mpath, "expected_count"), 0, &count));
      mapping.expected_count = count;
    }
    auto [t, new_target] = target_at.emplace(mapping.target, i);
    if (!new_target) {
      return Error(Child(mpath, "target"),
                   "target \"" + mapping.target +
                       "\" is already the target of " + Child(path, t->second) +
                       "; list all its sources in one mapping");
    }
    for (size_t k = 0; k < mapping.sources.size(); ++k) {
      const std::string& source = mapping.sources[k];
      auto [s, new_source] = source_at.emplace(source, i);
      if (!new_source) {
        std::string source_path = m.contains("sources")
                                      ? Child(Child(mpath, "sources"), k)
                                      : Child(mpath, "source");
        return Error(source_path, "source \"" + source +
                                      "\" is already mapped by " +
                                      Child(path, s->second) +
                                      "; an old collection goes to one target");
      }
    }
    mappings.push_back(std::move(mapping));
  }
  suite->mappings = std::move(mappings);
  return Status::Ok();
}

Status SuiteParser::ParseThresholds(const Json& j, const std::string& path,
                                    Suite* suite) const {
  RETURN_IF_ERROR(CheckObject(j, path, CheckNames()));
  for (const CheckInfo& check : AllChecks()) {
    const std::string name(check.name);
    if (!j.contains(name)) continue;
    RETURN_IF_ERROR(
        ParseCheckThresholds(j[name], Child(path, name), check.thresholds, suite));
  }
  return Status::Ok();
}

// One check's object: its keys in table order, then its rules, so that a rule
// sees the suite's final values whichever of its keys the file gives.
Status SuiteParser::ParseCheckThresholds(const Json& j, const std::string& path,
                                         const ThresholdTable& table,
                                         Suite* suite) const {
  std::vector<std::string_view> names;
  for (const ThresholdKey& key : table.keys) names.push_back(key.key);
  RETURN_IF_ERROR(CheckObject(j, path, names));
  for (const ThresholdKey& key : table.keys) {
    const std::string name(key.key);
    if (!j.contains(name)) continue;
    ThresholdValue value;
    RETURN_IF_ERROR(ParseThreshold(j[name], Child(path, name), key, &value));
    key.set(*suite, std::move(value));
  }
  for (const ThresholdRule& rule : table.rules) {
    RETURN_IF_ERROR(CheckThresholdRule(path, rule, table, *suite));
  }
  return Status::Ok();
}

Status SuiteParser::ParseThreshold(const Json& j, const std::string& path,
                                   const ThresholdKey& key,
                                   ThresholdValue* out) const {
  const ThresholdRange& range = key.range;
  // Integer bounds are declared as doubles; every one declared is integral
  // and far inside int64_t.
  const int64_t int_min = std::isfinite(range.min)
                              ? static_cast<int64_t>(range.min)
                              : std::numeric_limits<int64_t>::min();
  const int64_t int_max = std::isfinite(range.max)
                              ? static_cast<int64_t>(range.max)
                              : std::numeric_limits<int64_t>::max();
  switch (key.kind) {
    case ThresholdKind::kBool: {
      bool value = false;
      RETURN_IF_ERROR(Bool(j, path, &value));
      *out = value;
      return Status::Ok();
    }
    case ThresholdKind::kInteger: {
      int64_t value = 0;
      RETURN_IF_ERROR(Integer(j, path, int_min, int_max, range.max_reason, &value));
      *out = value;
      return Status::Ok();
    }
    case ThresholdKind::kNumber: {
      double value = 0;
      RETURN_IF_ERROR(Number(j, path, range.min, range.max, &value));
      if (range.above_min && value <= range.min) {
        const std::string unit = key.unit.empty() ? "" : " of " + std::string(key.unit);
        return Error(path, "expected a number" + unit + " above " +
                               FormatNumber(range.min) + ", got " + Describe(j));
      }
      *out = value;
      return Status::Ok();
    }
    case ThresholdKind::kString: {
      std::string value;
      RETURN_IF_ERROR(String(j, path, false, &value));
      *out = std::move(value);
      return Status::Ok();
    }
    case ThresholdKind::kIntegerList: {
      if (!j.is_array()) {
        return Error(path, "expected an array of integers >= " + std::to_string(int_min) +
                               ", got " + Describe(j));
      }
      std::vector<int64_t> values;
      for (size_t i = 0; i < j.size(); ++i) {
        int64_t value = 0;
        RETURN_IF_ERROR(
            Integer(j[i], Child(path, i), int_min, int_max, range.max_reason, &value));
        if (std::find(values.begin(), values.end(), value) != values.end()) {
          return Error(Child(path, i), std::to_string(value) + " is listed twice");
        }
        values.push_back(value);
      }
      *out = std::move(values);
      return Status::Ok();
    }
    case ThresholdKind::kStringList: {
      std::vector<std::string> values;
      RETURN_IF_ERROR(StringList(j, path, &values));
      *out = std::move(values);
      return Status::Ok();
    }
  }
  return Error(path, "has a kind this loader does not know");
}

Status SuiteParser::CheckThresholdRule(const std::string& path,
                                       const ThresholdRule& rule,
                                       const ThresholdTable& table,
                                       const Suite& suite) const {
  const ThresholdKey* key = table.Find(rule.key);
  const ThresholdKey* other = table.Find(rule.other);
  if (key == nullptr || other == nullptr) {
    // A table that names a key it does not declare; suite_test.cc catches it.
    return Error(path, "threshold rule names an undeclared key");
  }
  const std::string key_name(rule.key);
  const std::string other_name(rule.other);
  const ThresholdValue value = key->get(suite);
  const ThresholdValue other_value = other->get(suite);
  switch (rule.kind) {
    case ThresholdRule::Kind::kNotAbove: {
      const double low = AsNumber(value);
      const double high = AsNumber(other_value);
      if (low > high) {
        return Error(Child(path, key_name),
                     key_name + " (" + FormatNumber(low) + ") must not be above " +
                         other_name + " (" + FormatNumber(high) + ")" +
                         std::string(rule.reason));
      }
      return Status::Ok();
    }
    case ThresholdRule::Kind::kNonEmptyWhen: {
      if (IsEmptyList(value) && std::get<bool>(other_value)) {
        return Error(Child(path, key_name), "is empty but " + other_name +
                                                " is true" + std::string(rule.reason));
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status SuiteParser::ParseQueries(const Json& j, const std::string& path,
                                 Suite* suite) const {
  RETURN_IF_ERROR(CheckObject(
      j, path, {"file", "sample_count", "k", "seed", "self_retrieval_sample"}));
  QuerySource& q = suite->queries;
  if (j.contains("file")) {
    std::string file;
    const std::string p = Child(path, "file");
    RETURN_IF_ERROR(String(j["file"], p, false, &file));
    q.queries_file = ResolveRelative(origin_, file);
    if (!Env::Default()->FileExists(q.queries_file)) {
      return Error(p, "queries file " + q.queries_file +
                          " does not exist (a relative path is resolved "
                          "against the suite file's folder)");
    }
  }
  if (j.contains("sample_count")) {
    RETURN_IF_ERROR(Integer(j["sample_count"], Child(path, "sample_count"), 0,
                            kMaxQuerySample, "query vectors held in memory",
                            &q.sample_count));
  }
  if (q.sample_count == 0 && q.queries_file.empty()) {
    return Error(Child(path, "sample_count"),
                 "is 0 and no queries file is given, so there would be no "
                 "queries; set sample_count >= 1 or give \"file\"");
  }
  if (j.contains("k")) {
    RETURN_IF_ERROR(Integer(j["k"], Child(path, "k"), 1, kMaxK,
                            "neighbours kept per query", &q.k));
  }
  if (j.contains("seed")) {
    RETURN_IF_ERROR(Unsigned(j["seed"], Child(path, "seed"), &q.seed));
  }
  if (j.contains("self_retrieval_sample")) {
    RETURN_IF_ERROR(Integer(j["self_retrieval_sample"],
                            Child(path, "self_retrieval_sample"), 0,
                            kMaxQuerySample, "records queried for themselves",
                            &q.self_retrieval_sample));
  }
  return Status::Ok();
}

Status SuiteParser::ParseChecks(const Json& j, const std::string& path,
                                Suite* suite) const {
  RETURN_IF_ERROR(CheckObject(j, path, CheckNames()));
  for (const auto& item : j.items()) {
    bool enabled = true;
    RETURN_IF_ERROR(Bool(item.value(), Child(path, item.key()), &enabled));
    suite->enabled_checks[item.key()] = enabled;
  }
  return Status::Ok();
}

Status SuiteParser::LoadRegistryFile(const std::string& path,
                                     Suite* suite) const {
  const std::string& file = suite->citation_registry_file;
  Result<std::string> text = Env::Default()->ReadFile(file);
  if (!text.ok()) {
    return Error(path, "cannot read citation registry " + file + " (" +
                           text.status().message() +
                           "); a relative path is resolved against the suite "
                           "file's folder");
  }
  std::set<std::string> seen(suite->citation_registry.begin(),
                             suite->citation_registry.end());
  size_t start = 0;
  const std::string& data = *text;
  while (start < data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string::npos) end = data.size();
    std::string line = data.substr(start, end - start);
    start = end + 1;
    const char* space = " \t\r";
    size_t first = line.find_first_not_of(space);
    if (first == std::string::npos) continue;
    line = line.substr(first, line.find_last_not_of(space) - first + 1);
    if (line[0] == '#') continue;  // comment
    if (seen.insert(line).second) suite->citation_registry.push_back(line);
  }
  return Status::Ok();
}

// Rejects duplicate keys, which nlohmann would otherwise resolve silently by
// keeping the last one. Tracks the JSON path while parsing.
class DuplicateKeyDetector {
 public:
  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        frames_.push_back(
            {event == Json::parse_event_t::array_start, {}, "", 0});
        break;
      case Json::parse_event_t::key: {
        Frame& top = frames_.back();
        top.last_key = parsed.get<std::string>();
        if (!top.keys.insert(top.last_key).second && duplicate_path_.empty()) {
          duplicate_path_ = Path();
        }
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        ElementDone();
        break;
      case Json::parse_event_t::value:
        ElementDone();
        break;
    }
    return true;
  }

  // The path of the first duplicate key, or "" when there was none.
  const std::string& duplicate_path() const { return duplicate_path_; }

 private:
  struct Frame {
    bool is_array;
    std::set<std::string> keys;
    std::string last_key;
    size_t index;  // elements completed, for arrays
  };

  void ElementDone() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().index;
  }

  std::string Path() const {
    std::string path = "$";
    for (const Frame& f : frames_) {
      path = f.is_array ? Child(path, f.index) : Child(path, f.last_key);
    }
    return path;
  }

  std::vector<Frame> frames_;
  std::string duplicate_path_;
};

// "[json.exception.parse_error.101] parse error at line 1, column 2: what"
// -> "what".
std::string StripNlohmannPrefix(const std::string& message) {
  size_t colon = message.find(": ");
  if (message.rfind("[json.exception", 0) == 0 && colon != std::string::npos) {
    return message.substr(colon + 2);
  }
  return message;
}


// "LINE:COLUMN" (1-based) of byte `offset` of `text`.
std::string LineColumn(const std::string& text, size_t offset) {
  size_t line = 1;
  size_t column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

}  // namespace

bool Suite::IsEnabled(const std::string& check) const {
  auto it = enabled_checks.find(check);
  if (it != enabled_checks.end()) return it->second;
  if (check == "query_performance" && query_performance.enabled) return true;
  const CheckInfo* info = FindCheckInfo(check);
  return info == nullptr || info->on_by_default;
}

Result<Suite> ParseSuite(const std::string& json_text,
                         const std::string& origin) {
  if (json_text.size() > kMaxSuiteBytes) {
    return InvalidArgument("suite " + origin + ": " + std::to_string(json_text.size()) +
                           " bytes; a suite file is at most " +
                           std::to_string(kMaxSuiteBytes) +
                           " bytes (keep long citation registries in "
                           "citation_registry_file)");
  }
  if (size_t deep = JsonTooDeepAt(json_text, kMaxSuiteDepth); deep != std::string::npos) {
    return InvalidArgument("suite " + origin + ":" + LineColumn(json_text, deep) +
                           ": nests arrays and objects deeper than " +
                           std::to_string(kMaxSuiteDepth) +
                           " levels; a suite needs at most 5");
  }
  Json root;
  DuplicateKeyDetector detector;
  try {
    root = Json::parse(json_text, std::ref(detector));
  } catch (const Json::parse_error& e) {
    // e.byte is the 1-based offset of the last byte read.
    size_t offset =
        std::min<size_t>(e.byte == 0 ? 0 : e.byte - 1, json_text.size());
    size_t line = 1;
    size_t column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (json_text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return InvalidArgument("suite " + origin + ":" + std::to_string(line) +
                           ":" + std::to_string(column) + ": not valid JSON: " +
                           StripNlohmannPrefix(e.what()));
  } catch (const std::exception& e) {
    return InvalidArgument("suite " + origin +
                           ": cannot parse: " + StripNlohmannPrefix(e.what()));
  }
  if (!detector.duplicate_path().empty()) {
    return InvalidArgument("suite " + origin + ": " +
                           detector.duplicate_path() +
                           ": key appears twice; remove one of them");
  }
  Suite suite = DefaultSuite();
  SuiteParser parser(origin);
  try {
    RETURN_IF_ERROR(parser.Parse(root, &suite));
  } catch (const std::exception& e) {
    // Every access above is type-checked first; this is a safety net.
    return InvalidArgument("suite " + origin + ": " +
                           StripNlohmannPrefix(e.what()));
  }
  return suite;
}

namespace {

std::optional<std::array<uint8_t, 16>> ParseUuid(const std::string& text) {
  std::array<uint8_t, 16> out = {};
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (v < 0 || n >= 32) return std::nullopt;
    out[n / 2] = static_cast<uint8_t>(n % 2 == 0 ? v << 4 : out[n / 2] | v);
    ++n;
  }
  if (n != 32) return std::nullopt;
  return out;
}

}  // namespace

Result<IdMapping> ParseIdMapping(const std::string& spec) {
  IdMapping m;
  m.spec = spec;
  const std::string forms =
      " (expected \"id\", \"metadata.KEY\" or \"uuid5:NAMESPACE\", NAMESPACE a uuid or one of "
      "dns, url, oid, x500)";
  if (spec == "id") return m;
  if (spec.rfind("metadata.", 0) == 0) {
    m.kind = IdMapping::Kind::kMetadata;
    m.key = spec.substr(9);
    if (m.key.empty()) return InvalidArgument("id mapping '" + spec + "' names no key" + forms);
    return m;
  }
  if (spec.rfind("uuid5:", 0) == 0) {
    m.kind = IdMapping::Kind::kUuid5;
    std::string ns = spec.substr(6);
    static const std::map<std::string, std::string> kRfc4122 = {
        {"dns", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
        {"url", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"},
        {"oid", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"},
        {"x500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"}};
    auto named = kRfc4122.find(ns);
    auto uuid = ParseUuid(named != kRfc4122.end() ? named->second : ns);
    if (!uuid) {
      return InvalidArgument("id mapping '" + spec + "': '" + ns + "' is not a uuid" + forms);
    }
    m.ns = *uuid;
    return m;
  }
  return InvalidArgument("unknown id mapping '" + spec + "'" + forms);
}

Result<Suite> LoadSuite(const std::string& path) {
  Env* env = Env::Default();
  if (!env->FileExists(path)) {
    return NotFound("suite file " + path + " does not exist");
  }
  // Refuse a huge file (a path mix-up) before reading it.
  Result<uint64_t> size = env->FileSize(path);
  if (size.ok() && *size > kMaxSuiteBytes) {
    return InvalidArgument("suite " + path + ": " + std::to_string(*size) +
                           " bytes; a suite file is at most " +
                           std::to_string(kMaxSuiteBytes) + " bytes");
  }
  Result<std::string> text = env->ReadFile(path);
  if (!text.ok()) return text.status().WithContext("reading suite " + path);
  ASSIGN_OR_RETURN(Suite suite, ParseSuite(*text, path));
  suite.path = path;
  return suite;
}

const char* PreExistingPolicyName(PreExistingPolicy p) {
  switch (p) {
    case PreExistingPolicy::kIgnore: return "ignore";
    case PreExistingPolicy::kWarn: return "warn";
    case PreExistingPolicy::kFail: return "fail";
  }
  return "ignore";
}

Suite DefaultSuite() {
  Suite suite;
  suite.name = "seeds";
  suite.description =
      "The 12-field metadata schema of the fixture corpus with the default "
      "thresholds of every check (docs/checks.md); identity mapping of collections.";
  suite.required_fields = {"source",   "source_file",        "source_line",
                           "author",   "collection_type",    "category",
                           "language", "authenticity_score", "confidence_level",
                           "disputed", "if_citation_uri",    "chunk_index"};

  auto rule = [](std::string field, std::string type) {
    FieldRule r;
    r.field = std::move(field);
    r.type = std::move(type);
    return r;
  };
  FieldRule source_line = rule("source_line", "int");
  source_line.min = 1;
  FieldRule collection_type = rule("collection_type", "string");
  collection_type.allowed = {"personality", "rhetorical", "humor", "corpus"};
  FieldRule language = rule("language", "string");
  language.pattern = "^[a-z]{2}$";
  FieldRule authenticity = rule("authenticity_score", "float");
  authenticity.min = 0;
  authenticity.max = 1;
  FieldRule confidence = rule("confidence_level", "string");
  confidence.allowed = {"high", "medium", "low"};
  FieldRule citation = rule("if_citation_uri", "string");
  citation.pattern = R"(^if://[a-z0-9_-]+/\S+$)";
  FieldRule chunk_index = rule("chunk_index", "int");
  chunk_index.min = 0;

  suite.field_rules = {rule("source", "string"),
                       rule("source_file", "string"),
                       source_line,
                       rule("author", "string"),
                       collection_type,
                       rule("category", "string"),
                       language,
                       authenticity,
                       confidence,
                       rule("disputed", "bool"),
                       citation,
                       chunk_index};
  for (FieldRule& r : suite.field_rules) {
    if (!r.pattern.empty()) r.compiled_pattern = Pattern::Compile(r.pattern).value();
  }
  return suite;
}

}  // namespace vecgate
