// The common interface of the nine checks (docs/checks.md) and the optional
// query_performance.
//
// The runner (harness/) streams each store once and feeds every enabled
// check the same pages, so adding a check does not add a pass over the data.
// For each target group (one new collection and the old collections mapped to
// it) the order of calls is:
//
//   BeginRun(run) -> OnBeginRun()                 once
//   BeginGroup(group)                             per target group
//     OnOldPage(group, page, source_index)...     every old record, once
//     OnNewPage(group, page, joined)...           every new record, once
//     EndGroup(group)                             after both scans
//   Finish() -> CheckResult                       once
//
// Joins between the stores go through OldIndex: a compact digest of every old
// record (hashes, not embeddings), so memory grows with the number of records,
// never with the bytes of their embeddings. Old vectors themselves are kept
// once per group in GroupContext::old_vectors (memory up to a budget, then a
// temporary file), for checks that need them again.
//
// Errors: a Status returned by any hook aborts the run with that Status (the
// gate then exits 3: it never decides on data it did not fully read). Checks
// are used from one thread.
#ifndef VECGATE_VALIDATORS_VALIDATOR_H_
#define VECGATE_VALIDATORS_VALIDATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/record.h"
#include "core/status.h"
#include "core/store.h"
#include "suites/suite.h"

namespace vecgate {

class VectorSpool;  // validators/topk.h

enum class CheckStatus { kPass, kWarn, kFail };
const char* CheckStatusName(CheckStatus s);  // "PASS", "WARN", "FAIL"

// One offending record (or collection, when id is empty).
struct Finding {
  std::string collection;
  std::string id;
  std::string problem;  // short, e.g. "nan", "missing_in_new", "dimension 380 != 384"
  // What changed, where a check can say it (content): the field
  // ("document", "metadata.author"), the kind of change ("changed",
  // "truncated", ...), both sides as a person reads them (for long text a
  // snippet around the first difference) and, for text, the character
  // offset of the first difference (-1 when not known).
  std::string field;
  std::string kind;
  std::string old_value;
  std::string new_value;
  int64_t offset = -1;
};

// One rule a check applied: what it measured, the observed value, the limit
// it was held to and what that rule alone concluded. Reports show these
// beside each other ("self-retrieval 58.3 %  >= 99 % to pass  FAIL").
struct Criterion {
  std::string what;      // "self-retrieval of new_store (live index)"
  std::string observed;  // "58.3 %"
  std::string limit;     // "FAIL below 99 % (old store: 99.5 % - 1 point)"
  CheckStatus status = CheckStatus::kPass;
};

// What a check concluded.
struct CheckResult {
  std::string name;     // "count", "embedding_integrity", ...
  std::string title;    // "Record counts"
  CheckStatus status = CheckStatus::kPass;
  std::string summary;  // one line for the terminal and tables
  nlohmann::json metrics = nlohmann::json::object();
  std::vector<Finding> findings;  // at most suite.max_findings
  int64_t findings_total = 0;     // all offending records, not capped
  // The rules applied, in the order they were judged (may be empty).
  std::vector<Criterion> criteria;
  // Problems the old store already had, unchanged by the migration (same id,
  // same problem in old). Listed apart; they change the verdict only as the
  // suite's "pre_existing" option says (ignore by default).
  std::vector<Finding> preexisting_findings;  // at most suite.max_findings
  int64_t preexisting_total = 0;
  // One flat object per target collection ({"collection": name, counters...})
  // for a per-collection table in the reports.
  nlohmann::json per_collection = nlohmann::json::array();
  // The rollback reason of this check when it FAILs ("Content Changed").
  std::string rollback_reason;
  // Old collections whose records this check found at fault (used for
  // partial rollback from the gate).
  std::vector<std::string> failed_collections;
  double elapsed_seconds = 0;
};

// Collects findings up to a cap while counting all of them.
class FindingList {
 public:
  explicit FindingList(int64_t cap) : cap_(cap) {}
  // Returns the finding's index in this list, or -1 past the cap.
  int64_t Add(const std::string& collection, const std::string& id,
              const std::string& problem);
  // A finding kept by Add (index from Add), to add detail to it.
  Finding& at(int64_t index) { return findings_[static_cast<size_t>(index)]; }
  int64_t total() const { return total_; }
  // Moves the findings and total into `result`.
  void MoveTo(CheckResult& result);

 private:
  int64_t cap_;
  int64_t total_ = 0;
  std::vector<Finding> findings_;
};

// Digest of one old record, for joins with the new store.
struct OldRecordDigest {
  uint64_t embedding_hash = 0;  // of the float32 bytes; 0 = no embedding
  uint64_t document_hash = 0;   // 0 = no document
  uint64_t metadata_hash = 0;
  uint64_t citation_hash = 0;   // of the citation field's string; 0 = absent
  uint32_t source_index = 0;    // which of the group's old collections
  uint32_t dimension = 0;
  bool seen_in_new = false;
  // Row of this record's embedding in GroupContext::old_vectors, or -1 when
  // it was not kept there (no embedding, or not the group's dimension).
  int64_t vector_row = -1;
  // The document's length in characters (UTF-8 code points) and the hash of
  // its first kDocumentPrefixBytes bytes, to tell truncation from change.
  uint32_t document_chars = 0;
  uint64_t document_prefix_hash = 0;
  // This record's metadata, one entry per key, in GroupContext::old_fields
  // (see FieldDigests); fields_count == kFieldsUnknown when not recorded.
  uint32_t fields_begin = 0;
  uint32_t fields_count = 0;
};

constexpr size_t kDocumentPrefixBytes = 64;
constexpr uint32_t kFieldsUnknown = 0xFFFFFFFFu;

// Characters (UTF-8 code points) in `text`.
uint32_t CountChars(const std::string& text);

// Per-field digests of the old records' metadata, 8 bytes a field (16 for a
// double or an array), so a changed record can say which field changed and,
// for ints, doubles, bools and arrays, from what: key id (16 bits), type (3
// bits) and a 45-bit payload (a bool or small int exactly, else a hash:
// HashMetadataValue's for arrays and nested values); a double is followed
// by its 64 bits, an array by its slot in a side table that keeps the old
// list itself (arrays are short tag lists in practice; a finding shows both
// lists, element by element). Keys are named through a per-group dictionary.
class FieldDigests {
 public:
  enum Type : uint8_t { kNull = 0, kString = 1, kIntExact = 2, kDouble = 3, kBool = 4,
                        kIntHashed = 5, kArray = 6, kNested = 7 };
  struct Entry {
    std::string_view key;
    Type type;
    uint64_t payload;  // 45 bits
    double number;     // kDouble only
    const MetadataArray* array;  // kArray only; lives as long as the digests
  };

  // Appends one record's metadata; sets begin/count (kFieldsUnknown when the
  // key dictionary is full).
  void Append(const Metadata& metadata, uint32_t* begin, uint32_t* count);
  // The entries of one record, in key order.
  std::vector<Entry> Read(uint32_t begin, uint32_t count) const;
  static Type TypeOf(const MetadataValue& value);
  static uint64_t Payload(const MetadataValue& value);
  void Clear();
  size_t bytes() const { return words_.size() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> words_;
  std::unordered_map<std::string, uint16_t> key_ids_;
  std::vector<std::string> keys_;
  std::vector<MetadataArray> arrays_;  // old arrays, by slot
};

using OldIndex = std::unordered_map<std::string, OldRecordDigest>;

// 64-bit hash (XXH3-like quality, stable across runs) of bytes.
uint64_t HashBytes(const void* data, size_t n);
// Of one value; numbers by value (1.0 hashes as 1), an array as its list of
// elements by the same rules, in order. Never 0 for a non-null value.
uint64_t HashMetadataValue(const MetadataValue& value);
// Of a citation field's value, as OldRecordDigest::citation_hash keeps it:
// a string by its bytes, any other value (a number, a list) by
// HashMetadataValue, so numbers and lists compare by value. 0 for null.
uint64_t CitationHash(const MetadataValue& value);
// Of a whole metadata map (keys and values, in key order); never 0.
uint64_t HashMetadata(const Metadata& metadata);

// One target group: a new collection and the old collections mapped to it.
struct GroupContext {
  std::string target;                    // new collection name
  std::vector<std::string> sources;      // old collection names
  std::vector<CollectionInfo> old_info;  // parallel to sources
  CollectionInfo new_info;
  bool new_exists = true;                // false: target missing in new store
  int64_t expected_count = -1;           // from the suite, -1 = not given
  int64_t old_count = 0;                 // records read from the sources
  int64_t new_count = 0;                 // records read from the target
  const OldIndex* old_index = nullptr;   // complete once the old scans are done
  // Every old embedding of the group's dimension, in scan order: in memory
  // up to a budget, then in a temporary file. Filled by the runner during
  // the old scans, so checks that need old vectors again (drift, the old
  // top-k) read them locally instead of asking the old store twice.
  VectorSpool* old_vectors = nullptr;
  // Metadata of every old record, field by field (OldRecordDigest::fields_*).
  const FieldDigests* old_fields = nullptr;
};

// The whole run.
struct RunContext {
  const Suite* suite = nullptr;
  Store* old_store = nullptr;
  Store* new_store = nullptr;
  std::vector<CollectionInfo> old_collections;  // every collection in old
  std::vector<CollectionInfo> new_collections;  // every collection in new
  std::vector<GroupContext>* groups = nullptr;  // every target group
  // The URIs and options the stores were opened with (RunOptions), for
  // checks that open more connections to them (query_performance's client
  // threads). Never a store's Describe(): that is a display string.
  std::string old_uri;
  std::string new_uri;
  OpenOptions open_options;
  // Progress of long steps inside a check (stage, done, total); may be empty.
  // Called on the runner's thread.
  std::function<void(const std::string&, int64_t, int64_t)> progress;
};

// For each row of a new page, the old record with the same id in this group
// (nullptr when the id is not in old).
struct JoinedPage {
  std::vector<const OldRecordDigest*> old;
};

class Validator {
 public:
  virtual ~Validator() = default;
  // The check's name ("count"), one of suites/checks.h's catalogue.
  virtual const char* name() const = 0;
  // The title reports show ("Record counts"), from the catalogue.
  std::string title() const;

  // Called once before any group; keeps `run` for suite() and run_.
  Status BeginRun(const RunContext& run) {
    run_ = &run;
    return OnBeginRun();
  }
  virtual Status BeginGroup(const GroupContext&) { return Status::Ok(); }
  virtual Status OnOldPage(const GroupContext&, const RecordBatch&, size_t /*source_index*/) {
    return Status::Ok();
  }
  virtual Status OnNewPage(const GroupContext&, const RecordBatch&, const JoinedPage&) {
    return Status::Ok();
  }
  virtual Status EndGroup(const GroupContext&) { return Status::Ok(); }
  virtual Result<CheckResult> Finish() = 0;

 protected:
  // What a check prepares once per run (its suite options, queries, ...).
  virtual Status OnBeginRun() { return Status::Ok(); }

  const RunContext* run_ = nullptr;
  const Suite& suite() const { return *run_->suite; }
};

// The checks enabled in the suite, in the catalogue's report order
// (suites/checks.h). validators/registry.cc holds one factory per check.
Result<std::vector<std::unique_ptr<Validator>>> MakeValidators(const Suite& suite);
// Every registered check, enabled or not, in the catalogue's order; Internal
// if a factory's name is missing from the catalogue or registered twice, or
// a catalogued check has no factory.
Result<std::vector<std::unique_ptr<Validator>>> MakeAllValidators();

// Factories, one per file.
std::unique_ptr<Validator> NewCountValidator();
std::unique_ptr<Validator> NewEmbeddingIntegrityValidator();
std::unique_ptr<Validator> NewMetadataCompletenessValidator();
std::unique_ptr<Validator> NewSemanticDivergenceValidator();
std::unique_ptr<Validator> NewCollectionDistributionValidator();
std::unique_ptr<Validator> NewDuplicatesValidator();
std::unique_ptr<Validator> NewFieldTypesValidator();
std::unique_ptr<Validator> NewCitationsValidator();
std::unique_ptr<Validator> NewContentValidator();
std::unique_ptr<Validator> NewQueryPerformanceValidator();

}  // namespace vecgate

#endif  // VECGATE_VALIDATORS_VALIDATOR_H_
