// ustar headers: writing and strict parsing.
#include "snapshot/tar_format.h"

#include <cstdio>
#include <cstring>

namespace vecgate {

namespace {

// Header field offsets and lengths (POSIX ustar).
constexpr size_t kNameOff = 0, kNameLen = 100;
constexpr size_t kModeOff = 100, kUidOff = 108, kGidOff = 116;
constexpr size_t kSizeOff = 124, kSizeLen = 12;
constexpr size_t kMtimeOff = 136, kChksumOff = 148, kChksumLen = 8;
constexpr size_t kTypeOff = 156;
constexpr size_t kMagicOff = 257, kVersionOff = 263;
constexpr size_t kUnameOff = 265, kGnameOff = 297;
constexpr size_t kPrefixOff = 345, kPrefixLen = 155;

// width-1 octal digits (zero-padded, high digits dropped: callers check
// ranges) and a NUL.
void PutOctal(char* field, size_t width, uint64_t value) {
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

unsigned HeaderChecksum(const unsigned char* block) {
  unsigned sum = 0;
  for (size_t i = 0; i < kTarBlockSize; ++i) {
    sum += (i >= kChksumOff && i < kChksumOff + kChksumLen) ? ' ' : block[i];
  }
  return sum;
}

bool ParseOctal(const char* field, size_t width, uint64_t* value) {
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i, ++digits) {
    if (v >> 60) return false;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  for (; i < width; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  if (digits == 0) return false;
  *value = v;
  return true;
}

}  // namespace

Status ValidateMemberName(std::string_view name) {
  auto bad = [&](const std::string& why) {
    std::string shown;
    for (char c : name) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "\\x%02x", u);
        shown += hex;
      } else {
        shown += c;
      }
    }
    return InvalidArgument("unsafe archive member name '" + shown + "': " +
                           why);
  };
  if (name.empty()) return bad("empty name");
  if (name.size() > kTarMaxName) {
    return bad("longer than " + std::to_string(kTarMaxName) + " bytes");
  }
  if (name.front() == '/') return bad("absolute path");
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return bad("control character");
    if (c == '\\') return bad("backslash");
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty()) return bad("empty path component");
    if (part == "..") return bad("'..' component leaves the snapshot folder");
    if (part == ".") return bad("'.' component");
    start = end + 1;
  }
  return Status::Ok();
}

Status AppendTarHeader(std::string_view name, uint64_t size,
                       int64_t mtime_seconds, std::string* out) {
  RETURN_IF_ERROR(ValidateMemberName(name));
  if (size >= (uint64_t{1} << 33)) {
    return InvalidArgument("archive member '" + std::string(name) +
                           "' is 8 GiB or larger; use smaller pages");
  }
  unsigned char block[kTarBlockSize] = {0};
  char* h = reinterpret_cast<char*>(block);
  std::memcpy(h + kNameOff, name.data(), name.size());
  PutOctal(h + kModeOff, 8, 0644);
  PutOctal(h + kUidOff, 8, 0);
  PutOctal(h + kGidOff, 8, 0);
  PutOctal(h + kSizeOff, kSizeLen, size);
  PutOctal(h + kMtimeOff, 12, static_cast<uint64_t>(mtime_seconds < 0 ? 0 : mtime_seconds));
  h[kTypeOff] = '0';
  std::memcpy(h + kMagicOff, "ustar", 6);  // with its NUL
  std::memcpy(h + kVersionOff, "00", 2);
  std::memcpy(h + kUnameOff, "vecgate", 7);
  std::memcpy(h + kGnameOff, "vecgate", 7);
  // Checksum: six octal digits, NUL, space.
  std::snprintf(h + kChksumOff, 7, "%06o", HeaderChecksum(block));
  h[kChksumOff + 6] = '\0';
  h[kChksumOff + 7] = ' ';
  out->append(h, kTarBlockSize);
  return Status::Ok();
}

Status ParseTarHeader(const char* block, const std::string& where,
                      TarHeader* header, bool* end_of_archive) {
  const unsigned char* b = reinterpret_cast<const unsigned char*>(block);
  *end_of_archive = false;
  header->name.clear();
  header->size = 0;
  bool all_zero = true;
  for (size_t i = 0; i < kTarBlockSize && all_zero; ++i) all_zero = b[i] == 0;
  if (all_zero) {
    *end_of_archive = true;
    return Status::Ok();
  }
  uint64_t stored = 0;
  if (!ParseOctal(block + kChksumOff, kChksumLen, &stored) ||
      stored != HeaderChecksum(b)) {
    return Corruption(where + ": tar header checksum does not match");
  }
  if (std::memcmp(block + kMagicOff, "ustar", 5) != 0) {
    return Corruption(where + ": not a ustar header");
  }
  if (block[kTypeOff] != '0' && block[kTypeOff] != '\0') {
    return Corruption(where + ": member of tar type '" +
                      std::string(1, block[kTypeOff]) +
                      "' refused (snapshot archives hold regular files only)");
  }
  std::string name(block + kNameOff, strnlen(block + kNameOff, kNameLen));
  std::string prefix(block + kPrefixOff,
                     strnlen(block + kPrefixOff, kPrefixLen));
  if (!prefix.empty()) name = prefix + "/" + name;
  if (name.size() > kTarMaxName) {
    return Corruption(where + ": member name longer than " +
                      std::to_string(kTarMaxName) + " bytes refused");
  }
  Status valid = ValidateMemberName(name);
  if (!valid.ok()) return Corruption(where + ": " + valid.message());
  if (!ParseOctal(block + kSizeOff, kSizeLen, &header->size)) {
    return Corruption(where + ": member '" + name + "' has a malformed size");
  }
  header->name = std::move(name);
  return Status::Ok();
}

}  // namespace vecgate
