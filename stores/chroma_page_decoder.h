// Decodes the body of Chroma's `POST .../collections/{id}/get` answer straight
// into a RecordBatch. This is the hot path of every scan: a page of 1,000
// records x 1,536 dimensions is about 17 MB of JSON, mostly float arrays, and
// Chroma serves it at about 234 MB/s. The decoder parses in place with
// simdjson DOM (no copy of the body) and appends embedding components directly
// to the batch's contiguous float32 block.
//
// simdjson DOM was chosen over On-Demand: on Chroma pages (1,000 x 1,536)
// DOM decoded 233 MB/s vs On-Demand's 205 MB/s in bench/chroma_bench on a
// loaded machine (and 37 ms vs 43 ms on a synthetic 17 MB page, best of 15),
// and the On-Demand number parser of libsimdjson 3.0.1 (as inlined here)
// returns wrong values for decimals of more than 19 digits
// (0.1000000000000000055... reads as 4.1e-16), which DOM parses correctly.
// nlohmann_json, for comparison: 40 MB/s. Metadata objects are read by the
// record codec (MetadataFromDom), as every other store reads them.
//
// Thread safety: a decoder holds a reusable parser; one thread at a time.
#ifndef VECGATE_STORES_CHROMA_PAGE_DECODER_H_
#define VECGATE_STORES_CHROMA_PAGE_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "codec/record_json.h"
#include "core/record.h"
#include "core/status.h"

namespace vecgate {

// kJsonPadding (the spare bytes after a body parsed in place), kMaxJsonDepth
// and JsonDepthWithin are the record codec's (codec/record_json.h).

// Where a page came from, for error messages.
struct PageContext {
  std::string collection;
  int64_t offset = -1;  // -1: a get by ids, not a page at an offset
};

class ChromaPageDecoder {
 public:
  ChromaPageDecoder();
  ~ChromaPageDecoder();
  ChromaPageDecoder(const ChromaPageDecoder&) = delete;
  ChromaPageDecoder& operator=(const ChromaPageDecoder&) = delete;

  // Parses `body[0, size)` in place; `capacity` (>= size + kJsonPadding)
  // is the size of the readable buffer behind it. Appends the page's rows to
  // `*out` and sets `*rows` to their number. Columns not in `include` are
  // left absent (no document, no metadata, no embedding).
  //
  // Corruption naming the collection, the page offset and what was wrong
  // when the body is not JSON (or nests deeper than kMaxJsonDepth), a key
  // appears twice (in the answer or in a record's metadata), "ids" is
  // missing or not an array of strings, a requested column is missing, a
  // column's row count differs from the ids', an embedding has more than
  // kMaxDimension components, or a value has an unexpected type. On error
  // `*out` may hold part of the page and must be discarded.
  Status Decode(const char* body, size_t size, size_t capacity,
                const Include& include, const PageContext& context,
                RecordBatch* out, size_t* rows);

  // Convenience for callers holding a std::string: reserves the padding if
  // the string's capacity lacks it, then decodes in place.
  Status Decode(std::string& body, const Include& include,
                const PageContext& context, RecordBatch* out, size_t* rows);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "chroma collection 'docs', page at offset 2000: <what>".
std::string PageErrorPrefix(const PageContext& context);

}  // namespace vecgate

#endif  // VECGATE_STORES_CHROMA_PAGE_DECODER_H_
