// Default implementations of optional Store operations and the URI router.
#include "core/store.h"

#include <mutex>
#include <utility>

namespace vecgate {

namespace {

struct Scheme {
  std::string prefix;
  StoreOpener opener;
};

std::vector<Scheme>& Schemes() {
  static std::vector<Scheme> schemes;
  return schemes;
}

std::mutex& SchemesMutex() {
  static std::mutex mu;
  return mu;
}

Status NotWritable(const Store& store, const char* op) {
  return Unimplemented(store.Describe() + " is read-only: cannot " + op);
}

}  // namespace

Status Store::CreateCollection(const CollectionInfo&) {
  return NotWritable(*this, "create a collection");
}
Status Store::RenameCollection(const std::string&, const std::string&) {
  return NotWritable(*this, "rename a collection");
}
Status Store::DeleteCollection(const std::string&) {
  return NotWritable(*this, "delete a collection");
}
Status Store::Add(const std::string&, const RecordBatch&) {
  return NotWritable(*this, "add records");
}
Result<QueryResult> Store::Query(const std::string&, const float*, size_t,
                                 size_t, size_t) {
  return Unimplemented(Describe() + " cannot answer top-k queries");
}

void RegisterStoreScheme(const std::string& prefix, StoreOpener opener) {
  std::lock_guard<std::mutex> lock(SchemesMutex());
  for (auto& s : Schemes()) {
    if (s.prefix == prefix) {
      s.opener = std::move(opener);
      return;
    }
  }
  Schemes().push_back({prefix, std::move(opener)});
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& uri,
                                         const OpenOptions& options) {
  StoreOpener opener;
  {
    std::lock_guard<std::mutex> lock(SchemesMutex());
    for (const auto& s : Schemes()) {
      if (uri.compare(0, s.prefix.size(), s.prefix) == 0) {
        opener = s.opener;
        break;
      }
    }
  }
  if (!opener) {
    return InvalidArgument(
        "unrecognised store URI '" + uri +
        "': expected chroma://HOST:PORT[/TENANT/DATABASE], chromas://..., "
        "jsonl:PATH or snapshot:ID");
  }
  return opener(uri, options);
}

bool IsRollbackAsideName(const std::string& name) {
  size_t pos = name.rfind("_failed_");
  if (pos == std::string::npos) return false;
  std::string rest = name.substr(pos + 8);
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
  if (digits != 14) return false;
  if (digits == rest.size()) return true;
  if (rest[digits] != '_' || digits + 1 == rest.size()) return false;
  for (size_t i = digits + 1; i < rest.size(); ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  return true;
}

Result<RecordBatch> ReadAll(Store& store, const std::string& collection,
                            const Include& include) {
  RecordBatch all;
  ScanOptions options;
  options.include = include;
  Status s = store.Scan(collection, options, [&](RecordBatch& page) {
    for (size_t i = 0; i < page.size(); ++i) all.AddFrom(page, i);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return all;
}

}  // namespace vecgate
