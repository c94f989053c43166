// Snapshot archive writer and readers.
#include "snapshot/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>

#include "snapshot/sha256.h"
#include "snapshot/tar_format.h"

namespace vecgate {

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The writer syncs after this many bytes, overlapping disk writes with the
// scan instead of flushing the whole archive at the end.
constexpr uint64_t kSyncEveryBytes = 8u << 20;

// Largest member a reader accepts (a page of 65,536 x 4,096 float32 is 1 GiB).
constexpr uint64_t kMaxMemberBytes = uint64_t{2} << 30;

}  // namespace

// ------------------------------------------------------------------ Writer

ArchiveWriter::ArchiveWriter(std::unique_ptr<WritableFile> file,
                             ArchiveWriterOptions options)
    : file_(std::move(file)), options_(options) {
  worker_ = std::thread([this] { Work(); });
}

ArchiveWriter::~ArchiveWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Result<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(
    Env* env, const std::string& path, const ArchiveWriterOptions& options) {
  for (int level : {options.text_level, options.binary_level}) {
    if (level < 0 || level > 12) {
      return InvalidArgument("compression level " + std::to_string(level) +
                             " is outside 0..12");
    }
  }
  ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
  return std::unique_ptr<ArchiveWriter>(
      new ArchiveWriter(std::move(file), options));
}

Status ArchiveWriter::Enqueue(Job job) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] {
    return !error_.ok() || queue_.size() < std::max<size_t>(1, options_.max_queued);
  });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(job));
  changed_.notify_all();
  return Status::Ok();
}

Status ArchiveWriter::Add(std::string_view name, const void* data, size_t size,
                          MemberKind kind) {
  if (finished_) return Internal("ArchiveWriter::Add after Finish");
  Job job;
  job.name = std::string(name);
  job.size = size;
  job.kind = kind;
  job.tar.reserve(kTarBlockSize + size + kTarBlockSize);
  RETURN_IF_ERROR(AppendTarHeader(name, size, options_.mtime_seconds, &job.tar));
  job.tar.append(static_cast<const char*>(data), size);
  job.tar.append(TarPadding(size), '\0');
  return Enqueue(std::move(job));
}

Status ArchiveWriter::Finish(std::string_view name, std::string_view data) {
  if (finished_) return Internal("ArchiveWriter::Finish called twice");
  Job job;
  job.name = std::string(name);
  job.size = data.size();
  job.kind = MemberKind::kText;
  job.last = true;
  RETURN_IF_ERROR(
      AppendTarHeader(name, data.size(), options_.mtime_seconds, &job.tar));
  job.tar.append(data);
  job.tar.append(TarPadding(data.size()) + 2 * kTarBlockSize, '\0');
  RETURN_IF_ERROR(Enqueue(std::move(job)));
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  changed_.notify_all();
  worker_.join();
  RETURN_IF_ERROR(error_);
  RETURN_IF_ERROR(file_->Sync());
  return file_->Close();
}

Status ArchiveWriter::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return !error_.ok() || (queue_.empty() && !busy_); });
  return error_;
}

void ArchiveWriter::Work() {
  libdeflate_compressor* text = libdeflate_alloc_compressor(options_.text_level);
  libdeflate_compressor* binary =
      libdeflate_alloc_compressor(options_.binary_level);
  Sha256 archive_sha;
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) break;
      job = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
      if (!error_.ok()) continue;  // drain without writing
      busy_ = true;
    }
    Status s;
    if (text == nullptr || binary == nullptr) {
      s = Internal("libdeflate could not allocate a compressor");
    } else {
      s = Process(job, text, binary, &archive_sha);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!s.ok() && error_.ok()) error_ = s;
      busy_ = false;
      changed_.notify_all();
    }
  }
  sha256_ = archive_sha.HexDigest();
  libdeflate_free_compressor(text);
  libdeflate_free_compressor(binary);
}

Status ArchiveWriter::Process(Job& job, void* text_compressor,
                              void* binary_compressor, void* archive_sha) {
  auto* archive_hash = static_cast<Sha256*>(archive_sha);
  MemberEntry entry;
  entry.name = job.name;
  entry.size = job.size;
  entry.offset = file_bytes_;
  Clock::time_point start = Clock::now();
  entry.sha256 = Sha256::Of(std::string_view(job.tar).substr(kTarBlockSize, job.size));
  hash_seconds_ += Since(start);

  start = Clock::now();
  auto* compressor = static_cast<libdeflate_compressor*>(
      job.kind == MemberKind::kBinary ? binary_compressor : text_compressor);
  std::string gz(libdeflate_gzip_compress_bound(compressor, job.tar.size()), '\0');
  size_t n = libdeflate_gzip_compress(compressor, job.tar.data(), job.tar.size(),
                                      gz.data(), gz.size());
  if (n == 0) return Internal("libdeflate failed to compress member '" + job.name + "'");
  gz.resize(n);
  compress_seconds_ += Since(start);

  start = Clock::now();
  archive_hash->Update(gz);
  hash_seconds_ += Since(start);
  RETURN_IF_ERROR(file_->Append(gz));
  entry.compressed_size = n;
  file_bytes_ += n;
  // Sync as we go, so the final sync does not wait for the whole archive.
  if (file_bytes_ - synced_bytes_ >= kSyncEveryBytes) {
    RETURN_IF_ERROR(file_->Sync());
    synced_bytes_ = file_bytes_;
  }
  tar_bytes_ += job.tar.size();
  members_.push_back(std::move(entry));
  return Status::Ok();
}

// ------------------------------------------------------------------ Reader

Result<std::unique_ptr<ArchiveReader>> ArchiveReader::Open(Env* env,
                                                            const std::string& path) {
  auto file = env->NewRandomAccessFile(path);
  if (!file.ok()) {
    const std::string msg = "cannot read snapshot archive now: " + file.status().message();
    return file.status().code() == StatusCode::kNotFound ? NotFound(msg) : IoError(msg);
  }
  const uint64_t size = (*file)->size();
  return std::unique_ptr<ArchiveReader>(new ArchiveReader(path, std::move(file).value(), size));
}

Result<std::string> ArchiveReader::ReadMember(const MemberEntry& entry,
                                              bool last) const {
  const std::string where =
      "snapshot archive '" + path_ + "', member '" + entry.name + "'";
  if (entry.offset > file_size_ ||
      entry.compressed_size > file_size_ - entry.offset) {
    return Corruption(where + ": its recorded position lies outside the file (" +
                      std::to_string(file_size_) + " bytes); the archive is "
                      "truncated or does not belong to this manifest");
  }
  // Declared sizes are not trusted: deflate expands at most 1032:1, so a
  // size its compressed bytes cannot produce is refused before anything is
  // allocated, and the output grows only as data actually decompresses.
  const uint64_t expected = kTarBlockSize + entry.size + TarPadding(entry.size) +
                            (last ? 2 * kTarBlockSize : 0);
  if (entry.size > kMaxMemberBytes ||
      expected > entry.compressed_size * kMaxDeflateRatio + kTarBlockSize * 4) {
    return Corruption(where + ": declares " + std::to_string(entry.size) +
                      " bytes, which its " + std::to_string(entry.compressed_size) +
                      " compressed bytes cannot hold; the manifest or index is damaged");
  }
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Internal("zlib could not initialise");
  struct ZCloser {
    z_stream* zs;
    ~ZCloser() { inflateEnd(zs); }
  } zcloser{&zs};
  std::string in(static_cast<size_t>(std::min<uint64_t>(entry.compressed_size, 1 << 20)),
                 '\0');
  std::string tar;
  size_t out_used = 0;
  uint64_t read_done = 0;
  const std::string damaged =
      where + ": compressed data is damaged (gzip CRC, length or deflate stream does "
              "not check out)";
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0) {
      if (read_done >= entry.compressed_size) return Corruption(damaged);
      const size_t want = static_cast<size_t>(
          std::min<uint64_t>(in.size(), entry.compressed_size - read_done));
      size_t n = 0;
      Status read = file_->Read(entry.offset + read_done, want,
                                reinterpret_cast<char*>(in.data()), &n);
      if (!read.ok()) return IoError(where + ": " + read.message());
      if (n == 0) return IoError(where + ": cannot read: unexpected end of file");
      read_done += n;
      zs.next_in = reinterpret_cast<Bytef*>(in.data());
      zs.avail_in = static_cast<uInt>(n);
    }
    if (out_used == tar.size()) {
      // One byte beyond `expected` detects a member longer than declared.
      if (tar.size() > expected) return Corruption(damaged);
      const uint64_t grown = std::max<uint64_t>(64 << 10, 2 * tar.size());
      tar.resize(static_cast<size_t>(std::min<uint64_t>(grown, expected + 1)));
    }
    zs.next_out = reinterpret_cast<Bytef*>(tar.data() + out_used);
    zs.avail_out = static_cast<uInt>(std::min<size_t>(tar.size() - out_used, 1u << 30));
    const uInt before = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    out_used += before - zs.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return Corruption(damaged);
  }
  if (out_used != expected || zs.avail_in != 0 || read_done != entry.compressed_size) {
    return Corruption(damaged);
  }
  tar.resize(out_used);
  TarHeader header;
  bool end = false;
  RETURN_IF_ERROR(ParseTarHeader(tar.data(), where, &header, &end));
  if (end || header.name != entry.name || header.size != entry.size) {
    return Corruption(where + ": tar header names '" + header.name + "' of " +
                      std::to_string(header.size) +
                      " bytes, not the member the manifest records");
  }
  if (last) {
    for (size_t i = expected - 2 * kTarBlockSize; i < expected; ++i) {
      if (tar[i] != '\0') {
        return Corruption(where + ": the end-of-archive blocks are damaged");
      }
    }
  }
  if (Sha256::Of(std::string_view(tar).substr(kTarBlockSize, entry.size)) !=
      entry.sha256) {
    return Corruption(where + ": SHA-256 of the data does not match the "
                      "manifest; the snapshot is damaged");
  }
  tar.erase(0, kTarBlockSize);
  tar.resize(entry.size);
  return tar;
}

// ------------------------------------------------------------ ScanArchive

uint64_t IndexMemberLimit(size_t members_before) {
  return (uint64_t{16} << 20) + (uint64_t{4} << 10) * members_before;
}

namespace {

// One gzip member being decompressed: a tar header, the member's data
// (streamed through SHA-256, kept only up to its limit), its padding, and
// for the last one the two zero blocks that end the archive. Nothing else
// is buffered, so memory does not grow with what a member inflates to.
class StreamedMember {
 public:
  StreamedMember(const std::string& path, uint64_t offset, size_t index,
                 const MemberDataLimit& limit)
      : path_(path), index_(index), limit_fn_(limit) {
    entry_.offset = offset;
    where_ = "snapshot archive '" + path + "' at byte " + std::to_string(offset);
  }

  Status Feed(const char* p, size_t n) {
    while (n > 0) {
      size_t used = 0;
      if (!have_header_) {
        used = std::min(n, kTarBlockSize - header_.size());
        header_.append(p, used);
        if (header_.size() == kTarBlockSize) RETURN_IF_ERROR(ParseHeader());
      } else if (data_seen_ < tar_.size) {
        used = static_cast<size_t>(std::min<uint64_t>(n, tar_.size - data_seen_));
        sha_.Update(p, used);
        if (keep_) data_.append(p, used);
        data_seen_ += used;
      } else if (pad_seen_ < TarPadding(tar_.size)) {
        used = static_cast<size_t>(std::min<uint64_t>(n, TarPadding(tar_.size) - pad_seen_));
        pad_seen_ += used;
      } else {
        used = n;
        for (size_t i = 0; i < n; ++i) trailer_zero_ = trailer_zero_ && p[i] == '\0';
        trailer_ += n;
        if (trailer_ > 2 * kTarBlockSize) return OneMemberOnly();
      }
      p += used;
      n -= used;
    }
    return Status::Ok();
  }

  // At the end of the gzip member: checks it is complete and visits it.
  Status Finish(uint64_t compressed_size, bool* saw_end, const MemberVisitor& visitor) {
    if (*saw_end) return Corruption(where_ + ": data after the end-of-archive blocks");
    if (!have_header_) return Corruption(where_ + ": a gzip member shorter than a tar header");
    if (data_seen_ < tar_.size || pad_seen_ < TarPadding(tar_.size)) {
      return Corruption(where_ + ": member '" + tar_.name + "' is truncated");
    }
    if (trailer_ != 0) {
      // Only the final gzip member may carry more: the two zero end blocks.
      if (trailer_ != 2 * kTarBlockSize) return OneMemberOnly();
      if (!trailer_zero_) return Corruption(where_ + ": the end-of-archive blocks are damaged");
      *saw_end = true;
    }
    entry_.name = tar_.name;
    entry_.size = tar_.size;
    entry_.sha256 = sha_.HexDigest();
    entry_.compressed_size = compressed_size;
    return visitor(entry_, data_);
  }

 private:
  Status ParseHeader() {
    bool end = false;
    RETURN_IF_ERROR(ParseTarHeader(header_.data(), where_, &tar_, &end));
    if (end) {
      return Corruption(where_ + ": not a vecgate snapshot archive (a gzip "
                        "member that starts with the end of the tar archive)");
    }
    have_header_ = true;
    const uint64_t limit = limit_fn_ ? limit_fn_(tar_.name, index_) : UINT64_MAX;
    keep_ = limit > 0;
    if (keep_ && tar_.size > limit) {
      return Corruption(where_ + ": member '" + tar_.name + "' declares " +
                        std::to_string(tar_.size) + " bytes, more than the " +
                        std::to_string(limit) +
                        " a vecgate snapshot of this many members needs; refused");
    }
    return Status::Ok();
  }
  Status OneMemberOnly() const {
    return Corruption(where_ + ": not a vecgate snapshot archive (expected "
                      "one tar member per gzip member)");
  }

  const std::string& path_;
  size_t index_;
  const MemberDataLimit& limit_fn_;
  std::string where_;
  MemberEntry entry_;
  std::string header_;
  TarHeader tar_;
  bool have_header_ = false;
  bool keep_ = false;
  uint64_t data_seen_ = 0;
  uint64_t pad_seen_ = 0;
  uint64_t trailer_ = 0;
  bool trailer_zero_ = true;
  std::string data_;
  Sha256 sha_;
};

}  // namespace

Status ScanArchive(Env* env, const std::string& path, const MemberVisitor& visitor,
                   const MemberDataLimit& limit) {
  auto opened = env->NewSequentialFile(path);
  if (!opened.ok()) {
    const std::string msg = "cannot read snapshot archive now: " + opened.status().message();
    return opened.status().code() == StatusCode::kNotFound ? NotFound(msg) : IoError(msg);
  }
  SequentialFile& file = **opened;
  ASSIGN_OR_RETURN(const uint64_t file_size, env->FileSize(path));
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return Internal("zlib could not initialise");
  }
  struct ZCloser {
    z_stream* zs;
    ~ZCloser() { inflateEnd(zs); }
  } zcloser{&zs};

  // No member may decompress to more than the file could hold (deflate
  // expands at most 1032:1), whatever its header claims.
  const uint64_t max_member =
      std::min<uint64_t>(kMaxMemberBytes, file_size * kMaxDeflateRatio + (64 << 10));
  std::vector<unsigned char> in(1 << 20);
  // Decompressed bytes pass through this window; only the data of members
  // the caller keeps (`limit`) is copied out of it.
  std::vector<char> out(256 << 10);
  std::unique_ptr<StreamedMember> member;
  size_t members = 0;
  uint64_t file_offset = 0;  // bytes of the file read so far
  uint64_t member_start = 0;
  uint64_t member_bytes = 0;  // decompressed bytes of the current member
  bool saw_end = false;
  bool eof = false;
  while (true) {
    if (zs.avail_in == 0 && !eof) {
      size_t n = 0;
      Status read = file.Read(in.size(), reinterpret_cast<char*>(in.data()), &n);
      if (!read.ok()) return IoError("snapshot archive: " + read.message());
      if (n == 0) {
        eof = true;
      } else {
        zs.next_in = in.data();
        zs.avail_in = static_cast<uInt>(n);
        file_offset += static_cast<uint64_t>(n);
      }
    }
    if (zs.avail_in == 0 && eof) break;
    if (member == nullptr) {
      member_start = file_offset - zs.avail_in;
      member_bytes = 0;
      if (++members > kMaxArchiveMembers) {
        return Corruption("snapshot archive '" + path + "' has more than " +
                          std::to_string(kMaxArchiveMembers) +
                          " members; vecgate snapshots never do (2 per page of "
                          "--page-size records), so it is refused");
      }
      member = std::make_unique<StreamedMember>(path, member_start, members - 1, limit);
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = out.size() - zs.avail_out;
    member_bytes += produced;
    if (member_bytes > max_member) {
      return Corruption("snapshot archive '" + path + "' at byte " +
                        std::to_string(member_start) + ": a member larger than " +
                        std::to_string(max_member) + " bytes refused");
    }
    RETURN_IF_ERROR(member->Feed(out.data(), produced));
    if (rc == Z_STREAM_END) {
      const uint64_t compressed = (file_offset - zs.avail_in) - member_start;
      RETURN_IF_ERROR(member->Finish(compressed, &saw_end, visitor));
      member.reset();
      if (inflateReset(&zs) != Z_OK) return Internal("zlib reset failed");
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Corruption("snapshot archive '" + path + "' at byte " +
                        std::to_string(member_start) +
                        ": compressed data is damaged (" +
                        (zs.msg ? zs.msg : "inflate error") + ")");
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && eof) break;
  }
  if (member != nullptr) {
    return Corruption("snapshot archive '" + path +
                      "' is truncated: its last gzip member is incomplete");
  }
  if (!saw_end) {
    return Corruption("snapshot archive '" + path +
                      "' is truncated: it does not end with the "
                      "end-of-archive blocks");
  }
  return Status::Ok();
}

}  // namespace vecgate
