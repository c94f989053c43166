// Fuzz target: the snapshot manifest parser (snapshot/manifest.h
// ParseManifest), manifest-file form. A manifest that parses must survive
// its own writer: ManifestJson of it parses again and is a fixed point.
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
  const std::string written = ManifestJson(*manifest);
  Result<Manifest> again = ParseManifest(written, "fuzz/rewritten.json");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ManifestJson(*again) == written);
  return 0;
}
