// The jsonl: store: a collection-tagged JSON Lines file, plain or gzip.
//
// File format (one JSON object a line, UTF-8; blank lines are ignored):
//
//   {"_collection":{"name":"c","metadata":{..}|null,"configuration":{..},
//                   "space":"cosine","dimension":384}}
//   {"collection":"c","id":"c-1","document":"text"|null,
//    "metadata":{"k":"v",..}|null,"embedding":[0.25,-1e-05,..]|null}
//
// A `_collection` header line describes a collection (it round-trips
// CollectionInfo). It is optional and may appear anywhere, at most once per
// collection: a collection named only by record lines has space l2, empty
// metadata, configuration {} and the dimension of its first embedding. A
// header dimension of 0 also means "the first embedding's". Metadata values are
// strings, integers (int64), floats (written with a '.' or exponent so they
// read back as floats), booleans, null or lists of strings, numbers or
// booleans; any other nested value is read as nested JSON (record.h
// NestedJson) and written back as it was. Embedding components are float32
// written in shortest round-trip form; JSON has no NaN or infinity, so those
// are written as the strings "NaN", "Infinity" and "-Infinity" and read back
// (a NaN's sign and payload are not kept). Unknown keys are ignored.
//
// A path ending in ".gz" is read and written as gzip (appends add a gzip
// member; readers see one stream; bytes after the last member that are not
// gzip are Corruption). Reading never loads the file: opening
// makes one streaming pass that records, per collection, the count, the
// dimension and the byte range its lines occupy; Scan and Get then read only
// that range, one page at a time, so memory is bounded by the page size. A
// file grouped by collection (as this store writes it when collections are
// loaded one after another) is read once per collection scan. Get is a scan
// of the collection that keeps the requested ids: batch the ids.
//
// Damaged input is never skipped: a line that is not a JSON object, a record
// without a string id or collection, an embedding that is not an array of
// numbers, a key twice in one metadata object, each gives Corruption
// naming the file, the line number and what is wrong.
//
// Writing: the store is always writable by appending. A path that does not
// exist is created by the first CreateCollection; until then reads return
// NotFound (so a mistyped path is an error, not an empty store). Add does not
// check dimensions and does not deduplicate ids: a jsonl file can hold
// damaged data, which is what validators must be shown. Rename and delete
// return Unimplemented (the file is append-only). Writes are buffered and go
// through the Env; they are written out before every read, by Flush(), and at
// destruction (where an error can only be logged to stderr: call Flush()).
//
// Thread safety: one thread at a time, like every Store.
#ifndef VECGATE_STORES_JSONL_STORE_H_
#define VECGATE_STORES_JSONL_STORE_H_

#include <memory>
#include <string>

#include "core/env.h"
#include "core/store.h"

namespace vecgate {

class JsonlStore : public Store {
 public:
  // The file this store reads and appends to.
  virtual const std::string& path() const = 0;
  // Writes buffered records to the file (finishing the current gzip member).
  // IoError if the file system refuses.
  virtual Status Flush() = 0;
};

// Opens `path` (gzip when it ends in ".gz"). A missing file is fine: it is
// created on the first write. Corruption (with path and line) if an existing
// file does not parse; IoError naming the file if it cannot be read. Reads
// and writes go through `env` (not owned; must outlive the store), so a test
// can inject faults into both.
Result<std::unique_ptr<JsonlStore>> OpenJsonlFile(
    const std::string& path, Env* env = Env::Default());

// OpenStore's entry point for "jsonl:PATH". InvalidArgument when the URI has
// no path; otherwise as OpenJsonlFile.
Result<std::unique_ptr<Store>> OpenJsonlStore(const std::string& uri,
                                              const OpenOptions& options);

}  // namespace vecgate

#endif  // VECGATE_STORES_JSONL_STORE_H_
