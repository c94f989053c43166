// Fuzz target: the PostgreSQL binary embedding decoder
// (stores/postgres_binary.h), the bytes of a server's answer that vecgate
// decodes itself: the input as a pgvector `vector` and as a `real[]`. An
// embedding that decodes appended no more components than its bytes can
// hold (4 a component), and no more than kMaxDimension.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.h"
#include "stores/postgres_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  for (bool array : {false, true}) {
    RecordBatch page;
    if (!DecodeEmbeddingBinary(reinterpret_cast<const char*>(data), size, array, &page)) {
      continue;
    }
    const size_t components = page.mutable_values().size();
    FUZZ_CHECK(components * 4 <= size);
    FUZZ_CHECK(components <= static_cast<size_t>(kMaxDimension));
  }
  return 0;
}
