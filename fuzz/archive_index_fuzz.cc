// Fuzz target: the archive-index parser: RebuildManifest
// (snapshot/snapshot.h) reads an archive whose manifest is lost, parses its
// index member and checks every member against it. The input is tar members
// joined by fuzz::kMemberSeparator, each gzipped on its own as vecgate
// writes them (see tar_fuzz.cc). A rebuilt manifest must be writable and
// parse again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string& path = fuzz::ScratchPath(".tar.gz");
  fuzz::WriteScratch(path, fuzz::ArchiveFromMembers(input));
  Result<Manifest> manifest = RebuildManifest(vecgate::Env::Default(), path, "");
  if (!manifest.ok()) return 0;
  Result<Manifest> again = ParseManifest(ManifestJson(*manifest), "fuzz/rebuilt.json");
  FUZZ_CHECK(again.ok());
  return 0;
}
