// The chroma:// adapter: a Store backed by a real Chroma server (HTTP API v2).
//
//   chroma://HOST:PORT[/TENANT/DATABASE]    plain HTTP
//   chromas://HOST:PORT[/TENANT/DATABASE]   HTTPS
//   http://... and https://...               the same, as Chroma users write it
// TENANT and DATABASE default to default_tenant / default_database.
// Credentials never go in the URI: a token comes from CHROMA_TOKEN (sent as
// x-chroma-token) or CHROMA_AUTH_TOKEN (sent as Authorization: Bearer), and
// never appears in Describe() or any Status message.
//
// Reads: Scan pages through `get` with limit/offset, decoding each page with
// simdjson straight into a RecordBatch while the next page is already being
// fetched. Writes: Add sends base64 float32 embeddings in batches bounded by
// the server's max_batch_size and a byte budget, halving a batch the server
// refuses. Collection UUIDs are cached by name.
//
// Thread safety: one thread at a time (the Store contract). Scan uses a
// helper thread of its own internally; a PageSink may call other methods of
// this store, but not Scan.
#ifndef VECGATE_STORES_CHROMA_STORE_H_
#define VECGATE_STORES_CHROMA_STORE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/store.h"
#include "stores/chroma_page_decoder.h"
#include "stores/http_client.h"

namespace vecgate {

// A parsed chroma://, chromas://, http:// or https:// URI.
struct ChromaUri {
  // The scheme as written, lower case, without "://": "chroma", "chromas",
  // "http" or "https" (for messages that tell the user what to change).
  std::string scheme;
  bool tls = false;
  std::string host;  // IPv6 literals keep their brackets: "[::1]"
  int port = 0;
  std::string tenant = "default_tenant";
  std::string database = "default_database";

  // "chroma://HOST:PORT/TENANT/DATABASE" (no credentials: there are none).
  std::string ToString() const;
  // "http://HOST:PORT" or "https://HOST:PORT".
  std::string BaseUrl() const;
  // "HOST:PORT".
  std::string HostPort() const;
};

// InvalidArgument, saying the expected form, for anything but
// chroma[s]://HOST:PORT[/TENANT/DATABASE] or http[s]://HOST[:PORT][/TENANT/
// DATABASE] (the form Chroma's clients and CHROMADB_URL use; without a port
// http means 80 and https 443); a URI with user:password@ is refused with a
// pointer to CHROMA_TOKEN, and the password is not echoed. A path starting
// with /api is refused (it is not /TENANT/DATABASE).
Result<ChromaUri> ParseChromaUri(const std::string& uri);

// True for names Chroma accepts: 3-512 characters of [a-zA-Z0-9._-],
// starting and ending with a letter or digit; or, as Chroma 1.5 accepts,
// two such names joined by one '+' (a topology and the name).
bool IsValidChromaCollectionName(const std::string& name);

// Byte budget of one add request body. Chroma breaks the connection on
// bodies of about 80 MB; 16 MB keeps well clear of that and is large enough
// that per-request overhead does not matter.
constexpr size_t kDefaultAddBodyBudget = 16u << 20;
// Ids per `get` request in Get (bounds the answer to about one scan page).
constexpr size_t kGetIdsChunk = 1000;

class ChromaStore : public Store {
 public:
  // Parses `uri`, pings /api/v2/heartbeat and reads /api/v2/pre-flight-checks.
  // InvalidArgument for a malformed URI; Unavailable ("is the server running
  // at HOST:PORT?") when the server cannot be reached, or saying to switch
  // between chroma:// and chromas:// when TLS meets a plain-HTTP server (or
  // the reverse); Corruption naming the endpoint when it answers with
  // something that is not Chroma's answer (an HTML page, say). Responses are
  // capped at options.max_response_bytes.
  // The tenant and database need not exist yet (see EnsureDatabase).
  static Result<std::unique_ptr<ChromaStore>> Open(const std::string& uri,
                                                   const OpenOptions& options);

  // Creates the URI's tenant and database when they are missing; OK if they
  // exist. Unavailable / InvalidArgument as the server answers.
  Status EnsureDatabase();

  // `base_uri` with its database replaced by `database` (same host, port,
  // tenant). InvalidArgument if `base_uri` is malformed.
  static Result<std::string> CreateDatabaseUri(const std::string& base_uri,
                                               const std::string& database);

  std::string Describe() const override { return uri_.ToString(); }
  std::string EmptyStoreHint() const override {
    return "check the URI's tenant and database";
  }

  // Pages of kListPageSize until as many collections as collections_count
  // says (a short page alone is not the end; Unavailable when the count is
  // not reached). A collection's configuration_json is the server's, plus,
  // for servers since 1.2.2, the collection's "schema" under that key.
  Result<std::vector<CollectionInfo>> ListCollections() override;
  Result<CollectionInfo> GetCollection(const std::string& name) override;
  Result<int64_t> Count(const std::string& collection) override;
  // Corruption if the pages hold fewer records than Count reported when the
  // scan started (a page went missing or the collection shrank meanwhile).
  Status Scan(const std::string& collection, const ScanOptions& options,
              const PageSink& sink) override;
  Result<RecordBatch> Get(const std::string& collection,
                          const std::vector<std::string>& ids,
                          const Include& include) override;

  bool writable() const override { return true; }
  // InvalidArgument for a name Chroma would refuse or configuration_json
  // that is not a JSON object. The distance space sent is `info.space`;
  // other hnsw settings are taken from configuration_json's "hnsw" object,
  // and its "embedding_function" and "schema" (see ListCollections) are
  // sent as they are, so a copy keeps them.
  Status CreateCollection(const CollectionInfo& info) override;
  // NotFound if `from` does not exist, AlreadyExists if `to` does.
  Status RenameCollection(const std::string& from,
                          const std::string& to) override;
  Status RenameCollectionWithMetadata(const std::string& from,
                                      const std::string& to,
                                      const Metadata* new_metadata) override;
  Status DeleteCollection(const std::string& name) override;
  // InvalidArgument (naming the record, its length and the expected one)
  // before anything is sent when a row has no embedding or one whose length
  // differs from the collection's dimension (or, for an empty collection,
  // the first row's), or metadata Chroma refuses or loses
  // (CheckChromaMetadata: reserved or empty keys, nested values, empty or
  // mixed lists), listing every such record. A batch the server refuses as
  // too large is halved and retried; the error names the first batch that
  // still failed.
  Status Add(const std::string& collection, const RecordBatch& batch) override;
  // As Add, and a request the server refuses with a 4xx (Chroma 1.5: a NaN
  // or infinite embedding) is halved until each refused record stands
  // alone; those are listed in `*refused` (at most kMaxRefusedRecords, then
  // the refusal is an error) and every other record is added.
  Status AddAccepted(const std::string& collection, const RecordBatch& batch,
                     std::vector<RefusedRecord>* refused) override;
  static constexpr size_t kMaxRefusedRecords = 1000;

  bool can_query() const override { return true; }
  Result<QueryResult> Query(const std::string& collection, const float* queries,
                            size_t n, size_t dim, size_t k) override;

  // Server limits read at Open.
  int64_t max_batch_size() const { return max_batch_size_; }
  void set_add_body_budget(size_t bytes) { add_body_budget_ = bytes; }
  size_t add_body_budget() const { return add_body_budget_; }

  const ChromaUri& uri() const { return uri_; }
  // "/api/v2/tenants/T/databases/D/collections".
  std::string CollectionsPath() const;
  // The UUID of a collection (cached). NotFound if it does not exist.
  Result<std::string> CollectionId(const std::string& name);

 private:
  struct CollectionEntry {
    std::string id;
    CollectionInfo info;
  };

  ChromaStore(ChromaUri uri, const OpenOptions& options,
              std::unique_ptr<HttpClient> http);

  Status Handshake();
  // Sends a request and maps a non-2xx answer to a Status (404 NotFound,
  // 409 AlreadyExists, other 4xx InvalidArgument, 401/403 with a hint about
  // the token, 5xx Unavailable). The answer is in `*body`.
  Status Call(HttpClient& http, HttpMethod method, const std::string& path,
              std::string_view request, std::string* body,
              const RequestPolicy& policy = RequestPolicy());
  Result<CollectionEntry> FetchCollection(const std::string& name);
  // `refused` null: Add's rules; else AddAccepted's.
  Status AddRecords(const std::string& collection, const RecordBatch& batch,
                    std::vector<RefusedRecord>* refused);
  Status AddRange(const std::string& collection, const std::string& id,
                  const RecordBatch& batch, size_t begin, size_t end,
                  std::string* body, std::vector<RefusedRecord>* refused);
  std::string Prefix() const { return Describe() + ": "; }

  ChromaUri uri_;
  OpenOptions options_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<HttpClient> scan_http_;  // made on first Scan
  ChromaPageDecoder decoder_;
  std::map<std::string, std::string> ids_by_name_;
  std::string response_;  // reused response buffer
  int64_t max_batch_size_ = 0;
  bool supports_base64_ = false;
  size_t add_body_budget_ = kDefaultAddBodyBudget;
  bool scanning_ = false;
};

// The opener registered for chroma:// and chromas:// (stores/register.cc).
Result<std::unique_ptr<Store>> OpenChromaStore(const std::string& uri,
                                               const OpenOptions& options);

}  // namespace vecgate

#endif  // VECGATE_STORES_CHROMA_STORE_H_
