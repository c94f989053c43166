// Test support for the snapshot folder's unit tests (not part of the
// library): an in-memory store that can fail its Nth mutation, an
// Env with a settable clock that can fail its Nth rename, a temporary
// directory, and a small corpus snapshotted into it. Everything runs on the
// real file system through Env; no server.
#ifndef VECGATE_SNAPSHOT_ROLLBACK_TEST_UTIL_H_
#define VECGATE_SNAPSHOT_ROLLBACK_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/store.h"
#include "snapshot/snapshot.h"
#include "testutil/memory_store.h"
#include "testutil/temp_dir.h"

namespace vecgate::testutil {

// The in-memory test store (testutil/memory_store.h) with what
// rollback needs from a real store: a name of its own, a rename that
// replaces the collection metadata in the same request (the aside stamp),
// and, like Chroma, an Add that skips ids the collection already holds, so
// re-adding a page after an interruption is harmless. FailMutation(n,
// after) makes the nth CreateCollection, Rename*, DeleteCollection or Add
// (counted from then on) return IoError, before doing it or, with `after`,
// once it is done: an interruption at that point, as a crash would leave
// it. FailMutation(0, ...) fails nothing.
class RollbackStore : public MemoryStore {
 public:
  explicit RollbackStore(std::string name = "memory:target") : name_(std::move(name)) {}

  void FailMutation(int n, bool after) {
    fail_at_ = n;
    fail_after_ = after;
    mutations_ = 0;
    failed_ = false;
  }
  bool failed() const { return failed_; }
  // A store that cannot replace metadata while renaming (as a store with no
  // such request would): RenameCollectionWithMetadata is Unimplemented.
  void set_can_stamp(bool v) { can_stamp_ = v; }

  std::string Describe() const override { return name_; }

  Status CreateCollection(const CollectionInfo& info) override {
    return Mutate([&] { return MemoryStore::CreateCollection(info); });
  }
  Status RenameCollection(const std::string& from, const std::string& to) override {
    return RenameCollectionWithMetadata(from, to, nullptr);
  }
  Status RenameCollectionWithMetadata(const std::string& from, const std::string& to,
                                      const Metadata* metadata) override {
    if (metadata != nullptr && !can_stamp_) return Unimplemented("no metadata on rename");
    return Mutate([&] {
      RETURN_IF_ERROR(MemoryStore::RenameCollection(from, to));
      if (metadata != nullptr) info(to).metadata = *metadata;
      return Status::Ok();
    });
  }
  Status DeleteCollection(const std::string& name) override {
    return Mutate([&] { return MemoryStore::DeleteCollection(name); });
  }
  Status Add(const std::string& name, const RecordBatch& records) override {
    return Mutate([&] {
      ASSIGN_OR_RETURN(const int64_t count, Count(name));
      std::set<std::string> held;
      for (int64_t i = 0; i < count; ++i) held.insert(batch(name).id(static_cast<size_t>(i)));
      RecordBatch fresh;
      for (size_t i = 0; i < records.size(); ++i) {
        if (held.insert(records.id(i)).second) fresh.AddFrom(records, i);
      }
      return MemoryStore::Add(name, fresh);
    });
  }

 private:
  template <typename F>
  Status Mutate(F&& change) {
    const bool fail = fail_at_ > 0 && ++mutations_ == fail_at_;
    if (fail && !fail_after_) {
      failed_ = true;
      return IoError(name_ + ": injected failure before mutation " + std::to_string(fail_at_));
    }
    Status s = change();
    if (fail && s.ok()) {
      failed_ = true;
      return IoError(name_ + ": injected failure after mutation " + std::to_string(fail_at_));
    }
    return s;
  }

  std::string name_;
  int fail_at_ = 0;
  bool fail_after_ = false;
  int mutations_ = 0;
  bool failed_ = false;
  bool can_stamp_ = true;
};

// The default Env with a clock the test sets, and that can fail its nth
// RenameFile (every atomic write of a journal or manifest ends in one).
class TestEnv : public EnvWrapper {
 public:
  explicit TestEnv(int64_t now = 1796083200)  // 2026-12-01T00:00:00Z
      : EnvWrapper(Env::Default()), now_(now) {}
  void set_now(int64_t now) { now_ = now; }
  int64_t now() const { return now_; }
  void FailRename(int n) {
    fail_rename_at_ = n;
    renames_ = 0;
    failed_ = false;
  }
  bool failed() const { return failed_; }

  uint64_t NowMicros() override { return static_cast<uint64_t>(now_.load()) * 1000000; }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (fail_rename_at_ > 0 && ++renames_ == fail_rename_at_) {
      failed_ = true;
      return IoError("injected failure renaming " + from);
    }
    return EnvWrapper::RenameFile(from, to);
  }

 private:
  std::atomic<int64_t> now_;
  int fail_rename_at_ = 0;
  int renames_ = 0;
  bool failed_ = false;
};

// `n` records "ID_0".. of dimension 4 with a document and metadata; `salt`
// changes every value, for a store that a migration broke.
inline RecordBatch Records(const std::string& prefix, int n, float salt = 0) {
  RecordBatch batch;
  for (int i = 0; i < n; ++i) {
    Metadata metadata;
    metadata["index"] = static_cast<int64_t>(i);
    metadata["score"] = 0.1 * i + salt;
    metadata["label"] = prefix + (salt == 0 ? "" : "_broken");
    const float embedding[4] = {0.5f + i, -1.25f * i, 3.0f + salt, 1e-3f * i};
    batch.Add(prefix + "_" + std::to_string(i), "document " + std::to_string(i),
              std::move(metadata), embedding, 4);
  }
  return batch;
}

inline CollectionInfo Collection(const std::string& name) {
  CollectionInfo info;
  info.name = name;
  info.space = DistanceSpace::kL2;
  info.dimension = 4;
  info.metadata["owner"] = std::string("tests");
  return info;
}

// Fills `store` with collection `name` holding Records(name, n, salt).
inline void Fill(Store& store, const std::string& name, int n, float salt = 0) {
  ASSERT_TRUE(store.CreateCollection(Collection(name)).ok());
  ASSERT_TRUE(store.Add(name, Records(name, n, salt)).ok());
}

// A snapshot of `source` into `dir`, in pages of 4 records, at env's time.
inline std::string Snapshot(Store& source, const std::string& dir, Env* env) {
  CreateSnapshotOptions options;
  options.snapshot_dir = dir;
  options.page_size = 4;
  options.env = env;
  auto manifest = CreateSnapshot(source, options);
  EXPECT_TRUE(manifest.ok()) << manifest.status().ToString();
  return manifest.ok() ? manifest->snapshot_id : "";
}

// Every record of `collection` in both stores: same ids, documents,
// metadata and embedding bytes.
inline ::testing::AssertionResult SameCollection(Store& a, Store& b,
                                                 const std::string& collection) {
  auto x = ReadAll(a, collection);
  auto y = ReadAll(b, collection);
  if (!x.ok() || !y.ok()) {
    return ::testing::AssertionFailure()
           << collection << ": " << (x.ok() ? y.status() : x.status()).ToString();
  }
  std::map<std::string, size_t> by_id;
  for (size_t i = 0; i < y->size(); ++i) by_id[y->id(i)] = i;
  if (x->size() != y->size()) {
    return ::testing::AssertionFailure()
           << collection << ": " << x->size() << " vs " << y->size() << " records";
  }
  for (size_t i = 0; i < x->size(); ++i) {
    auto it = by_id.find(x->id(i));
    if (it == by_id.end()) return ::testing::AssertionFailure() << "missing " << x->id(i);
    const size_t j = it->second;
    const bool same = x->document(i) == y->document(j) && x->metadata(i) == y->metadata(j) &&
                      x->embedding_size(i) == y->embedding_size(j) &&
                      std::memcmp(x->embedding(i), y->embedding(j),
                                  x->embedding_size(i) * sizeof(float)) == 0;
    if (!same) return ::testing::AssertionFailure() << collection << ": record " << x->id(i);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace vecgate::testutil

#endif  // VECGATE_SNAPSHOT_ROLLBACK_TEST_UTIL_H_
