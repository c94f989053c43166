// Fuzz target: the audit log reader (snapshot/audit_log.h ReadAudit). Any
// file reads back as entries (unreadable lines as "unreadable" entries),
// never a crash; an entry written by AuditEntryJson reads back as itself.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.h"
#include "snapshot/audit_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  const std::string& path = fuzz::ScratchPath(".audit.jsonl");
  fuzz::WriteScratch(path, std::string_view(reinterpret_cast<const char*>(data), size));
  auto entries = ReadAudit(Env::Default(), path, 0);
  FUZZ_CHECK(entries.ok());
  for (const AuditEntry& e : *entries) {
    if (e.action == "unreadable") continue;
    const std::string line = AuditEntryJson(e);
    fuzz::WriteScratch(path, line + "\n");
    auto again = ReadAudit(Env::Default(), path, 0);
    FUZZ_CHECK(again.ok() && again->size() == 1);
    FUZZ_CHECK(AuditEntryJson(again->front()) == line);
  }
  return 0;
}
