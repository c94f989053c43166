// Encoding of records in snapshot archives: record lines (JSONL) plus a raw
// float32 block (see manifest.h for the member layout). Ids, documents and
// metadata are written and read by the record codec (codec/record_json.h),
// which also gives manifests MetadataToJson and JsonToMetadata.
#ifndef VECGATE_SNAPSHOT_RECORD_CODEC_H_
#define VECGATE_SNAPSHOT_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/record_json.h"
#include "core/record.h"
#include "core/status.h"

namespace vecgate {

// Appends one line per record of `page` to `*lines` and its embeddings to
// `*embeddings` (raw little-endian float32). `dimension` is the collection's
// dimension. InvalidArgument (naming the record) for a document that is not
// valid UTF-8.
Status EncodePage(const RecordBatch& page, int64_t dimension,
                  std::string* lines, std::string* embeddings);

// Decodes a page written by EncodePage into `*out` (appended). With
// include.embeddings false, `embeddings` may be empty and rows get none.
// Corruption naming `where` and the line for anything malformed (a key that
// appears twice included), and when the embedding bytes do not add up.
Status DecodePage(std::string_view lines, std::string_view embeddings,
                  int64_t dimension, const Include& include,
                  const std::string& where, RecordBatch* out);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_RECORD_CODEC_H_
