// The record model shared by every store, validator and report.
//
// Embedding layout (documented once, used everywhere): a RecordBatch keeps all
// embedding components of its rows in one contiguous float32 array, row after
// row. Row i occupies values[offsets[i], offsets[i+1]). In the normal case every
// row has the collection's dimension d, offsets[i] == i*d, and the block can be
// mapped as a row-major n x d matrix (see UniformDimension()). A row of length
// zero has no embedding. Rows of other lengths exist only in damaged data and
// are kept as they are so that validators can report them.
#ifndef VECGATE_CORE_RECORD_H_
#define VECGATE_CORE_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace vecgate {

// The largest embedding dimension vecgate accepts from a file or a server.
// Real models stay far below it (OpenAI's largest is 3,072; Chroma pages of
// 1,000 x 4,096 are already ~50 MB of JSON); anything above is damage or a
// hostile answer, refused before any memory is reserved for it.
constexpr int64_t kMaxDimension = 65536;

// Distance space of a collection, as Chroma's hnsw:space names it.
enum class DistanceSpace { kCosine, kL2, kIp };
const char* DistanceSpaceName(DistanceSpace space);  // "cosine", "l2", "ip"
std::optional<DistanceSpace> ParseDistanceSpace(const std::string& name);

// One element of a metadata array: string, int64, double or bool (Chroma
// 1.5's arrays hold scalars only, never null, arrays or objects).
using MetadataScalar = std::variant<std::string, int64_t, double, bool>;
// A metadata array: a flat list of scalars, in order. Its elements may mix
// kinds when a store holds such a list (Chroma refuses that on add).
using MetadataArray = std::vector<MetadataScalar>;

// A metadata value vecgate cannot hold as one of the kinds above: an object
// (nested map) or an array that holds null, arrays or objects, read from a
// store that has one. It is kept as its JSON text, in nlohmann's canonical
// form (keys sorted, no spaces), so that a record with one is still read
// and compared (by that text), field_types reports it ("nested") and a
// store that cannot hold it (Chroma) refuses it naming the record, instead
// of the whole read stopping. PostgreSQL's json columns keep such values
// as plain JSON text strings instead (MetadataReadRules in the codec).
struct NestedJson {
  std::string json;
  bool operator==(const NestedJson& o) const { return json == o.json; }
  bool operator!=(const NestedJson& o) const { return json != o.json; }
};

// A metadata value: null, string, int64, double, bool, an array of scalars
// or nested JSON. Code that switches on index() uses these constants.
using MetadataValue = std::variant<std::monostate, std::string, int64_t,
                                   double, bool, MetadataArray, NestedJson>;
using Metadata = std::map<std::string, MetadataValue>;
enum MetadataKind : size_t {
  kMetadataNull = 0,
  kMetadataString = 1,
  kMetadataInt = 2,
  kMetadataDouble = 3,
  kMetadataBool = 4,
  kMetadataArray = 5,
  kMetadataNested = 6,
};

// The element as a MetadataValue (index() + 1 of the scalar's).
MetadataValue ScalarToValue(const MetadataScalar& scalar);

// "null", "string", "int", "float", "bool", "nested", or for an array
// "array<string>", "array<int>", "array<float>" (doubles, or ints and
// doubles), "array<bool>", "array<mixed>" (other mixtures) or "array"
// (empty).
const char* MetadataTypeName(const MetadataValue& value);
// A short human-readable rendering for reports ("\"en\"", "0.75", "true",
// "[\"a\", \"b\"]", a nested value's JSON text).
std::string MetadataValueToString(const MetadataValue& value);

// What a collection is, independent of its records.
struct CollectionInfo {
  std::string name;
  Metadata metadata;
  // The store's configuration object as JSON text (e.g. Chroma's
  // configuration_json), kept verbatim so a snapshot can recreate it.
  std::string configuration_json = "{}";
  DistanceSpace space = DistanceSpace::kL2;
  // Embedding dimension; 0 when the store does not know (empty collection).
  int64_t dimension = 0;
};

// A page of records of one collection. Columns are parallel arrays.
class RecordBatch {
 public:
  RecordBatch() { offsets_.push_back(0); }

  size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  void Clear();
  // Reserves room for `rows` rows of `dimension` components. Pass only
  // numbers that were bounded first (rows seen or requested, a dimension
  // checked against kMaxDimension), never a size a file or server declared:
  // a reservation is memory taken before any data proves it is needed.
  // A product that overflows size_t reserves nothing for the values.
  void Reserve(size_t rows, size_t dimension);

  // Appends one record. `embedding` may be null (no embedding) with `dim` 0.
  void Add(std::string id, std::optional<std::string> document,
           std::optional<Metadata> metadata, const float* embedding,
           size_t dim);
  // Appends row `i` of another batch.
  void AddFrom(const RecordBatch& other, size_t i);

  const std::string& id(size_t i) const { return ids_[i]; }
  const std::optional<std::string>& document(size_t i) const {
    return documents_[i];
  }
  const std::optional<Metadata>& metadata(size_t i) const {
    return metadatas_[i];
  }
  // Pointer to the first component of row i and its length.
  const float* embedding(size_t i) const { return values_.data() + offsets_[i]; }
  float* mutable_embedding(size_t i) { return values_.data() + offsets_[i]; }
  size_t embedding_size(size_t i) const { return offsets_[i + 1] - offsets_[i]; }
  bool has_embedding(size_t i) const { return embedding_size(i) != 0; }

  // d if every row has exactly d components (d > 0), else 0.
  size_t UniformDimension() const;

  const std::vector<std::string>& ids() const { return ids_; }
  const std::vector<float>& values() const { return values_; }
  const std::vector<size_t>& offsets() const { return offsets_; }

  // Direct column access for decoders and fault injection.
  std::vector<std::string>& mutable_ids() { return ids_; }
  std::vector<std::optional<std::string>>& mutable_documents() {
    return documents_;
  }
  std::vector<std::optional<Metadata>>& mutable_metadatas() {
    return metadatas_;
  }
  // Replaces row i's embedding (any length). O(total components).
  void SetEmbedding(size_t i, const float* embedding, size_t dim);

  // Appends raw columns; used by page decoders that parse straight into the
  // contiguous block. `AppendRow` closes a row whose components were pushed
  // with `PushComponent`.
  void PushComponent(float v) { values_.push_back(v); }
  std::vector<float>& mutable_values() { return values_; }
  void AppendRowMeta(std::string id, std::optional<std::string> document,
                     std::optional<Metadata> metadata);

 private:
  std::vector<std::string> ids_;
  std::vector<std::optional<std::string>> documents_;
  std::vector<std::optional<Metadata>> metadatas_;
  std::vector<float> values_;
  std::vector<size_t> offsets_;  // size() + 1 entries
};

// Which columns a read should return. Ids are always returned.
struct Include {
  bool documents = true;
  bool metadatas = true;
  bool embeddings = true;
};

}  // namespace vecgate

#endif  // VECGATE_CORE_RECORD_H_
