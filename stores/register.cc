// Routes store URIs to their adapters.
#include "stores/register.h"

#include "core/store.h"
#include "stores/chroma_store.h"
#include "stores/jsonl_store.h"
#include "stores/postgres_store.h"

namespace vecgate {

void RegisterBuiltinStores() {
  RegisterStoreScheme("chroma://", OpenChromaStore, "chroma://HOST:PORT[/TENANT/DATABASE]");
  RegisterStoreScheme("chromas://", OpenChromaStore, "chromas://HOST:PORT[/TENANT/DATABASE]");
  // Chroma's own clients and CHROMADB_URL name a server http(s)://HOST:PORT.
  RegisterStoreScheme("http://", OpenChromaStore, "http(s)://HOST:PORT[/TENANT/DATABASE]");
  RegisterStoreScheme("https://", OpenChromaStore);
  RegisterStoreScheme("jsonl:", OpenJsonlStore, "jsonl:PATH[.gz]");
  RegisterStoreScheme("postgresql://", OpenPostgresStore,
                      "postgresql://[USER@]HOST[:PORT]/DATABASE[?schema=S]");
  RegisterStoreScheme("postgres://", OpenPostgresStore);
}

}  // namespace vecgate
