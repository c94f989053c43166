// The catalogue of checks and their threshold tables (suites/checks.h).
#include "suites/checks.h"

#include <type_traits>
#include <utility>

#include "suites/suite.h"

namespace vecgate {
namespace {

// Upper bounds of the thresholds that size memory or work, so that a typo
// such as "queries": 1e12 is refused at load instead of running for days.
// Each is far above what a gate needs.
constexpr double kMaxNearDuplicateSample = 20000;   // pairs grow with its square
constexpr double kMaxPerformanceQueries = 1000000;  // per store and collection
// Client threads of query_performance: more would only measure this machine.
constexpr double kMaxQueryConcurrency = 64;

constexpr ThresholdRange AtLeast(double min) {
  return {min, std::numeric_limits<double>::infinity(), false, {}};
}

constexpr ThresholdRange Between(double min, double max, std::string_view max_reason = {}) {
  return {min, max, false, max_reason};
}

constexpr ThresholdRange kPercent = Between(0, 100);
constexpr ThresholdRange kFraction = Between(0, 1);
constexpr ThresholdRange kCosine = Between(-1, 1);

// The JSON kind of a threshold held in a member of type V.
template <typename V>
constexpr ThresholdKind KindOf() {
  if constexpr (std::is_same_v<V, bool>) {
    return ThresholdKind::kBool;
  } else if constexpr (std::is_same_v<V, int64_t>) {
    return ThresholdKind::kInteger;
  } else if constexpr (std::is_same_v<V, double>) {
    return ThresholdKind::kNumber;
  } else if constexpr (std::is_same_v<V, std::string>) {
    return ThresholdKind::kString;
  } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
    return ThresholdKind::kIntegerList;
  } else {
    static_assert(std::is_same_v<V, std::vector<std::string>>,
                  "a threshold member is a bool, int64_t, double, std::string, "
                  "std::vector<int64_t> or std::vector<std::string>");
    return ThresholdKind::kStringList;
  }
}

// Builds one check's table. `T` is the check's thresholds struct and
// `section` where Suite holds it; each key names the member it is read
// into, so its JSON kind follows from the member's type.
template <typename T>
class TableBuilder {
 public:
  explicit TableBuilder(T Suite::*section) : section_(section) {}

  template <typename V>
  void Key(std::string_view key, V T::*member, ThresholdRange range, std::string_view unit,
           std::string_view meaning) {
    T Suite::*section = section_;
    table_.keys.push_back({key, KindOf<V>(), range, unit, meaning,
                           [section, member](const Suite& suite) {
                             return ThresholdValue(std::in_place_type<V>, (suite.*section).*member);
                           },
                           [section, member](Suite& suite, ThresholdValue value) {
                             (suite.*section).*member = std::get<V>(std::move(value));
                           }});
  }

  // A key without bounds or unit: a bool, a string or a list of strings.
  template <typename V>
  void Key(std::string_view key, V T::*member, std::string_view meaning) {
    Key(key, member, ThresholdRange{}, "", meaning);
  }

  void Rule(const ThresholdRule& rule) { table_.rules.push_back(rule); }

  // `warn_percent` and `fail_percent` of bad records, and the rule between
  // them: six checks judge a percentage twice, WARN above one and FAIL above
  // the other.
  void WarnAndFailPercent(std::string_view warn_meaning, std::string_view fail_meaning) {
    Key("warn_percent", &T::warn_percent, kPercent, "%", warn_meaning);
    Key("fail_percent", &T::fail_percent, kPercent, "%", fail_meaning);
    Rule({ThresholdRule::Kind::kNotAbove, "warn_percent", "fail_percent",
          "; a value above fail_percent already fails"});
  }

  ThresholdTable Build() { return std::move(table_); }

 private:
  T Suite::*section_;
  ThresholdTable table_;
};

ThresholdTable CountThresholdTable() {
  using T = CountThresholds;
  TableBuilder<T> t(&Suite::count);
  t.Key("tolerance", &T::tolerance, AtLeast(0), "", "more missing ids than this: FAIL");
  t.Key("data_loss_fail_percent", &T::data_loss_fail_percent, kPercent, "%",
        "data loss above this: FAIL");
  t.Key("extra_ids_fail", &T::extra_ids_fail, "extra ids WARN, or FAIL when true");
  return t.Build();
}

ThresholdTable EmbeddingThresholdTable() {
  using T = EmbeddingThresholds;
  TableBuilder<T> t(&Suite::embedding);
  t.WarnAndFailPercent("corrupt above this: WARN", "corrupt above this: FAIL");
  t.Key("allowed_dimensions", &T::allowed_dimensions, AtLeast(1), "",
        "the dimensions `require_allowed_dimension` accepts");
  t.Key("require_allowed_dimension", &T::require_allowed_dimension,
        "also require a listed dimension");
  t.Key("drift_min_cosine", &T::drift_min_cosine, kCosine, "", "drift below this cosine");
  t.Key("drift_max_abs_diff", &T::drift_max_abs_diff, AtLeast(0), "",
        "or a component difference above this");
  t.Rule({ThresholdRule::Kind::kNonEmptyWhen, "allowed_dimensions", "require_allowed_dimension",
          "; every record would fail"});
  return t.Build();
}

ThresholdTable MetadataThresholdTable() {
  using T = MetadataThresholds;
  TableBuilder<T> t(&Suite::metadata);
  t.Key("pass_percent", &T::pass_percent, kPercent, "%", "every field at least this: PASS");
  t.Key("warn_percent", &T::warn_percent, kPercent, "%", "at least this: WARN; below: FAIL");
  t.Rule({ThresholdRule::Kind::kNotAbove, "warn_percent", "pass_percent",
          ": these are minimum completeness percentages"});
  return t.Build();
}

ThresholdTable DivergenceThresholdTable() {
  using T = DivergenceThresholds;
  TableBuilder<T> t(&Suite::divergence);
  t.WarnAndFailPercent("mean divergence at or above: WARN", "at or above: FAIL");
  t.Key("min_recall", &T::min_recall, kFraction, "",
        "without an old live index: recall below this WARNs");
  t.Key("min_self_retrieval", &T::min_self_retrieval, kFraction, "",
        "without an old live index: self-retrieval below this FAILs");
  t.Key("check_live_index", &T::check_live_index, "query the new store's index where it can");
  t.Key("recall_tolerance", &T::recall_tolerance, kFraction, "",
        "new recall below old recall minus this: WARN");
  t.Key("self_retrieval_tolerance", &T::self_retrieval_tolerance, kFraction, "",
        "new self-retrieval below old minus this: FAIL");
  return t.Build();
}

ThresholdTable DistributionThresholdTable() {
  using T = DistributionThresholds;
  TableBuilder<T> t(&Suite::distribution);
  t.Key("unexpected_collections_fail", &T::unexpected_collections_fail,
        "unexpected collections WARN, or FAIL when true");
  return t.Build();
}

ThresholdTable DuplicateThresholdTable() {
  using T = DuplicateThresholds;
  TableBuilder<T> t(&Suite::duplicates);
  t.Key("check_documents", &T::check_documents, "look for identical documents");
  t.Key("check_embeddings", &T::check_embeddings, "look for identical embeddings");
  t.Key("near_duplicate_cosine", &T::near_duplicate_cosine, kCosine, "",
        "report pairs at or above this cosine (0: off)");
  t.Key("near_duplicate_sample", &T::near_duplicate_sample,
        Between(1, kMaxNearDuplicateSample, "the pairs compared grow with its square"), "",
        "records sampled per target for near-duplicates");
  t.WarnAndFailPercent("records in duplicate sets above this: WARN", "above this: FAIL");
  return t.Build();
}

ThresholdTable FieldTypeThresholdTable() {
  using T = FieldTypeThresholds;
  TableBuilder<T> t(&Suite::field_types);
  t.WarnAndFailPercent("violating records above this: WARN", "above this: FAIL");
  return t.Build();
}

ThresholdTable CitationThresholdTable() {
  using T = CitationThresholds;
  TableBuilder<T> t(&Suite::citations);
  t.Key("field", &T::field, "the metadata field");
  t.WarnAndFailPercent("bad citations above this: WARN", "above this: FAIL");
  return t.Build();
}

ThresholdTable ContentThresholdTable() {
  using T = ContentThresholds;
  TableBuilder<T> t(&Suite::content);
  t.WarnAndFailPercent("changed records above this: WARN", "above this: FAIL");
  t.Key("ignore_fields", &T::ignore_fields,
        "fields the migration is meant to change: their changes, losses and additions are "
        "not findings");
  t.Key("new_fields_allowed", &T::new_fields_allowed,
        "metadata keys old did not have may appear in new (else they WARN, per key)");
  t.Key("reembedding", &T::reembedding,
        "the migration re-embeds: dimension, distance space and embeddings may change; drift "
        "is not judged and `semantic_divergence` judges the new store's own search quality");
  t.Key("max_ulps", &T::max_ulps, Between(0, 1000000), "ulps", "doubles this close are equal");
  return t.Build();
}

ThresholdTable QueryPerformanceThresholdTable() {
  using T = QueryPerformanceThresholds;
  TableBuilder<T> t(&Suite::query_performance);
  t.Key("enabled", &T::enabled,
        "run the check in `validate` (`vecgate bench` always runs it, alone)");
  t.Key("max_mean_latency_ms", &T::max_mean_latency_ms, AtLeast(0), "ms",
        "new mean latency above this: FAIL");
  t.Key("min_queries_per_second", &T::min_queries_per_second, AtLeast(0), "queries/s",
        "new throughput below this: FAIL");
  t.Key("max_slowdown_percent", &T::max_slowdown_percent, AtLeast(0), "%",
        "new p95 more than this above old p95: FAIL");
  t.Key("queries", &T::queries, Between(1, kMaxPerformanceQueries, "queries sent to each store"),
        "", "measured queries per store and collection");
  t.Key("warmup", &T::warmup, Between(0, kMaxPerformanceQueries, "queries sent to each store"), "",
        "unmeasured queries first");
  t.Key("concurrency", &T::concurrency, Between(1, kMaxQueryConcurrency), "",
        "client threads, each with its own connection");
  t.Key("max_seconds", &T::max_seconds, ThresholdRange{0, 86400, /*above_min=*/true, {}}, "seconds",
        "time bound of each replay and warm-up");
  return t.Build();
}

}  // namespace

const ThresholdKey* ThresholdTable::Find(std::string_view key) const {
  for (const ThresholdKey& k : keys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}

const std::vector<CheckInfo>& AllChecks() {
  static const std::vector<CheckInfo> checks = {
      {"count", "Record counts", "Chunk Count Mismatch", true, CountThresholdTable()},
      {"embedding_integrity", "Embedding integrity", "Embedding Corruption", true,
       EmbeddingThresholdTable()},
      {"metadata_completeness", "Metadata completeness", "Schema Violation", true,
       MetadataThresholdTable()},
      {"semantic_divergence", "Semantic divergence", "Search Results Diverged", true,
       DivergenceThresholdTable()},
      {"collection_distribution", "Collection distribution", "Collection Distribution Mismatch",
       true, DistributionThresholdTable()},
      {"duplicates", "Duplicates", "Duplicate IDs Found", true, DuplicateThresholdTable()},
      {"field_types", "Field types and values", "Field Type Violation", true,
       FieldTypeThresholdTable()},
      {"citations", "Citations", "Citation Integrity Failure", true, CitationThresholdTable()},
      {"content", "Record content", "Content Changed", true, ContentThresholdTable()},
      {"query_performance", "Query performance", "Query Performance Regression", false,
       QueryPerformanceThresholdTable()},
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
