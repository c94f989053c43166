// PostgreSQL's binary embedding forms; see postgres_binary.h.
#include "stores/postgres_binary.h"

#include <cstdint>
#include <cstring>
#include <limits>

namespace vecgate {

namespace {

// Big-endian integers and floats of PostgreSQL's binary format.
uint32_t ReadUint32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
float ReadFloat32(const char* p) {
  const uint32_t bits = ReadUint32(p);
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace

bool DecodeEmbeddingBinary(const char* p, size_t n, bool array, RecordBatch* page) {
  if (!array) {
    if (n < 4) return false;
    const size_t dim = (static_cast<unsigned char>(p[0]) << 8) | static_cast<unsigned char>(p[1]);
    if (n != 4 + 4 * dim) return false;
    for (size_t c = 0; c < dim; ++c) page->PushComponent(ReadFloat32(p + 4 + 4 * c));
    return true;
  }
  if (n < 12) return false;
  const uint32_t ndim = ReadUint32(p);
  if (ndim == 0) return n == 12;  // '{}'
  if (ndim != 1 || n < 20) return false;
  const uint32_t length = ReadUint32(p + 12);
  if (length > static_cast<uint64_t>(kMaxDimension) || length > (n - 20) / 4) return false;
  size_t at = 20;
  for (uint32_t c = 0; c < length; ++c) {
    if (n - at < 4) return false;
    const uint32_t bytes = ReadUint32(p + at);
    at += 4;
    if (bytes == 0xFFFFFFFFu) {
      page->PushComponent(std::numeric_limits<float>::quiet_NaN());
    } else if (bytes == 4 && n - at >= 4) {
      page->PushComponent(ReadFloat32(p + at));
      at += 4;
    } else {
      return false;
    }
  }
  return at == n;
}

}  // namespace vecgate
