// Test support: an Env that fails reads as a disk with a bad sector would, so
// that tests can prove a read fault is reported (IoError naming the file) and
// never taken for a short or damaged file. Header-only.
#ifndef VECGATE_TESTUTIL_BAD_SECTOR_ENV_H_
#define VECGATE_TESTUTIL_BAD_SECTOR_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "core/env.h"

namespace vecgate {
namespace testutil {

// Once armed, every read of `path` that reaches byte `fail_at` fails with
// IoError "injected read error (bad sector)", through sequential and
// random-access handles alike; other files read normally. Arm it after
// opening to meet the fault part way through a reader's life. Handles must
// not outlive the Env. Used by one thread at a time.
class BadSectorEnv : public EnvWrapper {
 public:
  BadSectorEnv(std::string path, uint64_t fail_at, bool armed = true)
      : EnvWrapper(Env::Default()),
        path_(std::move(path)),
        fail_at_(fail_at),
        armed_(armed) {}

  void Arm() { armed_ = true; }
  // Reads of `path` that failed so far.
  int failed_reads() const { return failed_reads_; }
  // Sequential handles opened on `path` (a reader that should use only
  // random-access ones can check this is 0).
  int sequential_opens() const { return sequential_opens_; }

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    ASSIGN_OR_RETURN(auto file, target()->NewSequentialFile(path));
    if (path != path_) return file;
    ++sequential_opens_;
    return std::unique_ptr<SequentialFile>(new Sequential(std::move(file), this));
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    ASSIGN_OR_RETURN(auto file, target()->NewRandomAccessFile(path));
    if (path != path_) return file;
    return std::unique_ptr<RandomAccessFile>(new Random(std::move(file), this));
  }

 private:
  // True (and counted) when a read of [offset, offset + n) meets the fault.
  bool Fails(uint64_t offset, size_t n) {
    if (!armed_ || offset + n <= fail_at_) return false;
    ++failed_reads_;
    return true;
  }

  class Sequential : public SequentialFile {
   public:
    Sequential(std::unique_ptr<SequentialFile> f, BadSectorEnv* env)
        : f_(std::move(f)), env_(env) {}
    Status Read(size_t n, char* scratch, size_t* got) override {
      if (env_->Fails(offset_, n)) return IoError("injected read error (bad sector)");
      RETURN_IF_ERROR(f_->Read(n, scratch, got));
      offset_ += *got;
      return Status::Ok();
    }

   private:
    std::unique_ptr<SequentialFile> f_;
    BadSectorEnv* env_;
    uint64_t offset_ = 0;
  };
  class Random : public RandomAccessFile {
   public:
    Random(std::unique_ptr<RandomAccessFile> f, BadSectorEnv* env)
        : f_(std::move(f)), env_(env) {}
    Status Read(uint64_t offset, size_t n, char* scratch,
                size_t* got) const override {
      if (env_->Fails(offset, n)) return IoError("injected read error (bad sector)");
      return f_->Read(offset, n, scratch, got);
    }
    uint64_t size() const override { return f_->size(); }

   private:
    std::unique_ptr<RandomAccessFile> f_;
    BadSectorEnv* env_;
  };

  std::string path_;
  uint64_t fail_at_;
  bool armed_;
  int failed_reads_ = 0;
  int sequential_opens_ = 0;
};

}  // namespace testutil
}  // namespace vecgate

#endif  // VECGATE_TESTUTIL_BAD_SECTOR_ENV_H_
