// The store interface: what vecgate needs from a vector database.
//
// Every adapter (chroma://, jsonl:, postgresql://, snapshot:) implements
// Store. One conformance suite (tests/store_conformance_test.cc) runs
// against each writable adapter (chroma://, jsonl:, postgresql://); the
// read-only snapshot: store is covered by the snapshot and rollback tests.
// Reads stream records in pages (RecordBatch, embeddings as one contiguous
// float32 block, see core/record.h). Writable stores also create, rename and
// delete collections and add records; some stores answer top-k queries.
//
// Errors: every method returns a Status naming the store (without
// credentials), the collection and what went wrong. A read that fails part
// way reports the failure; it never returns a short result as if complete.
// Thread safety: a Store is used from one thread at a time.
#ifndef VECGATE_CORE_STORE_H_
#define VECGATE_CORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/status.h"

namespace vecgate {

// Chroma's limit on a collection name, the default of Store::max_name_bytes.
constexpr size_t kDefaultMaxNameBytes = 512;

struct ScanOptions {
  size_t page_size = 1000;  // records per page
  Include include;
};

// Result of a top-k query: for each query row, up to k ids with distances
// (smaller is nearer, in the collection's distance space).
struct QueryResult {
  std::vector<std::vector<std::string>> ids;
  std::vector<std::vector<float>> distances;
};

// Called once per page. Returning a non-OK Status stops the scan and the scan
// returns that Status. The batch may be moved from.
using PageSink = std::function<Status(RecordBatch& page)>;

// A record a store refused on its own while the others of an add went in.
struct RefusedRecord {
  std::string id;
  std::string reason;  // the store's words
};

class Store {
 public:
  virtual ~Store() = default;

  // The store's URI without credentials, for messages and reports.
  virtual std::string Describe() const = 0;

  virtual Result<std::vector<CollectionInfo>> ListCollections() = 0;
  // NotFound if the collection does not exist.
  virtual Result<CollectionInfo> GetCollection(const std::string& name) = 0;
  virtual Result<int64_t> Count(const std::string& collection) = 0;

  // Streams every record of `collection` in pages, in a stable order.
  virtual Status Scan(const std::string& collection, const ScanOptions& options,
                      const PageSink& sink) = 0;

  // Records with the given ids; ids that do not exist are absent from the
  // result (order of the result is unspecified).
  virtual Result<RecordBatch> Get(const std::string& collection,
                                  const std::vector<std::string>& ids,
                                  const Include& include) = 0;

  // Metadata keys that the store's layout writes itself (LlamaIndex's
  // `_node_content`, LlamaIndex TS's `create_date`, ...), not the user's data.
  // The gate leaves them out of every comparison and names them once in a
  // note ("not compared: create_date, written by llamaindex-ts"). Empty for
  // stores without such a layout. `layout` names the writer for that note.
  struct OwnedKeys {
    std::string layout;
    std::vector<std::string> keys;
  };
  virtual OwnedKeys LayoutOwnedKeys() const { return {}; }

  // Something that changes whenever `collection` is written, read before and
  // after a scan to tell whether the scan saw one state (the jsonl file's
  // size, modification time and inode). "" when the store offers none; the
  // runner then relies on counts and second looks (harness/read_consistency.h).
  virtual Result<std::string> ChangeMarker(const std::string& /*collection*/) {
    return std::string();
  }

  // The longest collection name the store takes, in bytes: Chroma's 512
  // (the default), PostgreSQL's 63 (its identifier limit). Rollback makes
  // its aside names fit (RollbackAsideName).
  virtual size_t max_name_bytes() const { return kDefaultMaxNameBytes; }

  // Whether a snapshot can hold `collection` as it is. A snapshot keeps a
  // collection's CollectionInfo and its records as Scan gives them; a store
  // whose collections hold more than that (PostgreSQL columns beyond the
  // four vecgate maps, float8 embeddings, nested JSON) returns
  // FailedPrecondition naming what a restore would lose, and `snapshot
  // create` refuses the collection before writing anything. Default: OK.
  virtual Status CheckSnapshotFaithful(const std::string& /*collection*/) {
    return Status::Ok();
  }
  // Whether CreateCollection(info) and Add can put back a snapshot's
  // collection described by `info` exactly (an archive written before
  // CheckSnapshotFaithful existed may describe more than it holds).
  // FailedPrecondition saying what cannot be restored; rollback refuses
  // before changing anything. Default: OK.
  virtual Status CheckRestorable(const CollectionInfo& /*info*/) { return Status::Ok(); }

  // How many ids one Get should ask for: a server's request (100), or all
  // at once for a file store whose Get reads the whole collection.
  virtual size_t get_batch_size() const { return 100; }

  // What to check when the store shows no collections at all, for the
  // error that says so ("check the URI's tenant and database" for Chroma,
  // its schema and layout for PostgreSQL).
  virtual std::string EmptyStoreHint() const { return "check the URI"; }

  // --- Writable stores. The defaults return Unimplemented. ---
  virtual bool writable() const { return false; }
  // AlreadyExists if a collection of that name exists.
  virtual Status CreateCollection(const CollectionInfo& info);
  virtual Status RenameCollection(const std::string& from, const std::string& to);
  // Renames and, when `new_metadata` is given, replaces the collection's
  // metadata in the same request (so a crash cannot leave one without the
  // other). The default renames when `new_metadata` is null and returns
  // Unimplemented otherwise.
  virtual Status RenameCollectionWithMetadata(const std::string& from,
                                              const std::string& to,
                                              const Metadata* new_metadata);
  virtual Status DeleteCollection(const std::string& name);
  // Adds every record of `batch`, splitting it as the store requires. Either
  // all records are added or an error names the first batch that failed
  // (a store that can tell which records it refuses, as AddAccepted does,
  // adds the others and its error lists the refused ids).
  virtual Status Add(const std::string& collection, const RecordBatch& batch);
  // Adds what the store accepts: a record the store refuses on its own
  // (Chroma 1.5 refuses NaN and infinite embeddings with HTTP 400) is
  // appended to `*refused` with the store's reason and every other record
  // is still added; Ok then. Any other failure is an error as for Add. The
  // default calls Add and so lists nothing.
  virtual Status AddAccepted(const std::string& collection, const RecordBatch& batch,
                             std::vector<RefusedRecord>* refused);

  // --- Stores that restore atomically. ---
  // True when rollback may build a collection under a staging name
  // (RollbackStagingName), fill and verify it there, and then swap it in
  // with SwapInRestored: a failure before the swap leaves the live
  // collection exactly as it was. Default false (set aside, then refill).
  virtual bool can_swap_in_restored() const { return false; }
  // In one transaction: when `name` exists it is renamed `aside` (its
  // metadata replaced by `aside_metadata` when given, as
  // RenameCollectionWithMetadata does), and `staging` is renamed `name`.
  // NotFound when `staging` does not exist; on any error nothing changed.
  // Default: Unimplemented.
  virtual Status SwapInRestored(const std::string& staging, const std::string& name,
                                const std::string& aside, const Metadata* aside_metadata);

  // --- Stores with a live index. ---
  virtual bool can_query() const { return false; }
  // `queries` is a row-major n x dim block.
  virtual Result<QueryResult> Query(const std::string& collection,
                                    const float* queries, size_t n, size_t dim,
                                    size_t k);
};

// Default cap on one HTTP response body (512 MiB). The largest answer
// vecgate asks for is a scan page: 1,000 records x 4,096 float components is
// about 50 MB of JSON text, so this leaves ten times that for long documents
// and metadata while a server that sends an endless or absurd body is cut off
// before it exhausts memory.
constexpr size_t kDefaultMaxResponseBytes = size_t{512} << 20;

struct OpenOptions {
  double timeout_seconds = 30.0;  // per HTTP request
  int max_retries = 4;            // connection errors and 5xx
  // Largest HTTP response body accepted from a server; a larger one (by its
  // Content-Length or by what arrives) fails the request with an error that
  // names the URL path and this cap. 0 means the default.
  size_t max_response_bytes = kDefaultMaxResponseBytes;
  // Directory that `snapshot:ID` is resolved against.
  std::string snapshot_dir;
};

// Opens a store by URI: chroma://HOST:PORT[/TENANT/DATABASE],
// chromas://..., http(s)://HOST:PORT[/TENANT/DATABASE] (Chroma),
// jsonl:PATH[.gz], snapshot:ID or snapshot:PATH.
// InvalidArgument for a malformed URI (an unknown scheme close to a known one
// gets a "did you mean" with the corrected URI); Unavailable if the server
// is down.
Result<std::unique_ptr<Store>> OpenStore(const std::string& uri,
                                         const OpenOptions& options);

// Signature of a per-scheme opener, registered with RegisterStoreScheme.
using StoreOpener = std::function<Result<std::unique_ptr<Store>>(
    const std::string& uri, const OpenOptions& options)>;
// Makes OpenStore route URIs that start with `prefix` (e.g. "snapshot:") to
// `opener`. Called once at start-up by modules that provide stores. `usage`
// is the URI's form for help and error messages ("jsonl:PATH"); empty for
// an alias that is not listed (postgres:// beside postgresql://).
void RegisterStoreScheme(const std::string& prefix, StoreOpener opener,
                         const std::string& usage = "");

// The usage forms of the registered schemes, in registration order: the one
// list that help texts and "expected ..." errors print.
std::vector<std::string> StoreSchemeUsages();

// The names rollback gives the collections it sets aside:
// "NAME_failed_YYYYMMDDHHMMSS", "_N" added when that is taken; copies of a
// failed migration kept for investigation. This is the one owner of the
// format. RollbackAsideName makes one from the journal's stamp (its digits)
// that fits `max_bytes` (the target's Store::max_name_bytes): when NAME is
// too long it is cut and 8 hex digits of a hash of the whole NAME follow
// the cut (NAMEPREFIX_HHHHHHHH_failed_...), so that two long names sharing
// a prefix get different aside names;
// IsRollbackAsideName recognises one (identity mappings and the
// collection_distribution check leave them out).
std::string RollbackAsideName(const std::string& name, const std::string& stamp,
                              const std::set<std::string>& taken,
                              size_t max_bytes = kDefaultMaxNameBytes);
bool IsRollbackAsideName(const std::string& name);
// The name rollback builds a restored collection under before swapping it
// in (Store::can_swap_in_restored): "NAME_restoring_YYYYMMDDHHMMSS", cut
// and hashed to fit `max_bytes` as RollbackAsideName does.
std::string RollbackStagingName(const std::string& name, const std::string& stamp,
                                const std::set<std::string>& taken,
                                size_t max_bytes = kDefaultMaxNameBytes);

// Metadata keys of the stamp rollback puts on each collection it sets aside
// (in the request that renames it): the snapshot id, the rollback's stamp
// and the original name.
inline constexpr const char* kAsideStampSnapshotKey = "vecgate_aside_snapshot";
inline constexpr const char* kAsideStampTimeKey = "vecgate_aside_stamp";
inline constexpr const char* kAsideStampOriginalKey = "vecgate_aside_of";

// True when `info` is a collection vecgate set aside: its name has the
// aside form (IsRollbackAsideName) AND its metadata carries the stamp (the
// three keys above, as non-empty strings). A collection merely named like
// one ("orders_failed_20240101000000") is not. What validate leaves out of
// identity mappings.
bool IsStampedRollbackAside(const CollectionInfo& info);

// Helper for stores: reads a whole collection into memory. Only for small
// collections (tests, fixtures); validators stream.
Result<RecordBatch> ReadAll(Store& store, const std::string& collection,
                            const Include& include = Include());

}  // namespace vecgate

#endif  // VECGATE_CORE_STORE_H_
