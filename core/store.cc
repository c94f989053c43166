// Default implementations of optional Store operations and the URI router.
#include "core/store.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>
#include <utility>

#include "core/text.h"

namespace vecgate {

namespace {

struct Scheme {
  std::string prefix;
  StoreOpener opener;
  std::string usage;
};

std::vector<Scheme>& Schemes() {
  static std::vector<Scheme> schemes;
  return schemes;
}

std::mutex& SchemesMutex() {
  static std::mutex mu;
  return mu;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The URI as it may be shown: user:password@ replaced (it may be a secret)
// and terminal controls escaped.
std::string ShowableUri(const std::string& uri) {
  std::string shown = uri;
  const size_t scheme_end = shown.find("://");
  const size_t authority = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const size_t at = shown.find('@', authority);
  const size_t slash = shown.find('/', authority);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    shown.replace(authority, at - authority, "***");
  }
  shown = RedactCredentials(shown);
  if (shown.size() > 300) shown = shown.substr(0, 300) + "...";
  return Printable(shown, /*one_line=*/true);
}

bool LooksLikeHostPort(const std::string& uri) {
  static const std::regex host_port(
      R"(^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):[0-9]{1,5}(/.*)?$)");
  return std::regex_match(uri, host_port);
}

// "; did you mean X?" for a URI no scheme claimed, or "" when nothing fits.
std::string Suggestion(const std::string& uri,
                       const std::vector<std::string>& prefixes) {
  if (LooksLikeHostPort(uri)) return "chroma://" + uri;
  const std::string lower = Lower(uri);
  for (const char* suffix : {".jsonl", ".jsonl.gz", ".json", ".ndjson"}) {
    const std::string sfx = suffix;
    if (lower.size() > sfx.size() &&
        lower.compare(lower.size() - sfx.size(), sfx.size(), sfx) == 0 &&
        lower.find(':') == std::string::npos) {  // a bare path, not a mistyped scheme
      return "jsonl:" + uri;
    }
  }
  const size_t colon = uri.find(':');
  if (colon == std::string::npos || colon == 0) return "";
  const std::string scheme = Lower(uri.substr(0, colon));
  std::string rest = uri.substr(colon + 1);
  while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
  std::string best;
  size_t best_distance = 3;
  for (const std::string& prefix : prefixes) {
    const std::string name = prefix.substr(0, prefix.find(':'));
    const size_t d = EditDistance(scheme, Lower(name));
    if (d < best_distance && (d < scheme.size() || scheme.size() >= 3)) {
      best_distance = d;
      best = prefix;
    }
  }
  if (best.empty()) return "";
  // jsonl:PATH keeps an absolute path's slash.
  if (best.find("//") == std::string::npos) {
    rest = uri.substr(colon + 1);
    if (rest.rfind("//", 0) == 0) rest.erase(0, 1);
  }
  return best + rest;
}

Status Clean(Status s) {
  if (s.ok()) return s;
  return Status(s.code(), RedactCredentials(s.message()));
}
template <typename T>
Result<T> Clean(Result<T> r) {
  if (r.ok()) return r;
  return Clean(r.status());
}

// A store opened from a URI that carries credentials in its query (libpq's
// sslpassword=, ...): its description and every error it returns are
// redacted (RedactCredentials), so that no message, report, manifest,
// journal or audit line repeats the secret. The store itself keeps its URI.
class RedactingStore : public Store {
 public:
  explicit RedactingStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  std::string Describe() const override { return RedactCredentials(store_->Describe()); }
  Result<std::vector<CollectionInfo>> ListCollections() override {
    return Clean(store_->ListCollections());
  }
  Result<CollectionInfo> GetCollection(const std::string& name) override {
    return Clean(store_->GetCollection(name));
  }
  Result<int64_t> Count(const std::string& c) override { return Clean(store_->Count(c)); }
  Status Scan(const std::string& c, const ScanOptions& o, const PageSink& sink) override {
    return Clean(store_->Scan(c, o, sink));
  }
  Result<RecordBatch> Get(const std::string& c, const std::vector<std::string>& ids,
                          const Include& include) override {
    return Clean(store_->Get(c, ids, include));
  }
  OwnedKeys LayoutOwnedKeys() const override { return store_->LayoutOwnedKeys(); }
  size_t max_name_bytes() const override { return store_->max_name_bytes(); }
  Status CheckSnapshotFaithful(const std::string& c) override {
    return Clean(store_->CheckSnapshotFaithful(c));
  }
  Status CheckRestorable(const CollectionInfo& info) override {
    return Clean(store_->CheckRestorable(info));
  }
  bool writable() const override { return store_->writable(); }
  Status CreateCollection(const CollectionInfo& info) override {
    return Clean(store_->CreateCollection(info));
  }
  Status RenameCollection(const std::string& from, const std::string& to) override {
    return Clean(store_->RenameCollection(from, to));
  }
  Status RenameCollectionWithMetadata(const std::string& from, const std::string& to,
                                      const Metadata* metadata) override {
    return Clean(store_->RenameCollectionWithMetadata(from, to, metadata));
  }
  Status DeleteCollection(const std::string& name) override {
    return Clean(store_->DeleteCollection(name));
  }
  Status Add(const std::string& c, const RecordBatch& batch) override {
    return Clean(store_->Add(c, batch));
  }
  bool can_swap_in_restored() const override { return store_->can_swap_in_restored(); }
  Status SwapInRestored(const std::string& staging, const std::string& name,
                        const std::string& aside, const Metadata* metadata) override {
    return Clean(store_->SwapInRestored(staging, name, aside, metadata));
  }
  bool can_query() const override { return store_->can_query(); }
  Result<QueryResult> Query(const std::string& c, const float* q, size_t n, size_t dim,
                            size_t k) override {
    return Clean(store_->Query(c, q, n, dim, k));
  }

 private:
  std::unique_ptr<Store> store_;
};

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
Status Store::RenameCollectionWithMetadata(const std::string& from,
                                           const std::string& to,
                                           const Metadata* new_metadata) {
  if (new_metadata == nullptr) return RenameCollection(from, to);
  return Unimplemented(Describe() + " cannot change a collection's metadata");
}
Status Store::SwapInRestored(const std::string&, const std::string&, const std::string&,
                             const Metadata*) {
  return Unimplemented(Describe() + " cannot swap a restored collection in");
}
Status Store::DeleteCollection(const std::string&) {
  return NotWritable(*this, "delete a collection");
}
Status Store::Add(const std::string&, const RecordBatch&) {
  return NotWritable(*this, "add records");
}
Status Store::AddAccepted(const std::string& collection, const RecordBatch& batch,
                          std::vector<RefusedRecord>*) {
  return Add(collection, batch);
}
Result<QueryResult> Store::Query(const std::string&, const float*, size_t,
                                 size_t, size_t) {
  return Unimplemented(Describe() + " cannot answer top-k queries");
}

void RegisterStoreScheme(const std::string& prefix, StoreOpener opener,
                         const std::string& usage) {
  std::lock_guard<std::mutex> lock(SchemesMutex());
  for (auto& s : Schemes()) {
    if (s.prefix == prefix) {
      s.opener = std::move(opener);
      s.usage = usage;
      return;
    }
  }
  Schemes().push_back({prefix, std::move(opener), usage});
}

std::vector<std::string> StoreSchemeUsages() {
  std::lock_guard<std::mutex> lock(SchemesMutex());
  std::vector<std::string> usages;
  for (const auto& s : Schemes()) {
    if (!s.usage.empty()) usages.push_back(s.usage);
  }
  return usages;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& uri,
                                         const OpenOptions& options) {
  StoreOpener opener;
  std::vector<std::string> prefixes;
  {
    std::lock_guard<std::mutex> lock(SchemesMutex());
    for (const auto& s : Schemes()) {
      prefixes.push_back(s.prefix);
      if (!opener && uri.compare(0, s.prefix.size(), s.prefix) == 0) {
        opener = s.opener;
      }
    }
  }
  if (!opener) {
    const std::string suggestion = Suggestion(uri, prefixes);
    const size_t colon = uri.find(':');
    std::string what = "unrecognised store URI '" + ShowableUri(uri) + "'";
    if (colon != std::string::npos && colon > 0 && !LooksLikeHostPort(uri) &&
        uri.find_first_of("/\\") > colon) {
      what = "unknown scheme '" + ShowableUri(uri.substr(0, colon)) +
             "' in store URI '" + ShowableUri(uri) + "'";
    }
    if (!suggestion.empty()) {
      what += "; did you mean " + ShowableUri(suggestion) + "?";
    }
    std::string expected;
    for (const std::string& usage : StoreSchemeUsages()) {
      expected += (expected.empty() ? "" : ", ") + usage;
    }
    return InvalidArgument(what + " (expected one of: " + expected + ")");
  }
  auto opened = opener(uri, options);
  if (!opened.ok()) return Clean(opened.status());
  if (RedactCredentials((*opened)->Describe()) == (*opened)->Describe()) return opened;
  return std::unique_ptr<Store>(new RedactingStore(std::move(*opened)));
}

namespace {

// NAME + `marker` + the stamp's digits, fitted to `max_bytes`.
std::string StampedName(const std::string& name, const char* marker, const std::string& stamp,
                        const std::set<std::string>& taken, size_t max_bytes) {
  std::string digits;
  for (char c : stamp) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const std::string suffix = marker + digits;
  // Room for "_N" when the name is taken (up to _999).
  constexpr size_t kCounterBytes = 4;
  std::string base = name;
  if (base.size() + suffix.size() + kCounterBytes > max_bytes) {
    // FNV-1a of the whole name: a cut name stays tied to its original.
    uint64_t hash = 1469598103934665603ull;
    for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
    static const char* hex = "0123456789abcdef";
    std::string tag = "_";
    for (int i = 0; i < 8; ++i) tag += hex[(hash >> (60 - 4 * i)) & 15];
    const size_t fixed = suffix.size() + kCounterBytes + tag.size();
    size_t keep = max_bytes > fixed ? max_bytes - fixed : 0;
    // Cut on a UTF-8 character boundary.
    while (keep > 0 && keep < name.size() &&
           (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) {
      --keep;
    }
    base = name.substr(0, keep) + tag;
  }
  std::string candidate = base + suffix;
  for (int n = 2; taken.count(candidate); ++n) {
    candidate = base + suffix + "_" + std::to_string(n);
  }
  return candidate;
}

}  // namespace

std::string RollbackAsideName(const std::string& name, const std::string& stamp,
                              const std::set<std::string>& taken, size_t max_bytes) {
  return StampedName(name, "_failed_", stamp, taken, max_bytes);
}

std::string RollbackStagingName(const std::string& name, const std::string& stamp,
                                const std::set<std::string>& taken, size_t max_bytes) {
  return StampedName(name, "_restoring_", stamp, taken, max_bytes);
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

bool IsStampedRollbackAside(const CollectionInfo& info) {
  if (!IsRollbackAsideName(info.name)) return false;
  for (const char* key : {kAsideStampSnapshotKey, kAsideStampTimeKey, kAsideStampOriginalKey}) {
    auto it = info.metadata.find(key);
    if (it == info.metadata.end()) return false;
    const std::string* value = std::get_if<std::string>(&it->second);
    if (value == nullptr || value->empty()) return false;
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
