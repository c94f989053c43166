// Helpers shared by the fuzz targets (see fuzz/README.md).
//
// A target reports a bug by crashing: the sanitizers catch memory errors,
// undefined behaviour and leaks; FUZZ_CHECK turns a broken invariant (say, a
// manifest that the writer produces and the parser then refuses) into an
// abort naming the condition. An error Status for bad input is the expected
// outcome and never a finding.
#ifndef VECGATE_FUZZ_FUZZ_UTIL_H_
#define VECGATE_FUZZ_FUZZ_UTIL_H_

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                      \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", __FILE__,    \
                   __LINE__, #cond);                                          \
      std::abort();                                                           \
    }                                                                         \
  } while (0)

namespace vecgate {
namespace fuzz {

// A file of this process under $TMPDIR (or /tmp) that the target rewrites
// for each input; `suffix` picks the format (".jsonl", ".tar.gz").
inline const std::string& ScratchPath(const char* suffix) {
  static const std::string path = [suffix] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") +
           "/vecgate_fuzz_" + std::to_string(::getpid()) + suffix;
  }();
  return path;
}

inline void WriteScratch(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  FUZZ_CHECK(out.good());
}

// Snapshot archives are one gzip member per tar member. The tar and
// archive-index targets take the uncompressed tar members joined by this
// separator, so that mutations reach the tar and index parsers instead of
// failing at the gzip CRC.
inline constexpr std::string_view kMemberSeparator = "\n--vecgate-fuzz-member--\n";

inline std::vector<std::string_view> SplitMembers(std::string_view input) {
  std::vector<std::string_view> pieces;
  while (true) {
    size_t at = input.find(kMemberSeparator);
    pieces.push_back(input.substr(0, at));
    if (at == std::string_view::npos) break;
    input.remove_prefix(at + kMemberSeparator.size());
  }
  return pieces;
}

// One gzip member holding `data` (zlib, fastest level).
inline std::string GzipMember(std::string_view data) {
  z_stream zs{};
  FUZZ_CHECK(deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  FUZZ_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// The archive file for `input`: each separated piece as its own gzip member.
inline std::string ArchiveFromMembers(std::string_view input) {
  std::string archive;
  for (std::string_view piece : SplitMembers(input)) archive += GzipMember(piece);
  return archive;
}

}  // namespace fuzz
}  // namespace vecgate

#endif  // VECGATE_FUZZ_FUZZ_UTIL_H_
