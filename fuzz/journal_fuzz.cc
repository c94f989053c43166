// Fuzz target: the rollback journal parser (snapshot/journal.h
// ParseJournal). A journal that parses must survive its own writer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "snapshot/journal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Result<RollbackJournal> journal = ParseJournal(text, "fuzz/journal.json");
  if (!journal.ok()) return 0;
  const std::string written = JournalJson(*journal);
  Result<RollbackJournal> again = ParseJournal(written, "fuzz/rewritten.json");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(JournalJson(*again) == written);
  return 0;
}
