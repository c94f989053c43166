// Routes store URIs to their adapters.
#include "stores/register.h"

#include "core/store.h"
#include "stores/chroma_store.h"
#include "stores/jsonl_store.h"
#include "stores/postgres_store.h"

namespace vecgate {

void RegisterBuiltinStores() {
  RegisterStoreScheme("chroma://", OpenChromaStore);
  RegisterStoreScheme("chromas://", OpenChromaStore);
  // Chroma's own clients and CHROMADB_URL name a server http(s)://HOST:PORT.
  RegisterStoreScheme("http://", OpenChromaStore);
  RegisterStoreScheme("https://", OpenChromaStore);
  RegisterStoreScheme("jsonl:", OpenJsonlStore);
  RegisterStoreScheme("postgresql://", OpenPostgresStore);
  RegisterStoreScheme("postgres://", OpenPostgresStore);
}

}  // namespace vecgate
