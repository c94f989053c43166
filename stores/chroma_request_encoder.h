// Builds the JSON bodies the Chroma adapter sends: `add` requests (ids,
// base64 float32 embeddings, documents, metadatas) and the small helpers
// they need (JSON string escaping, numbers that keep the int/float
// distinction). Bodies are written into one reusable std::string with no
// intermediate objects; an `add` body of 16 MB is built in a few
// milliseconds, far below the time Chroma takes to ingest it.
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

#include "core/record.h"
#include "core/status.h"
#include "core/text.h"

namespace vecgate {

// Appends `text` as a JSON string literal (quotes included). '"', '\\' and
// control characters are escaped; other bytes, including UTF-8 sequences,
// pass through unchanged. The caller checks UTF-8 validity (IsValidUtf8).
void AppendJsonString(std::string_view text, std::string* out);
// Number of bytes AppendJsonString would append.
size_t JsonStringSize(std::string_view text);

// IsValidUtf8 is core/text.h's.

// Appends a finite double so that it reads back as a float (always with a
// '.' or an exponent: 1.0, not 1) and round-trips exactly.
void AppendJsonDouble(double value, std::string* out);
// Appends a finite float with the shortest text that round-trips.
void AppendJsonFloat(float value, std::string* out);

// Appends a metadata map as a JSON object; null values are left out (Chroma
// rejects null metadata values on write) and an empty map is written as
// `null` (Chroma rejects `{}`). InvalidArgument naming `owner` (e.g. "record
// 'r1'") and the key for a non-finite number or a string that is not UTF-8.
Status AppendMetadataJson(const Metadata& metadata, const std::string& owner,
                          std::string* out);

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
