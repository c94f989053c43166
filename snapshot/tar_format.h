// The ustar (POSIX.1-1988) subset vecgate snapshot archives use: regular
// files only, names of at most 100 bytes in the header's name field, sizes
// below 8 GiB (11 octal digits). Enough for `tar -xzf` to open the archive,
// small enough to validate strictly.
//
// Member names are checked before anything is written or read: a name must
// be relative, made of non-empty components that are not "." or "..", and
// free of control characters and backslashes. A reader that meets any other
// name, a link, a device, a directory entry or a header whose checksum does
// not match reports Corruption and never extracts anything.
#ifndef VECGATE_SNAPSHOT_TAR_FORMAT_H_
#define VECGATE_SNAPSHOT_TAR_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace vecgate {

inline constexpr size_t kTarBlockSize = 512;
// Longest member name the writer produces (the ustar name field).
inline constexpr size_t kTarMaxName = 100;

// OK for a safe relative member name; InvalidArgument saying what is wrong
// (absolute path, "..", control character, too long, ...).
Status ValidateMemberName(std::string_view name);

// Zero bytes that follow `size` bytes of data up to the next block.
inline size_t TarPadding(uint64_t size) {
  return static_cast<size_t>((kTarBlockSize - size % kTarBlockSize) %
                             kTarBlockSize);
}

// Appends the 512-byte header of a regular file (mode 0644, owner 0/0).
// InvalidArgument for an unsafe name or a size of 8 GiB or more.
Status AppendTarHeader(std::string_view name, uint64_t size,
                       int64_t mtime_seconds, std::string* out);

struct TarHeader {
  std::string name;
  uint64_t size = 0;
};

// Parses one 512-byte header block. Returns Corruption (prefixed with
// `where`) for a bad checksum, a non-ustar magic, a member that is not a
// regular file, or an unsafe name. `*end_of_archive` is set for an all-zero
// block (and the header is then empty).
Status ParseTarHeader(const char* block, const std::string& where,
                      TarHeader* header, bool* end_of_archive);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_TAR_FORMAT_H_
