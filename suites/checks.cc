#include "suites/checks.h"

namespace vecgate {

const std::vector<CheckInfo>& AllChecks() {
  static const std::vector<CheckInfo> checks = {
      {"count", "Record counts", "Chunk Count Mismatch", true},
      {"embedding_integrity", "Embedding integrity", "Embedding Corruption", true},
      {"metadata_completeness", "Metadata completeness", "Schema Violation", true},
      {"semantic_divergence", "Semantic divergence", "Search Results Diverged", true},
      {"collection_distribution", "Collection distribution", "Collection Distribution Mismatch",
       true},
      {"duplicates", "Duplicates", "Duplicate IDs Found", true},
      {"field_types", "Field types and values", "Field Type Violation", true},
      {"citations", "Citations", "Citation Integrity Failure", true},
      {"content", "Record content", "Content Changed", true},
      {"query_performance", "Query performance", "Query Performance Regression", false},
  };
  return checks;
}

const CheckInfo* FindCheckInfo(std::string_view name) {
  for (const CheckInfo& c : AllChecks()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace vecgate
