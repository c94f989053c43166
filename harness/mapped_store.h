// A read-only view of a store in which records are known by their mapped
// identity (suites/suite.h IdMapping) and the metadata keys that are not the
// user's data are gone.
//
// Migrations written by application libraries re-key records: LangChain JS
// and LlamaIndex TS make every row id a fresh uuid and keep the old id in a
// metadata key; Qdrant's and Weaviate's migration tools derive a uuid5 from
// the old id. The runner wraps each store in a MappedStore so that every
// check, finding and report sees one identity on both sides:
//
//   kStoreId   the store's id, unchanged;
//   kMetadata  the value of metadata KEY; the key itself is removed (it is
//              the identity, not content). A record without it keeps its
//              store id followed by " (no metadata.KEY)", so it can never
//              match an old id: it counts as extra, by name;
//   kUuid5     the old id whose uuid5 the store id is, once the runner has
//              told the view every old id (Learn); other ids stay as they are.
//
// Scan, Get and Query all answer in mapped ids (Get takes them too), so
// checks that ask the stores again (live queries, re-reads) need no
// knowledge of the mapping. The store-to-mapped table of a collection is
// filled by its scan, or by an id-and-metadata scan the first time Get or
// Query needs it. Writes are not offered: rollback works on the real store.
#ifndef VECGATE_HARNESS_MAPPED_STORE_H_
#define VECGATE_HARNESS_MAPPED_STORE_H_

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/store.h"
#include "suites/suite.h"

namespace vecgate {

// The RFC 4122 version-5 uuid of `name` in namespace `ns`, lower-case with
// dashes.
std::string Uuid5(const std::array<uint8_t, 16>& ns, const std::string& name);

class MappedStore : public Store {
 public:
  // `strip_keys`: metadata keys removed from every record (layout-owned
  // keys of either store).
  MappedStore(Store& inner, IdMapping mapping, std::set<std::string> strip_keys);

  std::string Describe() const override { return inner_.Describe(); }
  std::string EmptyStoreHint() const override { return inner_.EmptyStoreHint(); }
  Result<std::vector<CollectionInfo>> ListCollections() override {
    return inner_.ListCollections();
  }
  Result<CollectionInfo> GetCollection(const std::string& name) override {
    return inner_.GetCollection(name);
  }
  Result<int64_t> Count(const std::string& collection) override {
    return inner_.Count(collection);
  }
  Status Scan(const std::string& collection, const ScanOptions& options,
              const PageSink& sink) override;
  Result<RecordBatch> Get(const std::string& collection, const std::vector<std::string>& ids,
                          const Include& include) override;
  OwnedKeys LayoutOwnedKeys() const override { return inner_.LayoutOwnedKeys(); }
  Result<std::string> ChangeMarker(const std::string& collection) override {
    return inner_.ChangeMarker(collection);
  }
  size_t get_batch_size() const override { return inner_.get_batch_size(); }
  bool can_query() const override { return inner_.can_query(); }
  Result<QueryResult> Query(const std::string& collection, const float* queries, size_t n,
                            size_t dim, size_t k) override;

  // kUuid5: `old_id` may be the origin of a store id (uuid5(ns, old_id)).
  void Learn(const std::string& old_id);
  // Whether any mapping or key removal applies (else the runner may skip it).
  bool active() const { return !mapping_.identity() || !strip_.empty(); }
  const IdMapping& mapping() const { return mapping_; }
  // Records of a scan that had no value under the mapping's key.
  int64_t records_without_key() const { return without_key_; }

 private:
  // Rewrites ids and removes keys in place; records the ids when `record`.
  void Remap(const std::string& collection, RecordBatch& page, bool record);
  std::string MappedId(const std::string& store_id, const std::optional<Metadata>& metadata);
  Status EnsureTable(const std::string& collection);

  Store& inner_;
  IdMapping mapping_;
  std::set<std::string> strip_;
  // kMetadata: per collection, store id -> mapped id and back.
  struct Table {
    bool complete = false;
    std::unordered_map<std::string, std::string> to_mapped;
    std::unordered_multimap<std::string, std::string> to_store;
  };
  std::map<std::string, Table> tables_;
  // kUuid5: uuid5(ns, old id) -> old id, for every old id learned.
  std::unordered_map<std::string, std::string> learned_;
  int64_t without_key_ = 0;
};

}  // namespace vecgate

#endif  // VECGATE_HARNESS_MAPPED_STORE_H_
