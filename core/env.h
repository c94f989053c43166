// Env: the file-system seam.
//
// Everything vecgate writes to disk (snapshot archives, manifests, reports,
// the audit log) goes through an Env, so that tests can inject faults: fail
// the nth write, refuse a rename, drop data that was never synced. The default
// Env is POSIX. The seam exists for faults, not for replacing real components.
//
// Thread safety: Env::Default() may be used from any thread; a WritableFile
// from one thread at a time.
#ifndef VECGATE_CORE_ENV_H_
#define VECGATE_CORE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace vecgate {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  // Flushes to the operating system and fsyncs.
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// An advisory lock held until it is destroyed or the process dies.
// A file read from start to end (a checksum, a sequential archive scan).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch`; *got is 0 only at the end of the
  // file. IoError naming the file when the read fails.
  virtual Status Read(size_t n, char* scratch, size_t* got) = 0;
};

// A file read at any offset (an archive member by its recorded position).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `scratch`; *got is less than `n`
  // only at the end of the file. IoError naming the file when it fails.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, size_t* got) const = 0;
  // The file's size when it was opened.
  virtual uint64_t size() const = 0;
};

class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  // Creates or truncates `path`.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  // Opens `path` for appending (creating it if needed).
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Read handles, as leveldb's: NotFound for a missing file, IoError for one
  // that cannot be opened or is not a regular file.
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Creates `dir` and its parents; OK if it exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // fsyncs a directory so that renames in it are durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock on `path`, waiting up to `wait_seconds`.
  // Aborted (with who holds it) if still held after that. A lock held by a
  // process that died is released by the kernel.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path,
                                                     double wait_seconds) = 0;
  virtual uint64_t NowMicros() = 0;
};

// Forwards every call to another Env; subclass it to inject faults.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return target_->NewWritableFile(path);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return target_->NewAppendableFile(path);
  }
  Result<std::string> ReadFile(const std::string& path) override {
    return target_->ReadFile(path);
  }
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    return target_->NewSequentialFile(path);
  }
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return target_->NewRandomAccessFile(path);
  }
  bool FileExists(const std::string& path) override {
    return target_->FileExists(path);
  }
  Result<uint64_t> FileSize(const std::string& path) override {
    return target_->FileSize(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return target_->ListDir(dir);
  }
  Status CreateDirs(const std::string& dir) override {
    return target_->CreateDirs(dir);
  }
  Status RemoveFile(const std::string& path) override {
    return target_->RemoveFile(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status SyncDir(const std::string& dir) override {
    return target_->SyncDir(dir);
  }
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path,
                                             double wait_seconds) override {
    return target_->LockFile(path, wait_seconds);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }

 private:
  Env* target_;
};

// Writes `data` to `path` atomically: a temporary file beside it, synced,
// renamed over `path`, directory synced. A crash leaves either the old file
// or the new one, never a half-written one.
Status WriteFileAtomically(Env* env, const std::string& path,
                           std::string_view data);

}  // namespace vecgate

#endif  // VECGATE_CORE_ENV_H_
