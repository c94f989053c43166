// Fuzz target: the snapshot manifest parser (snapshot/manifest.h
// ParseManifest): manifest files and the archive's index member. A manifest
// that parses must survive its own writer: written back in its form, it
// parses again and is a fixed point.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "snapshot/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<Manifest> manifest = ParseManifest(text, "fuzz/manifest.json");
  if (!manifest.ok()) return 0;
  // Written back in the form it came in: the archive's index member has no
  // file-level fields (checksum, sizes), a manifest file has them.
  const bool file_form = !manifest->checksum_sha256.empty();
  auto write = [file_form](const Manifest& m) {
    return file_form ? ManifestJson(m) : ManifestIndexJson(m);
  };
  const std::string written = write(*manifest);
  Result<Manifest> again = ParseManifest(written, "fuzz/rewritten.json");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(write(*again) == written);
  return 0;
}
