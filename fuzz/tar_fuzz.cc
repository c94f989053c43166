// Fuzz target: the snapshot archive's tar reader (snapshot/tar_format.h
// ParseTarHeader, snapshot/archive.h ScanArchive). The input is tar members
// joined by fuzz::kMemberSeparator; each becomes one gzip member of the
// archive file, as vecgate writes them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "snapshot/archive.h"
#include "snapshot/tar_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (std::string_view piece : fuzz::SplitMembers(input)) {
    if (piece.size() < kTarBlockSize) continue;
    TarHeader header;
    bool end = false;
    if (ParseTarHeader(piece.data(), "fuzz", &header, &end).ok() && !end) {
      FUZZ_CHECK(!header.name.empty());
    }
  }
  const std::string& path = fuzz::ScratchPath(".tar.gz");
  fuzz::WriteScratch(path, fuzz::ArchiveFromMembers(input));
  Status status = ScanArchive(vecgate::Env::Default(), path, [](const MemberEntry& entry, std::string_view member) {
    FUZZ_CHECK(entry.size == member.size());
    FUZZ_CHECK(!entry.name.empty());
    return Status::Ok();
  });
  (void)status;
  return 0;
}
