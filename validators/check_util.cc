// Helpers shared by the checks: decisions, fault sources, formatting, and
// the bottom-k sample.
#include "validators/check_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/env.h"

namespace vecgate {
namespace check_util {

double Percent(int64_t part, int64_t whole) {
  if (whole <= 0) return 0.0;
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

CheckStatus StatusFromBadPercent(double percent, double warn_percent,
                                 double fail_percent) {
  if (percent <= 0) return CheckStatus::kPass;
  if (percent > fail_percent) return CheckStatus::kFail;
  if (percent > warn_percent) return CheckStatus::kWarn;
  return CheckStatus::kPass;
}

CheckStatus Worse(CheckStatus a, CheckStatus b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[40];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string FormatFixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

void FaultSources::Mark(const GroupContext& group, const OldRecordDigest* old) {
  if (old != nullptr && old->source_index < group.sources.size()) {
    names_.insert(group.sources[old->source_index]);
  } else {
    MarkGroup(group);
  }
}

void FaultSources::MarkGroup(const GroupContext& group) {
  names_.insert(group.sources.begin(), group.sources.end());
}

const MetadataValue* FindField(const std::optional<Metadata>& metadata,
                               const std::string& field) {
  if (!metadata) return nullptr;
  auto it = metadata->find(field);
  return it == metadata->end() ? nullptr : &it->second;
}

bool HasRuleType(const MetadataValue& value, const std::string& type) {
  if (std::holds_alternative<std::monostate>(value)) return false;
  if (type == "string") return std::holds_alternative<std::string>(value);
  if (type == "int") return std::holds_alternative<int64_t>(value);
  if (type == "float") {
    return std::holds_alternative<double>(value) ||
           std::holds_alternative<int64_t>(value);
  }
  if (type == "bool") return std::holds_alternative<bool>(value);
  if (type.compare(0, 6, "array<") == 0 && type.back() == '>') {
    const auto* array = std::get_if<MetadataArray>(&value);
    if (array == nullptr) return false;
    const std::string element = type.substr(6, type.size() - 7);
    for (const MetadataScalar& e : *array) {
      if (!HasRuleType(ScalarToValue(e), element)) return false;
    }
    return true;
  }
  return true;
}

bool AllFinite(const float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

void BottomKSample::Offer(const std::string& id, const float* vector) {
  if (capacity_ == 0) return;
  Entry e{HashBytes(id.data(), id.size()) ^ seed_, id, 0};
  if (entries_.size() < capacity_) {
    e.slot = entries_.size();
    vectors_.insert(vectors_.end(), vector, vector + dim_);
    entries_.push_back(std::move(e));
    std::push_heap(entries_.begin(), entries_.end(), Less);
    return;
  }
  if (!Less(e, entries_.front())) return;
  std::pop_heap(entries_.begin(), entries_.end(), Less);
  e.slot = entries_.back().slot;
  std::copy(vector, vector + dim_, vectors_.begin() + e.slot * dim_);
  entries_.back() = std::move(e);
  std::push_heap(entries_.begin(), entries_.end(), Less);
}

void BottomKSample::Take(std::vector<std::string>* ids,
                         std::vector<float>* vectors) const {
  std::vector<const Entry*> sorted;
  sorted.reserve(entries_.size());
  for (const Entry& e : entries_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const Entry* a, const Entry* b) { return Less(*a, *b); });
  ids->clear();
  vectors->clear();
  vectors->reserve(sorted.size() * dim_);
  for (const Entry* e : sorted) {
    ids->push_back(e->id);
    vectors->insert(vectors->end(), vectors_.begin() + e->slot * dim_,
                    vectors_.begin() + (e->slot + 1) * dim_);
  }
}

namespace {

Status ParseQueryVector(const nlohmann::json& j, const std::string& where,
                        std::vector<float>* out) {
  if (!j.is_array() || j.empty()) {
    return InvalidArgument(where + ": a query must be a non-empty array of numbers");
  }
  out->clear();
  for (size_t c = 0; c < j.size(); ++c) {
    const auto& v = j[c];
    if (v.is_string()) {
      return InvalidArgument(where + ": component " + std::to_string(c) + " is \"" +
                             v.get<std::string>() +
                             "\"; queries must be finite numbers (NaN and infinity are "
                             "not valid queries)");
    }
    if (!v.is_number()) {
      return InvalidArgument(where + ": component " + std::to_string(c) +
                             " is not a number");
    }
    double d = v.get<double>();
    float f = static_cast<float>(d);
    if (!std::isfinite(d) || !std::isfinite(f)) {
      return InvalidArgument(where + ": component " + std::to_string(c) +
                             " is not a finite float32 (NaN or infinity)");
    }
    out->push_back(f);
  }
  return Status::Ok();
}

}  // namespace

Result<QueryFile> LoadQueryFile(const std::string& path) {
  auto text = Env::Default()->ReadFile(path);
  if (!text.ok()) return text.status().WithContext("reading queries file " + path);
  QueryFile file;
  // One JSON array of arrays?
  nlohmann::json whole = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_discarded() && whole.is_array() && !whole.empty() && whole[0].is_array()) {
    for (size_t q = 0; q < whole.size(); ++q) {
      std::string where = path + " element " + std::to_string(q + 1);
      std::vector<float> v;
      RETURN_IF_ERROR(ParseQueryVector(whole[q], where, &v));
      file.vectors.push_back(std::move(v));
      file.labels.push_back(path + "[" + std::to_string(q + 1) + "]");
    }
    return file;
  }
  // JSON Lines: one array a line, blank lines ignored.
  std::istringstream lines(*text);
  std::string line;
  for (size_t number = 1; std::getline(lines, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path + " line " + std::to_string(number);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      return InvalidArgument(where + ": not valid JSON (expected an array of numbers; "
                             "NaN and Infinity are not JSON)");
    }
    std::vector<float> v;
    RETURN_IF_ERROR(ParseQueryVector(j, where, &v));
    file.vectors.push_back(std::move(v));
    file.labels.push_back(path + ":" + std::to_string(number));
  }
  if (file.vectors.empty()) {
    return InvalidArgument(path + ": the queries file holds no query vectors");
  }
  return file;
}

namespace {
uint64_t ProblemKey(const std::string& id, const std::string& problem) {
  uint64_t a = HashBytes(id.data(), id.size());
  uint64_t b = HashBytes(problem.data(), problem.size());
  return a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2));
}
}  // namespace

void OldProblems::Note(const std::string& id, const std::string& problem) {
  keys_.insert(ProblemKey(id, problem));
  ids_.insert(HashBytes(id.data(), id.size()));
}

bool OldProblems::Had(const std::string& id, const std::string& problem) const {
  return !keys_.empty() && keys_.count(ProblemKey(id, problem)) > 0;
}

bool OldProblems::HadAny(const std::string& id) const {
  return !ids_.empty() && ids_.count(HashBytes(id.data(), id.size())) > 0;
}

void SplitFindings::Add(bool preexisting, const std::string& collection,
                        const std::string& id, const std::string& problem) {
  (preexisting ? preexisting_ : introduced_).Add(collection, id, problem);
}

void SplitFindings::MoveTo(CheckResult& result) {
  introduced_.MoveTo(result);
  CheckResult pre;
  preexisting_.MoveTo(pre);
  result.preexisting_total += pre.findings_total;
  for (auto& f : pre.findings) result.preexisting_findings.push_back(std::move(f));
}

CheckStatus ApplyPreExisting(PreExistingPolicy policy, CheckStatus introduced,
                             CheckStatus everything, int64_t preexisting_count) {
  switch (policy) {
    case PreExistingPolicy::kIgnore: return introduced;
    case PreExistingPolicy::kWarn:
      return preexisting_count > 0 ? Worse(introduced, CheckStatus::kWarn) : introduced;
    case PreExistingPolicy::kFail: return Worse(introduced, everything);
  }
  return introduced;
}

Criterion PreExistingCriterion(PreExistingPolicy policy, const std::string& what,
                               const std::string& observed, const std::string& judged_as_new,
                               CheckStatus everything, int64_t preexisting_count) {
  Criterion c;
  c.what = what + " (pre_existing: " + PreExistingPolicyName(policy) + ")";
  c.observed = observed;
  c.limit = policy == PreExistingPolicy::kIgnore ? "not judged"
            : policy == PreExistingPolicy::kWarn ? "WARN above 0"
                                                 : judged_as_new;
  c.status = ApplyPreExisting(policy, CheckStatus::kPass, everything, preexisting_count);
  return c;
}

double JudgeBadRecords(PreExistingPolicy policy, double warn_percent, double fail_percent,
                       int64_t bad, int64_t preexisting, int64_t records,
                       const std::string& what, CheckResult* r) {
  const double pct = Percent(bad, records);
  const double all_pct = Percent(bad + preexisting, records);
  r->status = ApplyPreExisting(policy, StatusFromBadPercent(pct, warn_percent, fail_percent),
                               StatusFromBadPercent(all_pct, warn_percent, fail_percent),
                               preexisting);
  r->criteria.push_back(PercentCriterion(what, pct, warn_percent, fail_percent, bad, records));
  return pct;
}

Criterion PercentCriterion(const std::string& what, double observed_percent,
                           double warn_percent, double fail_percent, int64_t bad,
                           int64_t total) {
  Criterion c;
  c.what = what;
  c.observed = FormatFixed(observed_percent, 3) + " % (" + std::to_string(bad) + " of " +
               std::to_string(total) + ")";
  c.limit = "FAIL above " + FormatNumber(fail_percent) + " %, WARN above " +
            FormatNumber(warn_percent) + " %";
  c.status = StatusFromBadPercent(observed_percent, warn_percent, fail_percent);
  return c;
}

}  // namespace check_util
}  // namespace vecgate
