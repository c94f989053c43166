// Small helpers shared by the checks (internal to validators/).
//
// Threshold decisions, the set of old collections at fault (for partial
// rollback), metadata lookups and type tests shared by metadata_completeness,
// field_types and citations, number formatting for summaries and findings,
// and a deterministic bottom-k sample of vectors by id hash (used for query
// sampling and near-duplicate detection: order-independent, bounded memory),
// and the queries-file reader.
#ifndef VECGATE_VALIDATORS_CHECK_UTIL_H_
#define VECGATE_VALIDATORS_CHECK_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <set>
#include <unordered_set>
#include <string>
#include <vector>

#include "core/record.h"
#include "validators/validator.h"

namespace vecgate {
namespace check_util {

// 100 * part / whole, 0 when whole is 0.
double Percent(int64_t part, int64_t whole);

// The decision rule for "bad records" percentages: FAIL above
// fail_percent, WARN above warn_percent (and above 0), else PASS.
CheckStatus StatusFromBadPercent(double percent, double warn_percent,
                                 double fail_percent);

// The more severe of two statuses.
CheckStatus Worse(CheckStatus a, CheckStatus b);

// Shortest "%g"-style rendering that reads back as the same double
// ("1.7", "0.0001", "nan").
std::string FormatNumber(double v);
// Fixed rendering with `digits` decimals ("0.02").
std::string FormatFixed(double v, int digits);

// Old collections at fault, sorted and unique.
class FaultSources {
 public:
  // The source of `old` when known, else every source of the group.
  void Mark(const GroupContext& group, const OldRecordDigest* old);
  void MarkGroup(const GroupContext& group);
  void Add(const std::string& source) { names_.insert(source); }
  bool empty() const { return names_.empty(); }
  std::vector<std::string> ToVector() const {
    return std::vector<std::string>(names_.begin(), names_.end());
  }

 private:
  std::set<std::string> names_;
};

// The value of `field` in `metadata`, or nullptr when the record has no
// metadata or no such key.
const MetadataValue* FindField(const std::optional<Metadata>& metadata,
                               const std::string& field);

// True when `value` has the type a FieldRule names ("string", "int", "float",
// "bool", or "array<T>" for an array whose every element is a T; an empty
// array is any array<T>). An int is accepted where a float is expected; a
// bool is never an int. An unknown type name accepts any non-null value.
bool HasRuleType(const MetadataValue& value, const std::string& type);

// True when every component is finite.
bool AllFinite(const float* v, size_t n);

// Keeps the `capacity` rows with the smallest HashBytes(id) ^ seed (ties by
// id) together with their vectors: a deterministic sample that does not
// depend on scan order, in O(capacity * dim) memory.
class BottomKSample {
 public:
  BottomKSample(size_t capacity, size_t dim, uint64_t seed)
      : capacity_(capacity), dim_(dim), seed_(seed) {}

  size_t dim() const { return dim_; }
  // Offers one row of `dim()` components.
  void Offer(const std::string& id, const float* vector);

  // The kept rows, in increasing key order. `vectors` is row-major.
  void Take(std::vector<std::string>* ids, std::vector<float>* vectors) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint64_t key;
    std::string id;
    size_t slot;  // row in vectors_
  };
  static bool Less(const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.id < b.id;
  }

  size_t capacity_;
  size_t dim_;
  uint64_t seed_;
  std::vector<Entry> entries_;  // max-heap by (key, id)
  std::vector<float> vectors_;
};

// Problems the old store already had, keyed by (id, problem text): a
// problem found in a new record is pre-existing when the old record with the
// same id had the same problem. 8 bytes a problem, never the records.
class OldProblems {
 public:
  void Note(const std::string& id, const std::string& problem);
  bool Had(const std::string& id, const std::string& problem) const;
  bool HadAny(const std::string& id) const;  // any problem noted for id
  void Clear() {
    keys_.clear();
    ids_.clear();
  }

 private:
  std::unordered_set<uint64_t> keys_;
  std::unordered_set<uint64_t> ids_;
};

// Findings split into those the migration introduced and those the old store
// already had (CheckResult::findings and ::preexisting_findings).
class SplitFindings {
 public:
  explicit SplitFindings(int64_t cap) : introduced_(cap), preexisting_(cap) {}
  void Add(bool preexisting, const std::string& collection, const std::string& id,
           const std::string& problem);
  int64_t introduced() const { return introduced_.total(); }
  int64_t preexisting() const { return preexisting_.total(); }
  void MoveTo(CheckResult& result);

 private:
  FindingList introduced_;
  FindingList preexisting_;
};

// The status of a check under the suite's pre_existing policy, from the
// status of what the migration introduced and the status of every problem
// judged as if the migration had made it: ignore -> introduced; warn ->
// introduced, at least WARN when anything pre-existed; fail -> everything.
CheckStatus ApplyPreExisting(PreExistingPolicy policy, CheckStatus introduced,
                             CheckStatus everything, int64_t preexisting_count);

// The criterion of the problems the old store already had: "WHAT
// (pre_existing: POLICY)", `observed`, the policy's limit ("not judged",
// "WARN above 0", else `judged_as_new`), and the status the policy gives
// `preexisting_count` of them when `everything` is the status of every
// problem judged as if the migration had made it.
Criterion PreExistingCriterion(PreExistingPolicy policy, const std::string& what,
                               const std::string& observed, const std::string& judged_as_new,
                               CheckStatus everything, int64_t preexisting_count);

// A criterion for a "percent of bad records" rule ("FAIL above 0.1 %, WARN
// above 0 %").
Criterion PercentCriterion(const std::string& what, double observed_percent,
                           double warn_percent, double fail_percent, int64_t bad,
                           int64_t total);

// The verdict of a "percent of bad records" check: `bad` records the
// migration broke and `preexisting` ones the old store already had broken,
// of `records`, held to warn/fail percentages under the suite's
// pre_existing policy. Sets r->status and adds the criterion `what`;
// returns the percent the migration broke.
double JudgeBadRecords(PreExistingPolicy policy, double warn_percent, double fail_percent,
                       int64_t bad, int64_t preexisting, int64_t records,
                       const std::string& what, CheckResult* r);

// Query vectors read from a queries file: JSON Lines of arrays, or one JSON
// array of arrays. Used by semantic_divergence and query_performance.
struct QueryFile {
  std::vector<std::vector<float>> vectors;
  std::vector<std::string> labels;  // "FILE:LINE" or "FILE[INDEX]"
};

// Reads a queries file. InvalidArgument naming the file and the line (or
// element) of the first bad query: not JSON, not an array of numbers, NaN or
// infinity; or a file with no queries. IoError when it cannot be read.
Result<QueryFile> LoadQueryFile(const std::string& path);

}  // namespace check_util
}  // namespace vecgate

#endif  // VECGATE_VALIDATORS_CHECK_UTIL_H_
