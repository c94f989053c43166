// The JSON of records: ids, documents, metadata values, embeddings and
// collection info. Every place that writes or reads records as JSON uses
// these functions: jsonl: files, the bodies Chroma is sent and answers, and
// the record lines of snapshot archives. So a value is escaped, a double
// written and a number read the same way everywhere, and a fix here reaches
// every store.
//
// Writing appends to one std::string with no intermediate DOM (this runs for
// every record of a load, a snapshot or a Chroma add). Text must be valid
// UTF-8: writers refuse anything else with InvalidArgument rather than write
// a file or body another reader would reject.
//
// Reading uses simdjson DOM. Its number parser reads decimals of more than 19
// digits correctly, where the On-Demand parser of libsimdjson 3.0.1 does not
// (0.1000000000000000055... reads as 4.1e-16), so metadata values are always
// read through DOM, even by the jsonl: store, which walks its lines with
// On-Demand. That parses a line's metadata twice (skipped, then read), at no
// measurable cost: a full scan of 200,000 records of 384 dimensions with 13
// metadata keys took 2.86 s of CPU against 3.04 s when On-Demand read the
// metadata (1.1 GB jsonl, medians of 11), and 6.81 s against 6.82 s for its
// gzip (medians of 3); embeddings are most of the work.
//
// Readers refuse, with Corruption naming where: a key that appears twice,
// nesting deeper than kMaxJsonDepth (PostgreSQL's columns, written by other
// tools, are read with looser MetadataReadRules). simdjson refuses invalid
// UTF-8 in its input.
//
// Metadata values map to JSON exactly: strings, int64 integers, doubles
// (written in shortest round-trip form, always with a '.' or an exponent so
// that they read back as doubles; in plain decimal for PostgreSQL's jsonb),
// booleans, null, and arrays of strings, numbers and booleans (Chroma 1.5's
// metadata lists; elements follow the same rules). Any other JSON value (an
// object, a list holding null, lists or objects) is read as NestedJson (its
// canonical text; PostgreSQL's rules: a JSON text string) so that one such
// record never stops a read; it is written back as that JSON.
//
// Thread safety: the functions are thread-safe; a RecordJsonReader is used
// by one thread at a time.
#ifndef VECGATE_CODEC_RECORD_JSON_H_
#define VECGATE_CODEC_RECORD_JSON_H_

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/record.h"
#include "core/status.h"
#include "core/text.h"

namespace vecgate {

// Spare bytes simdjson needs after the end of a text it parses in place
// (SIMDJSON_PADDING). HttpClient keeps this much spare capacity.
constexpr size_t kJsonPadding = 64;

// kMaxJsonDepth (core/text.h) is the deepest nesting accepted from a server
// or a store file.

// True when the arrays and objects of `text` (JSON, possibly malformed) nest
// at most `max_depth` levels. Brackets inside strings do not count.
bool JsonDepthWithin(std::string_view text, size_t max_depth);

// ------------------------------------------------------------------ Writing

// Appends `text` as a JSON string literal (quotes included). '"', '\\' and
// control characters are escaped (\n, \t, ... or \u00xx); other bytes,
// including UTF-8 sequences, pass through unchanged. The caller checks UTF-8
// validity (or uses AppendJsonText).
void AppendJsonString(std::string_view text, std::string* out);
// Number of bytes AppendJsonString would append.
size_t JsonStringSize(std::string_view text);
// AppendJsonString after checking that `text` is UTF-8; InvalidArgument
// "<what> is not valid UTF-8" (nothing appended) otherwise.
Status AppendJsonText(std::string_view text, const std::string& what,
                      std::string* out);

void AppendJsonInt(int64_t value, std::string* out);
// Appends a finite double so that it reads back as a double (always with a
// '.' or an exponent: 1.0, not 1) and round-trips exactly.
void AppendJsonDouble(double value, std::string* out);
// Appends a finite double in plain decimal (no exponent), always with a '.':
// 1e18 is written 1000000000000000000.0. For PostgreSQL's jsonb, which keeps
// a number as numeric and prints back the digits it was given without the
// exponent: "1e+18" would come back as the integer 1000000000000000000 and be
// read as an int. Up to about 330 characters.
void AppendJsonDoublePlain(double value, std::string* out);
// Appends a finite float with the shortest text that round-trips.
void AppendJsonFloat(float value, std::string* out);

// Appends an embedding as a JSON array of float32 components in shortest
// round-trip form. JSON has no NaN or infinity: those are written as the
// strings "NaN", "Infinity" and "-Infinity" (a NaN's sign and payload are
// lost), which ParseEmbeddingJson reads back.
void AppendEmbeddingJson(const float* values, size_t size, std::string* out);

// What AppendMetadataJson does with null values.
enum class MetadataNulls {
  kWrite,  // {"k":null}; an empty map is {}
  kOmit,   // left out; an empty map is written as null (Chroma refuses null
           // values and {} on write)
};

// How AppendMetadataJson writes doubles.
enum class MetadataDoubles {
  kShortest,  // AppendJsonDouble: every reader but PostgreSQL's jsonb
  kPlain,     // AppendJsonDoublePlain: for jsonb (see there)
};

// Appends `metadata` as a JSON object (keys in the map's order); a list as
// a JSON array, a NestedJson as its JSON. InvalidArgument naming `owner`
// (e.g. "record 'r1'"), the key and, in a list, the element for a key or
// string that is not UTF-8, a double that is not finite or nested text that
// is not JSON; `*out` then holds part of the object and must be discarded.
Status AppendMetadataJson(const Metadata& metadata, const std::string& owner,
                          MetadataNulls nulls, MetadataDoubles doubles,
                          std::string* out);
inline Status AppendMetadataJson(const Metadata& metadata,
                                 const std::string& owner, MetadataNulls nulls,
                                 std::string* out) {
  return AppendMetadataJson(metadata, owner, nulls, MetadataDoubles::kShortest,
                            out);
}

// Appends {"name":..,"metadata":{..},"configuration":{..},"space":"cosine",
// "dimension":N}. configuration_json is parsed and written in nlohmann's
// canonical form (keys sorted); empty or null becomes {}. InvalidArgument
// for a name that is not UTF-8, bad metadata, or configuration_json that is
// not a JSON object.
Status AppendCollectionInfoJson(const CollectionInfo& info, std::string* out);

// Metadata as an nlohmann object (for manifests, which are written as DOM).
// Non-finite doubles become null, as nlohmann writes them.
nlohmann::json MetadataToJson(const Metadata& metadata);

// Collection info as an nlohmann object with the keys of
// AppendCollectionInfoJson, for snapshot manifests and info members, which
// are written as DOM and add keys of their own. configuration_json that is
// not JSON becomes {}; other JSON is kept as it is.
nlohmann::json CollectionInfoToJson(const CollectionInfo& info);

// ------------------------------------------------------------------ Reading

// What a metadata integer beyond int64 becomes.
enum class LargeIntegers {
  kRefuse,    // Corruption: vecgate never writes one, so the file is damaged
  kAsDouble,  // the nearest double: what a server answered is kept
};

// What a metadata value that is an object, or an array holding more than
// scalars, becomes. (An array of scalars is always a MetadataArray.)
enum class NestedValues {
  kKeep,        // NestedJson holding its canonical JSON text: the record is
                // read and checks report the value (field_types: "nested")
  kAsJsonText,  // its JSON text as a string value, in nlohmann's canonical
                // form (keys sorted, no spaces): a PostgreSQL json/jsonb
                // column is written by other tools too, and what they nest
                // is compared as a value
};

// What a key that appears twice in one metadata object becomes.
enum class RepeatedKeys {
  kRefuse,    // Corruption: no writer vecgate reads from repeats a key
  kLastWins,  // the last value: PostgreSQL's json type keeps repeated keys
              // and its own operators (and jsonb) take the last one
};

// How MetadataFromDom reads: vecgate's files and Chroma's answers use the
// defaults (with LargeIntegers::kAsDouble for a server); PostgreSQL's
// columns use kAsDouble, kAsJsonText and kLastWins.
struct MetadataReadRules {
  LargeIntegers large = LargeIntegers::kRefuse;
  NestedValues nested = NestedValues::kKeep;
  RepeatedKeys repeated = RepeatedKeys::kRefuse;
};

// Reads a metadata object. `where` names it in errors ("metadata 3",
// "_collection.metadata"): Corruption "<where> has the key 'k' twice", or
// for an integer beyond int64 (alone or in a list) with kRefuse. Null
// values are kept as std::monostate, lists of scalars as MetadataArray,
// other nested values as `rules.nested` says.
Result<Metadata> MetadataFromDom(simdjson::dom::element value,
                                 const std::string& where,
                                 const MetadataReadRules& rules);
inline Result<Metadata> MetadataFromDom(simdjson::dom::element value,
                                        const std::string& where,
                                        LargeIntegers large) {
  MetadataReadRules rules;
  rules.large = large;
  return MetadataFromDom(value, where, rules);
}

// Reads a `{"name":..,"metadata":..,"configuration":..,"space":..,
// "dimension":..}` object as AppendCollectionInfoJson writes it. Keys other
// than those are ignored; metadata and configuration may be null or absent;
// a missing space is l2 and a missing dimension 0. Corruption naming `where`
// (e.g. "_collection") for a repeated key, a missing or empty name, an
// unknown space, a dimension that is negative, not an integer or above
// kMaxDimension, or a value of the wrong type.
Result<CollectionInfo> CollectionInfoFromDom(simdjson::dom::element value,
                                             const std::string& where);

// Parses the float32 components of a JSON array written by
// AppendEmbeddingJson (numbers, or "NaN", "Infinity", "-Infinity") and
// appends them to `*out`, each decimal rounded straight to the nearest
// float32. At most kMaxDimension components. On error returns false with
// `*what` set and `*out` unchanged past its old size.
bool ParseEmbeddingJson(std::string_view text, std::vector<float>* out,
                        std::string* what);

// A reusable simdjson DOM parser with the depth limit set.
class RecordJsonReader {
 public:
  RecordJsonReader();
  ~RecordJsonReader();
  RecordJsonReader(const RecordJsonReader&) = delete;
  RecordJsonReader& operator=(const RecordJsonReader&) = delete;

  // Parses `text[0, size)`; `capacity` is the readable size behind `text`
  // (parsed in place when it covers kJsonPadding more than `size`, copied
  // otherwise). The element lives until the next Parse. Corruption "<where>:
  // not JSON (...)" or "nested deeper than ..." otherwise.
  Result<simdjson::dom::element> Parse(const char* text, size_t size,
                                       size_t capacity,
                                       const std::string& where);
  Result<simdjson::dom::element> Parse(std::string_view text,
                                       const std::string& where) {
    return Parse(text.data(), text.size(), text.size(), where);
  }

  // Parse, then MetadataFromDom. `text` must be an object.
  Result<Metadata> ParseMetadata(std::string_view text, size_t capacity,
                                 const std::string& where,
                                 LargeIntegers large);

 private:
  simdjson::dom::parser parser_;
};

// Reads metadata held in an nlohmann object (a manifest, a Chroma collection
// record) with MetadataFromDom's rules.
Result<Metadata> JsonToMetadata(const nlohmann::json& json,
                                const std::string& where,
                                const MetadataReadRules& rules);
inline Result<Metadata> JsonToMetadata(
    const nlohmann::json& json, const std::string& where,
    LargeIntegers large = LargeIntegers::kRefuse) {
  MetadataReadRules rules;
  rules.large = large;
  return JsonToMetadata(json, where, rules);
}

// A JSON type as a noun phrase for messages ("a string", "an object", "null").
const char* JsonTypeName(simdjson::dom::element_type type);

}  // namespace vecgate

#endif  // VECGATE_CODEC_RECORD_JSON_H_
