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
#include "harness/runner.h"
#include "suites/checks.h"
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

// Runs check `v` over old and new stores through the real runner
// (harness/runner.h), with every other check switched off, and returns its
// result. Groups come from suite.mappings, else identity by name.
inline Result<CheckResult> RunCheck(Validator& v, const Suite& suite, MemoryStore& old_store,
                                    MemoryStore& new_store, size_t page_size = 7) {
  Suite only = suite;
  for (const CheckInfo& check : AllChecks()) {
    only.enabled_checks[std::string(check.name)] = check.name == v.name();
  }
  RunOptions options;
  options.page_size = page_size;
  ASSIGN_OR_RETURN(ValidationReport report, RunValidation(old_store, new_store, only, options));
  for (auto& check : report.checks) {
    if (check.name == v.name()) return std::move(check);
  }
  return Internal(std::string("check ") + v.name() + " did not run");
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
