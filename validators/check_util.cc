// Helpers shared by the checks: decisions, fault sources, formatting, and
// the bottom-k sample.
#include "validators/check_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

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

}  // namespace check_util
}  // namespace vecgate
