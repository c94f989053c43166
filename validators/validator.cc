// Shared pieces of the checks: status names, capped finding lists, hashing,
// and the list of checks in report order.
#include "validators/validator.h"

#include <xxhash.h>

#include <cstring>

namespace vecgate {

const char* CheckStatusName(CheckStatus s) {
  switch (s) {
    case CheckStatus::kPass: return "PASS";
    case CheckStatus::kWarn: return "WARN";
    case CheckStatus::kFail: return "FAIL";
  }
  return "FAIL";
}

void FindingList::Add(const std::string& collection, const std::string& id,
                      const std::string& problem) {
  ++total_;
  if (static_cast<int64_t>(findings_.size()) < cap_) {
    findings_.push_back({collection, id, problem});
  }
}

void FindingList::MoveTo(CheckResult& result) {
  result.findings_total += total_;
  for (auto& f : findings_) result.findings.push_back(std::move(f));
  findings_.clear();
  total_ = 0;
}

uint64_t HashBytes(const void* data, size_t n) {
  uint64_t h = XXH3_64bits(data, n);
  return h == 0 ? 1 : h;  // 0 means "absent" in digests
}

uint64_t HashMetadataValue(const MetadataValue& value) {
  switch (value.index()) {
    case 1: {
      const auto& s = std::get<std::string>(value);
      return HashBytes(s.data(), s.size()) ^ 0x1;
    }
    case 2: {
      int64_t v = std::get<int64_t>(value);
      return HashBytes(&v, sizeof(v)) ^ 0x2;
    }
    case 3: {
      double v = std::get<double>(value);
      return HashBytes(&v, sizeof(v)) ^ 0x3;
    }
    case 4: return std::get<bool>(value) ? 0x44 : 0x45;
  }
  return 0x55;
}

std::vector<std::unique_ptr<Validator>> MakeValidators(const Suite& suite) {
  std::vector<std::unique_ptr<Validator>> all;
  all.push_back(NewCountValidator());
  all.push_back(NewEmbeddingIntegrityValidator());
  all.push_back(NewMetadataCompletenessValidator());
  all.push_back(NewSemanticDivergenceValidator());
  all.push_back(NewCollectionDistributionValidator());
  all.push_back(NewDuplicatesValidator());
  all.push_back(NewFieldTypesValidator());
  all.push_back(NewCitationsValidator());
  all.push_back(NewQueryPerformanceValidator());  // off unless the suite enables it
  std::vector<std::unique_ptr<Validator>> enabled;
  for (auto& v : all) {
    if (suite.IsEnabled(v->name())) enabled.push_back(std::move(v));
  }
  return enabled;
}

}  // namespace vecgate
