// Fuzz target: store URI parsing (stores/chroma_store.h ParseChromaUri,
// stores/postgres_store.h ParsePostgresUri) and the redaction every shown
// URI goes through (core/text.h RedactCredentials). A URI that parses must
// print back to a URI that parses to the same text, and redaction must
// leave no credential parameter's value behind.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/text.h"
#include "fuzz/fuzz_util.h"
#include "stores/chroma_store.h"
#include "stores/postgres_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vecgate;
  if (size > 4096) return 0;
  const std::string uri(reinterpret_cast<const char*>(data), size);
  const std::string redacted = RedactCredentials(uri);
  FUZZ_CHECK(RedactCredentials(redacted) == redacted);
  if (auto chroma = ParseChromaUri(uri); chroma.ok()) {
    auto again = ParseChromaUri(chroma->ToString());
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->ToString() == chroma->ToString());
  }
  if (auto pg = ParsePostgresUri(uri); pg.ok()) {
    const std::string shown = pg->ToString();
    auto again = ParsePostgresUri(shown);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->ToString() == shown);
    for (const auto& [key, value] : pg->libpq_params) {
      if (IsCredentialParameter(key) && value.size() >= 4) {
        FUZZ_CHECK(RedactCredentials(shown).find("=" + value) == std::string::npos ||
                   value == "***");
      }
    }
  }
  return 0;
}
