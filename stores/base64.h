// Base64 (RFC 4648, standard alphabet, '=' padding) for float32 embeddings.
//
// Chroma's `add` accepts each embedding as the base64 text of its components
// as little-endian float32: exact, and about half the bytes of JSON numbers.
// These helpers write straight into a caller's buffer so that a request body
// can be built without intermediate strings. Thread-safe (no shared state).
#ifndef VECGATE_STORES_BASE64_H_
#define VECGATE_STORES_BASE64_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vecgate {

// Number of base64 characters for `bytes` input bytes (with padding).
constexpr size_t Base64EncodedSize(size_t bytes) { return (bytes + 2) / 3 * 4; }

// Writes the base64 text of `data[0, size)` to `out`, which must have room
// for Base64EncodedSize(size) characters. Returns the number written.
size_t Base64Encode(const uint8_t* data, size_t size, char* out);

// Appends the base64 text of `dim` float32 values, as little-endian bytes
// whatever the host's byte order, to `out`.
void AppendBase64Float32(const float* values, size_t dim, std::string* out);

// Decodes base64 text (padding required when the length is not a multiple of
// 4; no whitespace). InvalidArgument naming the first bad position otherwise.
Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

// Decodes base64 text of little-endian float32 values. InvalidArgument if the
// text is not base64 or its byte count is not a multiple of 4.
Result<std::vector<float>> Base64DecodeFloat32(std::string_view text);

}  // namespace vecgate

#endif  // VECGATE_STORES_BASE64_H_
