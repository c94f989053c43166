// Builds the JSON bodies the Chroma adapter sends: `add` requests (ids,
// base64 float32 embeddings, documents, metadatas), with the record codec's
// writers (codec/record_json.h). Bodies are written into one reusable
// std::string with no intermediate objects; an `add` body of 16 MB is built
// in a few milliseconds, far below the time Chroma takes to ingest it.
//
// Batch planning: Chroma refuses an `add` body that is too large (about
// 80 MB breaks the connection) and more than max_batch_size records, so
// PlanAddBatches splits a RecordBatch into consecutive ranges bounded by both.
//
// Thread-safe (no shared state).
#ifndef VECGATE_STORES_CHROMA_REQUEST_ENCODER_H_
#define VECGATE_STORES_CHROMA_REQUEST_ENCODER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "codec/record_json.h"
#include "core/record.h"
#include "core/status.h"
#include "core/text.h"

namespace vecgate {

// Chroma's form of metadata: AppendMetadataJson with MetadataNulls::kOmit
// (Chroma rejects null metadata values and `{}` on write). InvalidArgument
// naming `owner` (e.g. "record 'r1'") and the key for a non-finite number or
// text that is not UTF-8.
inline Status AppendMetadataJson(const Metadata& metadata,
                                 const std::string& owner, std::string* out) {
  return AppendMetadataJson(metadata, owner, MetadataNulls::kOmit, out);
}

// What Chroma (1.5) would refuse or lose in one record's metadata, or "":
// an empty key, a key starting with '#' or '$' (reserved since 1.1.0), a
// nested value (record.h NestedJson), an empty list (dropped by the
// server) or a list mixing kinds.
std::string ChromaMetadataProblem(const Metadata& metadata);
// Every record of `batch` whose metadata Chroma cannot hold, found before
// anything is sent: InvalidArgument naming up to 10 records (id, key and
// why) and how many there are; Ok when there are none.
Status CheckChromaMetadata(const RecordBatch& batch, const std::string& collection);

// A consecutive range [begin, end) of a batch's rows sent as one request,
// and the exact size of its body.
struct AddBatchRange {
  size_t begin = 0;
  size_t end = 0;
  size_t body_bytes = 0;
};

// Exact bytes row `i` adds to an add body (its id, embedding, document and
// metadata, without separators). InvalidArgument as AppendMetadataJson.
Result<size_t> AddRecordJsonSize(const RecordBatch& batch, size_t i);

// Splits `batch` into consecutive ranges of at most `max_records` rows whose
// bodies are at most `max_body_bytes`; a single row larger than the budget
// gets a range of its own. InvalidArgument as AddRecordJsonSize.
Result<std::vector<AddBatchRange>> PlanAddBatches(const RecordBatch& batch,
                                                  size_t max_records,
                                                  size_t max_body_bytes);

// Writes (replacing `*body`) the add request for rows [begin, end):
// {"ids":[...],"embeddings":["<base64 float32 LE>",...],"documents":[...],
//  "metadatas":[...]}. InvalidArgument naming the record id for a row with
// no embedding, an id or document that is not UTF-8, or bad metadata.
Status BuildAddBody(const RecordBatch& batch, size_t begin, size_t end,
                    std::string* body);

}  // namespace vecgate

#endif  // VECGATE_STORES_CHROMA_REQUEST_ENCODER_H_
