// SIGKILL test hooks driven by environment variables.
#include "snapshot/fault_hooks.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace vecgate {

namespace {

long ReadCountdown(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') return 0;
  char* end = nullptr;
  long n = std::strtol(value, &end, 10);
  return (end != nullptr && *end == '\0' && n > 0) ? n : 0;
}

class Countdown {
 public:
  explicit Countdown(long n) : left_(n) {}
  void Tick() {
    if (left_.fetch_sub(1) == 1) ::raise(SIGKILL);
  }

 private:
  std::atomic<long> left_;
};

class KillingFile : public WritableFile {
 public:
  KillingFile(std::unique_ptr<WritableFile> file, Countdown* countdown)
      : file_(std::move(file)), countdown_(countdown) {}
  Status Append(std::string_view data) override {
    countdown_->Tick();
    return file_->Append(data);
  }
  Status Sync() override {
    countdown_->Tick();
    return file_->Sync();
  }
  Status Close() override {
    countdown_->Tick();
    return file_->Close();
  }

 private:
  std::unique_ptr<WritableFile> file_;
  Countdown* countdown_;
};

class KillingEnv : public EnvWrapper {
 public:
  KillingEnv(Env* target, long n) : EnvWrapper(target), countdown_(n) {}
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    countdown_.Tick();
    ASSIGN_OR_RETURN(auto file, target()->NewWritableFile(path));
    return std::unique_ptr<WritableFile>(new KillingFile(std::move(file), &countdown_));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    countdown_.Tick();
    ASSIGN_OR_RETURN(auto file, target()->NewAppendableFile(path));
    return std::unique_ptr<WritableFile>(new KillingFile(std::move(file), &countdown_));
  }
  Status RemoveFile(const std::string& path) override {
    countdown_.Tick();
    return target()->RemoveFile(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    countdown_.Tick();
    return target()->RenameFile(from, to);
  }
  Status SyncDir(const std::string& dir) override {
    countdown_.Tick();
    return target()->SyncDir(dir);
  }

 private:
  Countdown countdown_;
};

class KillingStore : public Store {
 public:
  KillingStore(std::unique_ptr<Store> store, long n)
      : store_(std::move(store)), countdown_(n) {}
  std::string Describe() const override { return store_->Describe(); }
  Result<std::vector<CollectionInfo>> ListCollections() override {
    return store_->ListCollections();
  }
  Result<CollectionInfo> GetCollection(const std::string& name) override {
    return store_->GetCollection(name);
  }
  Result<int64_t> Count(const std::string& c) override { return store_->Count(c); }
  Status Scan(const std::string& c, const ScanOptions& o, const PageSink& s) override {
    return store_->Scan(c, o, s);
  }
  Result<RecordBatch> Get(const std::string& c, const std::vector<std::string>& ids,
                          const Include& include) override {
    return store_->Get(c, ids, include);
  }
  size_t max_name_bytes() const override { return store_->max_name_bytes(); }
  Status CheckSnapshotFaithful(const std::string& c) override {
    return store_->CheckSnapshotFaithful(c);
  }
  Status CheckRestorable(const CollectionInfo& info) override {
    return store_->CheckRestorable(info);
  }
  bool writable() const override { return store_->writable(); }
  Status CreateCollection(const CollectionInfo& info) override {
    return Around([&] { return store_->CreateCollection(info); });
  }
  Status RenameCollection(const std::string& from, const std::string& to) override {
    return Around([&] { return store_->RenameCollection(from, to); });
  }
  Status RenameCollectionWithMetadata(const std::string& from, const std::string& to,
                                      const Metadata* metadata) override {
    return Around([&] { return store_->RenameCollectionWithMetadata(from, to, metadata); });
  }
  Status DeleteCollection(const std::string& name) override {
    return Around([&] { return store_->DeleteCollection(name); });
  }
  Status Add(const std::string& c, const RecordBatch& batch) override {
    return Around([&] { return store_->Add(c, batch); });
  }
  bool can_swap_in_restored() const override { return store_->can_swap_in_restored(); }
  Status SwapInRestored(const std::string& staging, const std::string& name,
                        const std::string& aside, const Metadata* metadata) override {
    return Around([&] { return store_->SwapInRestored(staging, name, aside, metadata); });
  }
  bool can_query() const override { return store_->can_query(); }
  Result<QueryResult> Query(const std::string& c, const float* q, size_t n,
                            size_t dim, size_t k) override {
    return store_->Query(c, q, n, dim, k);
  }

 private:
  template <typename F>
  Status Around(F f) {
    countdown_.Tick();
    Status s = f();
    countdown_.Tick();
    return s;
  }
  std::unique_ptr<Store> store_;
  Countdown countdown_;
};

}  // namespace

Env* EnvFromEnvironment() {
  static Env* env = [] {
    long n = ReadCountdown("VECGATE_FAULT_KILL_AFTER_WRITES");
    if (n == 0) return Env::Default();
    return static_cast<Env*>(new KillingEnv(Env::Default(), n));
  }();
  return env;
}

std::unique_ptr<Store> WrapStoreFromEnvironment(std::unique_ptr<Store> store) {
  long n = ReadCountdown("VECGATE_FAULT_KILL_AFTER_STORE_OPS");
  if (n == 0) return store;
  return std::make_unique<KillingStore>(std::move(store), n);
}

}  // namespace vecgate
