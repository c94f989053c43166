// Encoding of records in snapshot archives: record lines (JSONL) plus a raw
// float32 block, and the JSON form of metadata (see manifest.h for the
// member layout).
//
// Metadata values map to JSON exactly: strings, int64 integers, doubles
// (written in shortest round-trip form, always with a '.' or exponent so
// they read back as doubles), booleans and null.
#ifndef VECGATE_SNAPSHOT_RECORD_CODEC_H_
#define VECGATE_SNAPSHOT_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/record.h"
#include "core/status.h"

namespace vecgate {

nlohmann::json MetadataToJson(const Metadata& metadata);
// Corruption naming `where` for objects, arrays or other non-scalars.
Result<Metadata> JsonToMetadata(const nlohmann::json& json,
                                const std::string& where);

// Appends one line per record of `page` to `*lines` and its embeddings to
// `*embeddings` (raw little-endian float32). `dimension` is the collection's
// dimension. InvalidArgument (naming the record) for a document that is not
// valid UTF-8.
Status EncodePage(const RecordBatch& page, int64_t dimension,
                  std::string* lines, std::string* embeddings);

// Decodes a page written by EncodePage into `*out` (appended). With
// include.embeddings false, `embeddings` may be empty and rows get none.
// Corruption naming `where` and the line for anything malformed, and when
// the embedding bytes do not add up.
Status DecodePage(std::string_view lines, std::string_view embeddings,
                  int64_t dimension, const Include& include,
                  const std::string& where, RecordBatch* out);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_RECORD_CODEC_H_
