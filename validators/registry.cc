// The registry: one factory per check. Names, titles, report order and
// whether a check is on by default come from the catalogue
// (suites/checks.h); adding a check means its file, its catalogue entry and
// one line here.
#include <map>

#include "suites/checks.h"
#include "validators/validator.h"

namespace vecgate {
namespace {

using Factory = std::unique_ptr<Validator> (*)();

constexpr Factory kFactories[] = {
    NewCountValidator,
    NewEmbeddingIntegrityValidator,
    NewMetadataCompletenessValidator,
    NewSemanticDivergenceValidator,
    NewCollectionDistributionValidator,
    NewDuplicatesValidator,
    NewFieldTypesValidator,
    NewCitationsValidator,
    NewContentValidator,
    NewQueryPerformanceValidator,
};

}  // namespace

Result<std::vector<std::unique_ptr<Validator>>> MakeAllValidators() {
  std::map<std::string_view, std::unique_ptr<Validator>> by_name;
  for (Factory make : kFactories) {
    std::unique_ptr<Validator> v = make();
    const std::string_view name = v->name();
    if (FindCheckInfo(name) == nullptr) {
      return Internal("check '" + std::string(name) + "' is not in suites/checks.h");
    }
    if (!by_name.emplace(name, std::move(v)).second) {
      return Internal("check '" + std::string(name) + "' is registered twice");
    }
  }
  std::vector<std::unique_ptr<Validator>> all;
  for (const CheckInfo& info : AllChecks()) {
    auto it = by_name.find(info.name);
    if (it == by_name.end()) {
      return Internal("check '" + std::string(info.name) + "' has no factory");
    }
    all.push_back(std::move(it->second));
  }
  return all;
}

Result<std::vector<std::unique_ptr<Validator>>> MakeValidators(const Suite& suite) {
  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Validator>> all, MakeAllValidators());
  std::vector<std::unique_ptr<Validator>> enabled;
  for (auto& v : all) {
    if (suite.IsEnabled(v->name())) enabled.push_back(std::move(v));
  }
  return enabled;
}

}  // namespace vecgate
