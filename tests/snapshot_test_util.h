// Helpers shared by the snapshot and rollback tests (tests/snapshot_*,
// tests/rollback_*): a small corpus in a real Chroma database, whole-store
// comparison bit for bit, a "failed migration", and a clock that can be set.
#ifndef VECGATE_TESTS_SNAPSHOT_TEST_UTIL_H_
#define VECGATE_TESTS_SNAPSHOT_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/store.h"
#include "fixtures/generator.h"
#include "snapshot/snapshot_store.h"

namespace vecgate::testutil {

inline std::string Vecgate() { return VECGATE_CLI; }

// The corpus at a small scale. `space` l2 keeps embeddings bit-exact through
// Chroma; cosine collections are re-normalised by Chroma on add.
inline CorpusOptions SmallCorpus(double scale = 0.02) {
  CorpusOptions options;
  options.scale = scale;
  options.dimension = 16;
  return options;
}

inline Status LoadCorpusWithSpace(const CorpusOptions& options, DistanceSpace space,
                                  Store& dst) {
  for (CollectionInfo info : CorpusCollections(options)) {
    info.space = space;
    info.configuration_json =
        std::string("{\"hnsw\":{\"space\":\"") + DistanceSpaceName(space) + "\"}}";
    RETURN_IF_ERROR(dst.CreateCollection(info));
    RETURN_IF_ERROR(GenerateCollection(options, info.name, 1000, [&](RecordBatch& page) {
      return dst.Add(info.name, page);
    }));
  }
  return Status::Ok();
}

// A collection's records sorted by id.
inline RecordBatch SortedById(Store& store, const std::string& collection) {
  auto all = ReadAll(store, collection);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  if (!all.ok()) return RecordBatch();
  std::vector<size_t> order(all->size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return all->id(a) < all->id(b); });
  RecordBatch sorted;
  for (size_t i : order) sorted.AddFrom(*all, i);
  return sorted;
}

// Same ids, documents, metadata and embedding bytes in each collection.
inline ::testing::AssertionResult SameRecords(Store& a, Store& b,
                                              const std::vector<std::string>& collections) {
  for (const auto& c : collections) {
    RecordBatch x = SortedById(a, c), y = SortedById(b, c);
    if (x.size() != y.size()) {
      return ::testing::AssertionFailure() << c << ": " << x.size() << " vs " << y.size()
                                           << " records";
    }
    for (size_t i = 0; i < x.size(); ++i) {
      if (x.id(i) != y.id(i)) {
        return ::testing::AssertionFailure() << c << ": id " << x.id(i) << " vs " << y.id(i);
      }
      if (x.document(i) != y.document(i)) {
        return ::testing::AssertionFailure() << c << ": document of " << x.id(i);
      }
      if (x.metadata(i) != y.metadata(i)) {
        return ::testing::AssertionFailure() << c << ": metadata of " << x.id(i);
      }
      if (x.embedding_size(i) != y.embedding_size(i) ||
          std::memcmp(x.embedding(i), y.embedding(i), x.embedding_size(i) * 4) != 0) {
        return ::testing::AssertionFailure() << c << ": embedding bytes of " << x.id(i);
      }
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<std::string> CollectionNames(Store& store) {
  std::vector<std::string> names;
  auto list = store.ListCollections();
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  if (list.ok()) {
    for (const auto& c : *list) names.push_back(c.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// name -> count of every collection.
inline std::map<std::string, int64_t> Counts(Store& store) {
  std::map<std::string, int64_t> counts;
  for (const auto& name : CollectionNames(store)) {
    auto n = store.Count(name);
    EXPECT_TRUE(n.ok());
    counts[name] = n.ok() ? *n : -1;
  }
  return counts;
}

// What a failed migration leaves: sergio_corpus replaced by a collection of
// the wrong size with changed documents, and a collection the snapshot does
// not have. Returns the counts the aside collections must keep.
inline std::map<std::string, int64_t> BreakMigration(Store& store) {
  const std::string victim = "sergio_corpus";
  auto info = store.GetCollection(victim);
  EXPECT_TRUE(info.ok());
  auto all = ReadAll(store, victim);
  EXPECT_TRUE(all.ok());
  EXPECT_TRUE(store.DeleteCollection(victim).ok());
  EXPECT_TRUE(store.CreateCollection(*info).ok());
  RecordBatch damaged;
  for (size_t i = 0; i < all->size(); i += 2) {
    damaged.Add(all->id(i), std::string("damaged by the migration"), all->metadata(i),
                all->embedding(i), all->embedding_size(i));
  }
  EXPECT_TRUE(store.Add(victim, damaged).ok());
  CollectionInfo extra = *info;
  extra.name = "migrated_extra";
  EXPECT_TRUE(store.CreateCollection(extra).ok());
  RecordBatch few;
  few.AddFrom(*all, 0);
  EXPECT_TRUE(store.Add("migrated_extra", few).ok());
  return {{victim, static_cast<int64_t>(damaged.size())}, {"migrated_extra", 1}};
}

// An Env whose clock the test sets (seconds since the epoch).
class ClockEnv : public EnvWrapper {
 public:
  explicit ClockEnv(int64_t now) : EnvWrapper(Env::Default()), now_(now) {}
  void Set(int64_t now) { now_ = now; }
  uint64_t NowMicros() override { return static_cast<uint64_t>(now_.load()) * 1000000; }

 private:
  std::atomic<int64_t> now_;
};

// Exit code of a command killed by a signal, as RunCommand reports it.
inline bool WasKilled(int rc) { return rc == 137 || rc == -1; }

}  // namespace vecgate::testutil

#endif  // VECGATE_TESTS_SNAPSHOT_TEST_UTIL_H_
