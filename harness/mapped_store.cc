#include "harness/mapped_store.h"

#include <openssl/evp.h>

#include <utility>

namespace vecgate {

std::string Uuid5(const std::array<uint8_t, 16>& ns, const std::string& name) {
  // RFC 4122 section 4.3: SHA-1 of namespace bytes then name, the first 16
  // bytes of the digest with the version (5) and variant (10xx) bits set.
  std::string input(reinterpret_cast<const char*>(ns.data()), ns.size());
  input += name;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  return out;
}

MappedStore::MappedStore(Store& inner, IdMapping mapping, std::set<std::string> strip_keys)
    : inner_(inner), mapping_(std::move(mapping)), strip_(std::move(strip_keys)) {
  if (mapping_.kind == IdMapping::Kind::kMetadata) strip_.insert(mapping_.key);
}

void MappedStore::Learn(const std::string& old_id) {
  if (mapping_.kind != IdMapping::Kind::kUuid5) return;
  learned_.emplace(Uuid5(mapping_.ns, old_id), old_id);
}

std::string MappedStore::MappedId(const std::string& store_id,
                                  const std::optional<Metadata>& metadata) {
  switch (mapping_.kind) {
    case IdMapping::Kind::kStoreId:
      return store_id;
    case IdMapping::Kind::kUuid5: {
      auto it = learned_.find(store_id);
      return it == learned_.end() ? store_id : it->second;
    }
    case IdMapping::Kind::kMetadata:
      break;
  }
  if (metadata) {
    auto it = metadata->find(mapping_.key);
    if (it != metadata->end()) {
      if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
      if (it->second.index() != 0) return MetadataValueToString(it->second);
    }
  }
  ++without_key_;
  return store_id + " (no metadata." + mapping_.key + ")";
}

void MappedStore::Remap(const std::string& collection, RecordBatch& page, bool record) {
  std::vector<std::string>& ids = page.mutable_ids();
  auto& metadatas = page.mutable_metadatas();
  Table* table = record && mapping_.kind == IdMapping::Kind::kMetadata ? &tables_[collection]
                                                                        : nullptr;
  for (size_t i = 0; i < page.size(); ++i) {
    if (!mapping_.identity()) {
      std::string mapped = MappedId(ids[i], metadatas[i]);
      if (table != nullptr) {
        table->to_mapped.emplace(ids[i], mapped);
        table->to_store.emplace(mapped, ids[i]);
      }
      ids[i] = std::move(mapped);
    }
    if (metadatas[i] && !strip_.empty()) {
      for (const auto& key : strip_) metadatas[i]->erase(key);
    }
  }
}

Status MappedStore::Scan(const std::string& collection, const ScanOptions& options,
                         const PageSink& sink) {
  if (!active()) return inner_.Scan(collection, options, sink);
  ScanOptions inner_options = options;
  // The key is needed to know the id, whatever the caller asked for.
  if (mapping_.kind == IdMapping::Kind::kMetadata) inner_options.include.metadatas = true;
  const bool record = mapping_.kind == IdMapping::Kind::kMetadata;
  if (record) tables_[collection] = Table();
  Status s = inner_.Scan(collection, inner_options, [&](RecordBatch& page) {
    Remap(collection, page, record);
    if (!options.include.metadatas) {
      for (auto& m : page.mutable_metadatas()) m.reset();
    }
    return sink(page);
  });
  if (s.ok() && record) tables_[collection].complete = true;
  return s;
}

Status MappedStore::EnsureTable(const std::string& collection) {
  if (mapping_.kind != IdMapping::Kind::kMetadata) return Status::Ok();
  auto it = tables_.find(collection);
  if (it != tables_.end() && it->second.complete) return Status::Ok();
  ScanOptions ids_only;
  ids_only.include.documents = false;
  ids_only.include.embeddings = false;
  ids_only.include.metadatas = true;
  const int64_t without_before = without_key_;
  Status s = Scan(collection, ids_only, [](RecordBatch&) { return Status::Ok(); });
  without_key_ = without_before;  // counted by the runner's own scan
  return s;
}

Result<RecordBatch> MappedStore::Get(const std::string& collection,
                                     const std::vector<std::string>& ids,
                                     const Include& include) {
  if (!active()) return inner_.Get(collection, ids, include);
  std::vector<std::string> store_ids;
  store_ids.reserve(ids.size());
  switch (mapping_.kind) {
    case IdMapping::Kind::kStoreId:
      store_ids = ids;
      break;
    case IdMapping::Kind::kUuid5:
      for (const auto& id : ids) store_ids.push_back(Uuid5(mapping_.ns, id));
      break;
    case IdMapping::Kind::kMetadata: {
      RETURN_IF_ERROR(EnsureTable(collection));
      const Table& table = tables_[collection];
      for (const auto& id : ids) {
        auto range = table.to_store.equal_range(id);
        for (auto it = range.first; it != range.second; ++it) store_ids.push_back(it->second);
      }
      break;
    }
  }
  Include inner_include = include;
  if (mapping_.kind == IdMapping::Kind::kMetadata) inner_include.metadatas = true;
  ASSIGN_OR_RETURN(RecordBatch batch, inner_.Get(collection, store_ids, inner_include));
  Remap(collection, batch, false);
  if (!include.metadatas) {
    for (auto& m : batch.mutable_metadatas()) m.reset();
  }
  return batch;
}

Result<QueryResult> MappedStore::Query(const std::string& collection, const float* queries,
                                       size_t n, size_t dim, size_t k) {
  if (mapping_.identity()) return inner_.Query(collection, queries, n, dim, k);
  RETURN_IF_ERROR(EnsureTable(collection));
  ASSIGN_OR_RETURN(QueryResult result, inner_.Query(collection, queries, n, dim, k));
  const Table* table =
      mapping_.kind == IdMapping::Kind::kMetadata ? &tables_[collection] : nullptr;
  for (auto& row : result.ids) {
    for (auto& id : row) {
      if (table != nullptr) {
        auto it = table->to_mapped.find(id);
        if (it != table->to_mapped.end()) id = it->second;
      } else {
        auto it = learned_.find(id);
        if (it != learned_.end()) id = it->second;
      }
    }
  }
  return result;
}

}  // namespace vecgate
