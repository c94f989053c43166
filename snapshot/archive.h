// Snapshot archives: a ustar archive compressed as a sequence of independent
// gzip members, one gzip member per tar member.
//
// Concatenated gzip members are one valid .gz stream, so `tar -xzf` opens
// the archive like any other. Because each tar member is its own gzip member,
// a reader that knows a member's compressed offset and length (the manifest
// records them) decompresses that member alone: scans seek straight to a
// collection, memory is bounded by one member, and members compress on a
// background thread while the next page is fetched. The final gzip member
// holds the last tar member and the two zero blocks that end a tar archive.
//
// Checksums: every member's data has a SHA-256 (of the uncompressed bytes);
// the whole file has one too (of the bytes on disk). Every read checks the
// gzip CRC, the tar header and the member's SHA-256.
//
// Writes go through an Env (core/env.h) so that tests can inject faults.
#ifndef VECGATE_SNAPSHOT_ARCHIVE_H_
#define VECGATE_SNAPSHOT_ARCHIVE_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/env.h"
#include "core/status.h"

namespace vecgate {

// Most members an archive may have (vecgate writes 2 per page of
// --page-size records, 1 per collection and the index); readers refuse more.
inline constexpr size_t kMaxArchiveMembers = 1000000;
// Deflate never expands data more than this; a declared size beyond it is
// refused before anything is allocated.
inline constexpr uint64_t kMaxDeflateRatio = 1032;

// Where one member sits in an archive and what it must hash to.
struct MemberEntry {
  std::string name;
  uint64_t size = 0;          // data bytes (without header and padding)
  std::string sha256;         // of the data, lowercase hex
  uint64_t offset = 0;        // of its gzip member in the archive file
  uint64_t compressed_size = 0;
};

// How a member is compressed: text (JSON) compresses well and is small;
// float32 embeddings compress by only a few per cent at any level and are
// most of the bytes, so they are stored (deflate level 0) by default.
enum class MemberKind { kText, kBinary };

struct ArchiveWriterOptions {
  int text_level = 1;    // libdeflate level for kText members
  int binary_level = 0;  // libdeflate level for kBinary members
  int64_t mtime_seconds = 0;
  size_t max_queued = 2;  // members waiting for the background thread
};

// Writes an archive file. Add() builds the tar member on the caller's thread
// and queues it; one background thread hashes, compresses and appends it.
// Thread safety: Add and Finish from one thread.
class ArchiveWriter {
 public:
  // Creates (truncates) `path` through `env` (not owned).
  static Result<std::unique_ptr<ArchiveWriter>> Create(
      Env* env, const std::string& path, const ArchiveWriterOptions& options);
  ~ArchiveWriter();
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  // Queues a member; waits while max_queued members are pending. Returns the
  // first error of the background thread (the archive is then unusable).
  Status Add(std::string_view name, const void* data, size_t size,
             MemberKind kind);
  Status Add(std::string_view name, std::string_view data, MemberKind kind) {
    return Add(name, data.data(), data.size(), kind);
  }
  // Writes `name` as the last member followed by the end-of-archive blocks,
  // waits for every member, syncs and closes the file.
  Status Finish(std::string_view name, std::string_view data);
  // Waits until every queued member is written; returns the first
  // background error. members() is then complete up to here.
  Status WaitIdle();

  // Valid after Finish: entries in file order (the last one is Finish's).
  const std::vector<MemberEntry>& members() const { return members_; }
  const std::string& sha256() const { return sha256_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint64_t tar_bytes() const { return tar_bytes_; }
  // Seconds the background thread spent compressing / hashing.
  double compress_seconds() const { return compress_seconds_; }
  double hash_seconds() const { return hash_seconds_; }

 private:
  struct Job {
    std::string name;
    std::string tar;  // header + data + padding (+ end blocks when last)
    uint64_t size = 0;
    MemberKind kind = MemberKind::kText;
    bool last = false;
  };
  ArchiveWriter(std::unique_ptr<WritableFile> file, ArchiveWriterOptions options);
  Status Enqueue(Job job);
  void Work();
  Status Process(Job& job, void* text_compressor, void* binary_compressor,
                 void* archive_sha);

  std::unique_ptr<WritableFile> file_;
  ArchiveWriterOptions options_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  bool done_ = false;      // no more jobs will come
  bool busy_ = false;      // the worker is processing a job
  Status error_;           // first background error
  std::thread worker_;
  std::vector<MemberEntry> members_;
  std::string sha256_;
  uint64_t file_bytes_ = 0;
  uint64_t synced_bytes_ = 0;
  uint64_t tar_bytes_ = 0;
  double compress_seconds_ = 0;
  double hash_seconds_ = 0;
  bool finished_ = false;
};

// Reads single members of an archive by their entries. Thread-safe: reads
// are positioned (RandomAccessFile) and decompressors are per call.
class ArchiveReader {
 public:
  // Reads through `env` (NewRandomAccessFile). NotFound / IoError naming
  // the path.
  static Result<std::unique_ptr<ArchiveReader>> Open(Env* env, const std::string& path);

  // Decompresses the member at entry.offset and checks, in order: the gzip
  // CRC and length, the tar header (checksum, name == entry.name, size), the
  // end-of-archive blocks when `last`, and the SHA-256 of the data. Returns
  // the data. Corruption naming the archive and the member on any mismatch.
  // Declared sizes are bounded by the compressed bytes (kMaxDeflateRatio)
  // and the output grows only as data decompresses, so a lying manifest
  // cannot make it allocate more than the file can produce.
  Result<std::string> ReadMember(const MemberEntry& entry,
                                 bool last = false) const;

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }

 private:
  ArchiveReader(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t size)
      : path_(std::move(path)), file_(std::move(file)), file_size_(size) {}
  std::string path_;
  std::unique_ptr<RandomAccessFile> file_;
  uint64_t file_size_;
};

// Called for each member by ScanArchive with its entry (computed from the
// file) and its data. Returning non-OK stops the scan.
using MemberVisitor =
    std::function<Status(const MemberEntry& entry, std::string_view data)>;

// How many bytes of a member's data ScanArchive may keep for the visitor,
// given its name and how many members came before it. 0: none (the visitor
// gets empty data; the entry's size and SHA-256 are still computed as the
// data streams by). A member that declares more than its limit is
// Corruption before anything is kept.
using MemberDataLimit = std::function<uint64_t(const std::string& name, size_t index)>;

// The most an archive's index member (ID/index.json) may hold after
// `members_before` other members: 16 MiB plus 4 KiB a member, far above
// what vecgate writes (a few hundred bytes a member).
uint64_t IndexMemberLimit(size_t members_before);

// Reads the archive from start to end with zlib, one gzip member at a time,
// checking every header, name and CRC, and that the archive ends with the
// end-of-archive blocks and nothing after them. Data is streamed: memory is
// bounded by a 256 KiB window plus the data of the members `limit` keeps
// (every member, when `limit` is empty), never by what a member inflates
// to. Used when a manifest is missing (the index member at the end of every
// archive has the same content) and by `verify --deep`.
Status ScanArchive(Env* env, const std::string& path, const MemberVisitor& visitor,
                   const MemberDataLimit& limit = nullptr);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_ARCHIVE_H_
