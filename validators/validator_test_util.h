// Test support for the checks' unit tests (not part of the library).
//
// MemoryStore: a Store over in-memory RecordBatches, with an optional exact
// brute-force Query that can hide ids from its "index" (to imitate records
// that are stored but unreachable). RunCheck: drives one Validator through
// the hooks in the order harness/runner.cc uses (old pages of every source,
// then new pages joined by id against the old digests, then EndGroup), in
// small pages so that page boundaries are exercised.
#ifndef VECGATE_VALIDATORS_VALIDATOR_TEST_UTIL_H_
#define VECGATE_VALIDATORS_VALIDATOR_TEST_UTIL_H_

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/store.h"
#include "suites/suite.h"
#include "validators/topk.h"
#include "validators/validator.h"

namespace vecgate {
namespace testing_util {

class MemoryStore : public Store {
 public:
  void AddCollection(const std::string& name, DistanceSpace space, int64_t dimension,
                     RecordBatch batch = RecordBatch()) {
    CollectionInfo info;
    info.name = name;
    info.space = space;
    info.dimension = dimension;
    collections_[name] = {info, std::move(batch)};
    order_.push_back(name);
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
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound("no collection " + name);
    return it->second.first;
  }
  Result<int64_t> Count(const std::string& name) override {
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound("no collection " + name);
    return static_cast<int64_t>(it->second.second.size());
  }
  Status Scan(const std::string& name, const ScanOptions& options,
              const PageSink& sink) override {
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound("no collection " + name);
    const RecordBatch& all = it->second.second;
    for (size_t start = 0; start < all.size(); start += options.page_size) {
      RecordBatch page;
      for (size_t i = start; i < std::min(all.size(), start + options.page_size); ++i) {
        page.AddFrom(all, i);
      }
      RETURN_IF_ERROR(sink(page));
    }
    return Status::Ok();
  }
  Result<RecordBatch> Get(const std::string& name, const std::vector<std::string>& ids,
                          const Include&) override {
    ++get_calls_;
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound("no collection " + name);
    std::set<std::string> wanted(ids.begin(), ids.end());
    RecordBatch out;
    const RecordBatch& all = it->second.second;
    for (size_t i = 0; i < all.size(); ++i) {
      if (wanted.count(all.id(i))) out.AddFrom(all, i);
    }
    return out;
  }
  bool can_query() const override { return can_query_; }
  Result<QueryResult> Query(const std::string& name, const float* queries, size_t n,
                            size_t dim, size_t k) override {
    auto it = collections_.find(name);
    if (it == collections_.end()) return NotFound("no collection " + name);
    const RecordBatch& all = it->second.second;
    ExactTopK topk(queries, n, dim, k, it->second.first.space, 1);
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
  std::map<std::string, std::pair<CollectionInfo, RecordBatch>> collections_;
  std::vector<std::string> order_;
  std::set<std::string> hidden_;
  bool can_query_ = false;
  int get_calls_ = 0;
};

// The digest harness/runner.cc keeps of an old record.
inline OldRecordDigest DigestOf(const RecordBatch& page, size_t i,
                                const std::string& citation_field, uint32_t source) {
  OldRecordDigest d;
  d.source_index = source;
  if (page.has_embedding(i)) {
    d.embedding_hash = HashBytes(page.embedding(i), page.embedding_size(i) * sizeof(float));
    d.dimension = static_cast<uint32_t>(page.embedding_size(i));
  }
  if (page.document(i)) {
    d.document_hash = HashBytes(page.document(i)->data(), page.document(i)->size());
  }
  if (page.metadata(i)) {
    auto it = page.metadata(i)->find(citation_field);
    if (it != page.metadata(i)->end() && it->second.index() != 0) {
      std::string text = it->second.index() == 1 ? std::get<std::string>(it->second)
                                                 : MetadataValueToString(it->second);
      d.citation_hash = HashBytes(text.data(), text.size());
    }
  }
  return d;
}

// Runs `v` over old and new stores the way the runner does. Groups come from
// suite.mappings, else identity by the old store's collection names.
inline Result<CheckResult> RunCheck(Validator& v, const Suite& suite, MemoryStore& old_store,
                                    MemoryStore& new_store, size_t page_size = 7) {
  RunContext run;
  run.suite = &suite;
  run.old_store = &old_store;
  run.new_store = &new_store;
  run.old_collections = *old_store.ListCollections();
  run.new_collections = *new_store.ListCollections();
  std::vector<GroupContext> groups;
  std::vector<CollectionMapping> mappings = suite.mappings;
  if (mappings.empty()) {
    for (const auto& c : run.old_collections) mappings.push_back({{c.name}, c.name, {}});
  }
  for (const auto& m : mappings) {
    GroupContext g;
    g.target = m.target;
    g.sources = m.sources;
    for (const auto& s : m.sources) g.old_info.push_back(*old_store.GetCollection(s));
    auto ni = new_store.GetCollection(m.target);
    g.new_exists = ni.ok();
    if (ni.ok()) g.new_info = *ni;
    g.expected_count = m.expected_count.value_or(-1);
    groups.push_back(g);
  }
  run.groups = &groups;
  RETURN_IF_ERROR(v.BeginRun(run));
  ScanOptions options;
  options.page_size = page_size;
  for (GroupContext& group : groups) {
    OldIndex index;
    group.old_index = &index;
    RETURN_IF_ERROR(v.BeginGroup(group));
    for (size_t s = 0; s < group.sources.size(); ++s) {
      RETURN_IF_ERROR(old_store.Scan(group.sources[s], options, [&](RecordBatch& page) {
        for (size_t i = 0; i < page.size(); ++i) {
          index[page.id(i)] =
              DigestOf(page, i, suite.citations.field, static_cast<uint32_t>(s));
        }
        group.old_count += static_cast<int64_t>(page.size());
        return v.OnOldPage(group, page, s);
      }));
    }
    if (group.new_exists) {
      RETURN_IF_ERROR(new_store.Scan(group.target, options, [&](RecordBatch& page) {
        JoinedPage joined;
        joined.old.assign(page.size(), nullptr);
        for (size_t i = 0; i < page.size(); ++i) {
          auto it = index.find(page.id(i));
          if (it != index.end()) {
            it->second.seen_in_new = true;
            joined.old[i] = &it->second;
          }
        }
        group.new_count += static_cast<int64_t>(page.size());
        return v.OnNewPage(group, page, joined);
      }));
    }
    RETURN_IF_ERROR(v.EndGroup(group));
    group.old_index = nullptr;
  }
  return v.Finish();
}

// A random vector of `dim` components in [-1, 1).
inline std::vector<float> RandomVector(std::mt19937& rng, size_t dim) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(dim);
  for (auto& x : v) x = u(rng);
  return v;
}

// n records "PREFIX-i" with a document, the given metadata and random
// vectors of `dim` components (seeded: the same arguments give the same batch).
inline RecordBatch MakeBatch(const std::string& prefix, size_t n, size_t dim,
                             uint32_t seed = 1, const Metadata& metadata = Metadata()) {
  std::mt19937 rng(seed);
  RecordBatch b;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v = RandomVector(rng, dim);
    b.Add(prefix + "-" + std::to_string(i), "document " + prefix + std::to_string(i),
          metadata, v.data(), v.size());
  }
  return b;
}

// Ids of the findings whose problem starts with `prefix`.
inline std::vector<std::string> FindingIds(const CheckResult& r, const std::string& prefix) {
  std::vector<std::string> ids;
  for (const auto& f : r.findings) {
    if (f.problem.compare(0, prefix.size(), prefix) == 0) ids.push_back(f.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace testing_util
}  // namespace vecgate

#endif  // VECGATE_VALIDATORS_VALIDATOR_TEST_UTIL_H_
