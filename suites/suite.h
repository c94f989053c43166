// Suites: what a migration must satisfy, as a JSON file (docs/suite-format.md).
//
// A suite names the required metadata fields, the type rules per field, the
// mapping of old collections to new ones (with optional expected counts), the
// thresholds of every check, where query vectors come from and k, and an
// optional registry of known citations. Every threshold has the default
// listed in docs/checks.md, so an empty suite `{}` is valid and checks the
// built-in defaults with identity mapping. The file format is documented in
// docs/suite-format.md; shipped suites live in suites/.
#ifndef VECGATE_SUITES_SUITE_H_
#define VECGATE_SUITES_SUITE_H_

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "suites/pattern.h"

namespace vecgate {

// Type and value rules of one metadata field (check 7, field_types).
struct FieldRule {
  std::string field;
  // "string", "int", "float" (an int is accepted), "bool", or an array
  // whose elements all have one of those: "array<string>", "array<int>",
  // "array<float>", "array<bool>" (min, max, allowed and pattern then apply
  // to each element).
  std::string type;
  std::optional<double> min;  // inclusive range for int/float
  std::optional<double> max;
  std::vector<std::string> allowed;  // enumeration for strings; empty = any
  std::string pattern;               // regex the whole value must match (suites/pattern.h)
  // `pattern` compiled once by the loader (ParseSuite, DefaultSuite); null
  // when there is no pattern or the rule was built in code without one.
  std::shared_ptr<const Pattern> compiled_pattern = nullptr;
};

// Old collections whose records must land in one new collection.
struct CollectionMapping {
  std::vector<std::string> sources;  // old collection names
  std::string target;                // new collection name
  std::optional<int64_t> expected_count;
};

// The thresholds of each check, one struct per check, with the built-in
// defaults as member initialisers. The suite keys that set them, with JSON
// kind, bounds and meaning, are declared once in the check's threshold
// table (suites/checks.cc); a member without a row there is not read from a
// suite file.
struct CountThresholds {
  int64_t tolerance = 0;            // missing ids allowed before FAIL
  double data_loss_fail_percent = 5.0;
  bool extra_ids_fail = false;      // ids in new that are not in old: WARN, or FAIL
};

struct EmbeddingThresholds {
  double warn_percent = 0.0;   // corrupt > this -> WARN (0 corrupt = PASS)
  double fail_percent = 0.1;   // corrupt > this -> FAIL
  std::vector<int64_t> allowed_dimensions = {384, 768, 1024, 1536};
  bool require_allowed_dimension = false;  // only the collection's dimension by default
  // Drift of the same id between old and new. A pair drifts when its cosine
  // similarity is below min_cosine or a component differs by more than
  // max_abs_diff (absolute, scaled by the vector's max magnitude).
  double drift_min_cosine = 0.9999;
  double drift_max_abs_diff = 1e-4;
};

struct MetadataThresholds {
  double pass_percent = 100.0;  // every field at least this complete -> PASS
  double warn_percent = 99.0;   // at least this -> WARN, below -> FAIL
};

struct DivergenceThresholds {
  double warn_percent = 10.0;
  double fail_percent = 20.0;
  // Live index of the new store (where it answers queries). When the old
  // store answers queries too, the same queries measure it and the new store
  // may fall short of it by at most the tolerances (absolute fractions):
  // HNSW is approximate, and both stores lose a little recall as they grow.
  // The absolute floors apply only when the old side has no live index.
  double min_recall = 0.9;           // below -> WARN
  double min_self_retrieval = 0.95;  // below -> FAIL
  double recall_tolerance = 0.03;          // new < old - this -> WARN
  double self_retrieval_tolerance = 0.03;  // new < old - this -> FAIL
  bool check_live_index = true;
};

// The content check: per record present in both stores, the document, every
// metadata key and value, and the collection's dimension and distance space.
struct ContentThresholds {
  double warn_percent = 0.0;  // changed records above -> WARN
  double fail_percent = 0.1;  // above -> FAIL
  // Fields the migration is meant to change: their changes, losses and
  // additions are not findings.
  std::vector<std::string> ignore_fields;
  // Metadata keys that old did not have may appear in new.
  bool new_fields_allowed = false;
  // The migration re-embeds: embeddings, dimension and distance space may
  // change; embedding drift is not judged and semantic_divergence judges the
  // new store's own search quality instead of comparing it with old.
  bool reembedding = false;
  // Doubles within this many units in the last place are equal (JSON
  // round trips move the last digit).
  int64_t max_ulps = 4;
};

// What problems that the old store already had do to the verdict: nothing
// (listed apart), a WARNING, or judged as if the migration made them.
enum class PreExistingPolicy { kIgnore, kWarn, kFail };
const char* PreExistingPolicyName(PreExistingPolicy p);

struct DistributionThresholds {
  bool unexpected_collections_fail = false;  // WARN by default
};

struct DuplicateThresholds {
  bool check_documents = true;
  bool check_embeddings = true;
  // Near-duplicates: pairs with cosine >= this, among sampled records. 0 = off.
  double near_duplicate_cosine = 0.0;
  int64_t near_duplicate_sample = 2000;
  double warn_percent = 0.0;  // duplicate documents/embeddings above -> WARN
  double fail_percent = 1.0;  // above -> FAIL; any duplicate id -> FAIL
};

struct FieldTypeThresholds {
  double warn_percent = 0.0;  // violations above -> WARN
  double fail_percent = 0.1;  // above -> FAIL
};

struct CitationThresholds {
  std::string field = "if_citation_uri";
  double warn_percent = 0.0;
  double fail_percent = 0.1;
};

// The optional check query_performance: replays the queries against
// both live stores and compares latency and throughput. Off by default.
struct QueryPerformanceThresholds {
  bool enabled = false;
  double max_mean_latency_ms = 500.0;   // new mean latency above -> FAIL
  double min_queries_per_second = 10.0;  // new throughput below -> FAIL
  // new p95 more than this much slower than old p95 -> FAIL (50 = 1.5x).
  double max_slowdown_percent = 50.0;
  int64_t queries = 200;     // measured queries per store and collection
  int64_t warmup = 20;       // unmeasured queries sent first
  int64_t concurrency = 1;   // client threads, each with its own connection
  double max_seconds = 30.0;  // time bound of each replay (and of its warm-up)
};

struct QuerySource {
  std::string queries_file;  // JSONL or JSON array of vectors; empty = sample
  int64_t sample_count = 200;   // queries sampled from old records per target
  int64_t k = 10;
  uint64_t seed = 20251130;
  int64_t self_retrieval_sample = 200;
};

// How records of one store are matched with the other's: by the store's own
// id (the default), by a metadata value (`metadata.KEY`: LangChain JS and
// LlamaIndex TS keep the old id there and make the row id a uuid), or by a
// uuid5 of the old id (`uuid5:NAMESPACE`, as Weaviate's and Qdrant's
// migration tools derive ids).
struct IdMapping {
  enum class Kind { kStoreId, kMetadata, kUuid5 };
  Kind kind = Kind::kStoreId;
  std::string key;                  // kMetadata: the metadata key
  std::array<uint8_t, 16> ns = {};  // kUuid5: the namespace
  std::string spec = "id";          // as the user wrote it, for reports
  bool identity() const { return kind == Kind::kStoreId; }
};
// Parses "id", "metadata.KEY" or "uuid5:NAMESPACE" (a uuid, or dns, url,
// oid, x500 for RFC 4122's namespaces). InvalidArgument saying the forms.
Result<IdMapping> ParseIdMapping(const std::string& spec);

// How the runner reads stores that may be written meanwhile
// (harness/read_consistency.h).
struct ReadPolicy {
  // How long to keep reading again when a read was not consistent, before
  // the run ends in exit 3 ("the store changed while it was read").
  double settle_seconds = 30;
  // The application writes to both stores during the run (dual writes):
  // counts may move; only discrepancies a second look refutes make a read
  // inconsistent.
  bool live = false;
};

struct Suite {
  std::string name = "default";
  std::string description;
  std::string path;  // file it was loaded from ("" for built-in)

  std::vector<std::string> required_fields;
  std::vector<FieldRule> field_rules;
  std::vector<CollectionMapping> mappings;  // empty: identity by name
  // How old and new records are matched ("id_mapping": {"old": ..., "new":
  // ...}); the command line's --old-id / --new-id win over these.
  IdMapping old_id;
  IdMapping new_id;
  ReadPolicy reads;  // "reads": {"settle_seconds": 30, "live": false}
  // When true, collections of the new store that no mapping names are
  // reported by collection_distribution.
  bool strict_collections = true;

  CountThresholds count;
  EmbeddingThresholds embedding;
  MetadataThresholds metadata;
  DivergenceThresholds divergence;
  DistributionThresholds distribution;
  DuplicateThresholds duplicates;
  FieldTypeThresholds field_types;
  CitationThresholds citations;
  ContentThresholds content;
  PreExistingPolicy pre_existing = PreExistingPolicy::kIgnore;
  QuerySource queries;
  QueryPerformanceThresholds query_performance;

  std::vector<std::string> citation_registry;  // known URIs; empty = not checked
  std::string citation_registry_file;          // one URI a line, resolved at load

  // Checks switched on or off by the suite ("checks": {"duplicates": false}).
  // The nine checks are on unless switched off; query_performance is off
  // unless switched on here or by thresholds.query_performance.enabled (the
  // "checks" entry wins when both are given).
  std::map<std::string, bool> enabled_checks;
  bool IsEnabled(const std::string& check) const;

  int64_t max_findings = 50;  // offending ids listed per check (count is full)
};

// Loads and validates a suite file. Rejects a bad suite before any store is
// touched: InvalidArgument naming the file, the JSON path (e.g.
// "$.thresholds.semantic_divergence.fail_percent") and what is wrong.
Result<Suite> LoadSuite(const std::string& path);
// Same, from JSON text; `origin` names it in messages.
Result<Suite> ParseSuite(const std::string& json_text, const std::string& origin);
// The built-in default: the fixture corpus's 12-field schema and the default
// thresholds (the same as suites/seeds.json).
Suite DefaultSuite();

}  // namespace vecgate

#endif  // VECGATE_SUITES_SUITE_H_
