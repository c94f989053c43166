// PostgreSQL's binary form of an embedding, as the postgresql:// store asks
// for it (stores/postgres_store.cc): the one decoder of bytes a server sends
// that vecgate did not parse through libpq. Public so that its fuzz target
// (fuzz/postgres_binary_fuzz.cc) reaches it.
#ifndef VECGATE_STORES_POSTGRES_BINARY_H_
#define VECGATE_STORES_POSTGRES_BINARY_H_

#include <cstddef>

#include "core/record.h"

namespace vecgate {

// Appends the components of one embedding in binary form, `n` bytes at
// `p`, to `page`'s embedding block: pgvector's `vector` (int16 dimension,
// int16 unused, the float4s, big-endian) or, when `array`, a
// one-dimensional `real[]` (int32 number of dimensions, int32 has-nulls,
// int32 element type, int32 length, int32 lower bound, then per element an
// int32 byte count, -1 for NULL, read as NaN as the text form is, and the
// float4). Every count is checked against the `n` bytes there are before it
// is used, and a real[] longer than kMaxDimension is refused. False on
// anything else, with components possibly appended: the caller truncates
// the block back. Thread-safe (no state).
bool DecodeEmbeddingBinary(const char* p, size_t n, bool array, RecordBatch* page);

}  // namespace vecgate

#endif  // VECGATE_STORES_POSTGRES_BINARY_H_
