// MemoryStore: a writable Store over in-memory RecordBatches, for tests
// that need records without a server (the checks' unit tests). It passes
// the Store conformance suite (tests/store_conformance_test.cc) like the
// real adapters, so what a unit test learns from it holds for them.
//
// Beyond the Store contract it can seed a collection directly
// (AddCollection, records of any length), answer queries by exact
// brute force (set_can_query), and hide ids from that "index" to imitate
// records that are stored but unreachable (HideFromIndex).
#ifndef VECGATE_TESTUTIL_MEMORY_STORE_H_
#define VECGATE_TESTUTIL_MEMORY_STORE_H_

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/store.h"
#include "validators/topk.h"

namespace vecgate {
namespace testutil {

class MemoryStore : public Store {
 public:
  // Seeds collection `name`, replacing one of that name.
  void AddCollection(const std::string& name, DistanceSpace space, int64_t dimension,
                     RecordBatch batch = RecordBatch()) {
    CollectionInfo info;
    info.name = name;
    info.space = space;
    info.dimension = dimension;
    if (!collections_.count(name)) order_.push_back(name);
    collections_[name] = {info, std::move(batch)};
  }
  RecordBatch& batch(const std::string& name) { return collections_.at(name).second; }
  CollectionInfo& info(const std::string& name) { return collections_.at(name).first; }

  void set_can_query(bool v) { can_query_ = v; }
  void HideFromIndex(const std::string& id) { hidden_.insert(id); }
  int get_calls() const { return get_calls_; }

  std::string Describe() const override { return "memory:"; }
  Result<std::vector<CollectionInfo>> ListCollections() override {
    std::vector<CollectionInfo> out;
    for (const auto& n : order_) out.push_back(collections_.at(n).first);
    return out;
  }
  Result<CollectionInfo> GetCollection(const std::string& name) override {
    ASSIGN_OR_RETURN(auto* c, Find(name));
    return c->first;
  }
  Result<int64_t> Count(const std::string& name) override {
    ASSIGN_OR_RETURN(auto* c, Find(name));
    return static_cast<int64_t>(c->second.size());
  }
  Status Scan(const std::string& name, const ScanOptions& options,
              const PageSink& sink) override {
    ASSIGN_OR_RETURN(auto* c, Find(name));
    const RecordBatch& all = c->second;
    const size_t page_size = std::max<size_t>(1, options.page_size);
    for (size_t start = 0; start < all.size(); start += page_size) {
      RecordBatch page;
      for (size_t i = start; i < std::min(all.size(), start + page_size); ++i) {
        AddRow(all, i, options.include, &page);
      }
      RETURN_IF_ERROR(sink(page));
    }
    return Status::Ok();
  }
  Result<RecordBatch> Get(const std::string& name, const std::vector<std::string>& ids,
                          const Include& include) override {
    ++get_calls_;
    ASSIGN_OR_RETURN(auto* c, Find(name));
    std::set<std::string> wanted(ids.begin(), ids.end());
    RecordBatch out;
    const RecordBatch& all = c->second;
    for (size_t i = 0; i < all.size(); ++i) {
      if (wanted.count(all.id(i))) AddRow(all, i, include, &out);
    }
    return out;
  }

  bool writable() const override { return true; }
  Status CreateCollection(const CollectionInfo& info) override {
    if (collections_.count(info.name)) {
      return AlreadyExists("collection '" + info.name + "' already exists in memory:");
    }
    collections_[info.name] = {info, RecordBatch()};
    order_.push_back(info.name);
    return Status::Ok();
  }
  // Keeps every record as given, of any length, as jsonl: does; the first
  // embedding sets an unknown dimension.
  Status Add(const std::string& name, const RecordBatch& batch) override {
    ASSIGN_OR_RETURN(auto* c, Find(name));
    for (size_t i = 0; i < batch.size(); ++i) {
      if (c->first.dimension == 0 && batch.has_embedding(i)) {
        c->first.dimension = static_cast<int64_t>(batch.embedding_size(i));
      }
      c->second.AddFrom(batch, i);
    }
    return Status::Ok();
  }
  Status RenameCollection(const std::string& from, const std::string& to) override {
    ASSIGN_OR_RETURN(auto* c, Find(from));
    if (collections_.count(to)) {
      return AlreadyExists("collection '" + to + "' already exists in memory:");
    }
    auto moved = std::move(*c);
    moved.first.name = to;
    collections_.erase(from);
    collections_[to] = std::move(moved);
    std::replace(order_.begin(), order_.end(), from, to);
    return Status::Ok();
  }
  Status DeleteCollection(const std::string& name) override {
    RETURN_IF_ERROR(Find(name).status());
    collections_.erase(name);
    order_.erase(std::remove(order_.begin(), order_.end(), name), order_.end());
    return Status::Ok();
  }

  bool can_query() const override { return can_query_; }
  Result<QueryResult> Query(const std::string& name, const float* queries, size_t n,
                            size_t dim, size_t k) override {
    ASSIGN_OR_RETURN(auto* c, Find(name));
    const RecordBatch& all = c->second;
    ExactTopK topk(queries, n, dim, k, c->first.space, 1);
    for (size_t i = 0; i < all.size(); ++i) {
      if (all.embedding_size(i) == dim && !hidden_.count(all.id(i))) {
        topk.AddBlock(all.embedding(i), 1, &all.ids()[i]);
      }
    }
    QueryResult r;
    for (size_t q = 0; q < n; ++q) {
      r.ids.emplace_back();
      r.distances.emplace_back();
      for (const auto& nb : topk.Results(q)) {
        r.ids.back().push_back(nb.id);
        r.distances.back().push_back(static_cast<float>(nb.distance));
      }
    }
    return r;
  }

 private:
  using Entry = std::pair<CollectionInfo, RecordBatch>;

  Result<Entry*> Find(const std::string& name) {
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound("no collection '" + name + "' in memory:");
    return &it->second;
  }
  static void AddRow(const RecordBatch& from, size_t i, const Include& include,
                     RecordBatch* to) {
    to->Add(from.id(i), include.documents ? from.document(i) : std::nullopt,
            include.metadatas ? from.metadata(i) : std::nullopt,
            include.embeddings ? from.embedding(i) : nullptr,
            include.embeddings ? from.embedding_size(i) : 0);
  }

  std::map<std::string, Entry> collections_;
  std::vector<std::string> order_;
  std::set<std::string> hidden_;
  bool can_query_ = false;
  int get_calls_ = 0;
};

}  // namespace testutil
}  // namespace vecgate

#endif  // VECGATE_TESTUTIL_MEMORY_STORE_H_
