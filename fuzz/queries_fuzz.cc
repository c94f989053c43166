// Fuzz target: the queries file reader (validators/check_util.h
// LoadQueryFile): JSON Lines of arrays or one array of arrays. Bad input is
// InvalidArgument naming the file; what loads has one label per vector and
// only finite components.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "validators/check_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string& path = fuzz::ScratchPath(".queries.jsonl");
  fuzz::WriteScratch(path, std::string_view(reinterpret_cast<const char*>(data), size));
  auto queries = check_util::LoadQueryFile(path);
  if (!queries.ok()) return 0;
  FUZZ_CHECK(queries->vectors.size() == queries->labels.size());
  for (const auto& v : queries->vectors) {
    for (float x : v) FUZZ_CHECK(std::isfinite(x));
  }
  return 0;
}
