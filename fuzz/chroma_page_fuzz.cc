// Fuzz target: the Chroma get-page decoder (stores/chroma_page_decoder.h),
// with every column requested and with ids only. A page that decodes holds
// exactly the rows it reports.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "stores/chroma_page_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  static ChromaPageDecoder* decoder = new ChromaPageDecoder();
  PageContext context;
  context.collection = "fuzz";
  context.offset = 0;
  for (bool all : {true, false}) {
    Include include;
    include.documents = include.metadatas = include.embeddings = all;
    std::string body(reinterpret_cast<const char*>(data), size);
    RecordBatch batch;
    size_t rows = 0;
    Status status = decoder->Decode(body, include, context, &batch, &rows);
    if (!status.ok()) continue;
    FUZZ_CHECK(rows == batch.size());
  }
  return 0;
}
