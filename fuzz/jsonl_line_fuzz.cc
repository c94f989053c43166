// Fuzz target: the jsonl: store's line codec (stores/jsonl_store.h). The
// input is the file: opening indexes every line, then every collection is
// scanned in small pages. What opens must scan to the counts it reported.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "stores/jsonl_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string& path = fuzz::ScratchPath(".jsonl");
  fuzz::WriteScratch(path, std::string_view(reinterpret_cast<const char*>(data), size));
  Result<std::unique_ptr<JsonlStore>> store = OpenJsonlFile(path);
  if (!store.ok()) return 0;
  Result<std::vector<CollectionInfo>> collections = (*store)->ListCollections();
  if (!collections.ok()) return 0;
  for (const CollectionInfo& info : *collections) {
    Result<int64_t> count = (*store)->Count(info.name);
    ScanOptions options;
    options.page_size = 3;
    int64_t scanned = 0;
    Status status = (*store)->Scan(info.name, options, [&](RecordBatch& page) {
      FUZZ_CHECK(page.size() <= options.page_size);
      scanned += static_cast<int64_t>(page.size());
      return Status::Ok();
    });
    if (status.ok() && count.ok()) FUZZ_CHECK(scanned == *count);
  }
  return 0;
}
