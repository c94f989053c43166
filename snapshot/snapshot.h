// Snapshot operations on a snapshot directory: create, list, verify, info
// (LoadManifest) and cleanup (SPEC.md section 7; layout in manifest.h).
//
// Safety: every operation that writes takes DIR/.lock (Env::LockFile; the
// kernel drops it when its process dies), waiting at most lock_wait_seconds
// and then failing with Aborted naming the holder's pid. An archive is
// written to ID.tar.gz.tmp through the Env, synced, read back and checked
// against the SHA-256 computed while writing, renamed, and only then is its
// manifest written (atomically). So a crash at any point leaves either a
// complete snapshot or pieces that `list` reports as incomplete and
// `cleanup` removes; never a manifest whose archive is unfinished.
//
// Thread safety: functions may run concurrently on different directories;
// on one directory the lock serialises writers across processes.
#ifndef VECGATE_SNAPSHOT_SNAPSHOT_H_
#define VECGATE_SNAPSHOT_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/status.h"
#include "core/store.h"
#include "snapshot/archive.h"
#include "snapshot/manifest.h"

namespace vecgate {

inline constexpr int kDefaultRetentionDays = 7;
inline constexpr int kDefaultKeepSnapshots = 7;
inline constexpr double kDefaultLockWaitSeconds = 10;

// Takes DIR/.lock (creating DIR). Aborted with the holder's pid and what to
// do when another process keeps it longer than `wait_seconds`.
Result<std::unique_ptr<FileLock>> LockSnapshotDir(Env* env, const std::string& dir,
                                                  double wait_seconds);

// Progress: collection, records done, records expected.
using SnapshotProgress =
    std::function<void(const std::string& collection, int64_t done, int64_t total)>;

struct CreateSnapshotOptions {
  std::string snapshot_dir;
  std::string name;                      // free text, recorded in the manifest
  std::vector<std::string> collections;  // empty: every collection
  size_t page_size = 1000;               // records per page member pair
  int retention_days = kDefaultRetentionDays;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  ArchiveWriterOptions archive;
  Env* env = Env::Default();
  SnapshotProgress progress;  // may be empty
};

// Where the time of a create went (for the benchmark and --json output).
struct CreateStats {
  double total_seconds = 0;
  double compress_seconds = 0;  // background thread
  double hash_seconds = 0;      // background thread
  double readback_seconds = 0;  // re-reading the archive to check it
};

// Streams every (or each named) collection of `store` into a new snapshot
// and returns its manifest (status "created"). Errors: InvalidArgument for
// unsafe collection names or options, NotFound for a named collection the
// store lacks, the store's error naming the collection, IoError from the
// file system, Aborted when the directory is locked. On error nothing usable
// is left behind (the temporary archive is removed when possible).
Result<Manifest> CreateSnapshot(Store& store, const CreateSnapshotOptions& options,
                                CreateStats* stats = nullptr);

// The manifest of `id`: InvalidArgument for an unsafe id, NotFound (saying
// to run `vecgate snapshot list`) when it does not exist, Corruption when it
// does not parse.
Result<Manifest> LoadManifest(Env* env, const std::string& dir, const std::string& id);

// Checks an archive against its manifest: size and whole-file SHA-256, and
// with `deep` every member (gzip CRC, tar header, member SHA-256, the record
// lines and float32 blocks decode) plus a sequential pass that proves a tar
// reader sees exactly the manifest's members. Corruption saying what is
// damaged; nothing is written.
Status CheckArchive(const Manifest& manifest, const std::string& archive_path,
                    bool deep);

// One entry of `list`: usable snapshots have a parsed manifest, an archive of
// the recorded size and a status other than "failed". Everything else found
// in the directory (orphan archives, temporary files, manifests without an
// archive) is listed as not usable with the problem.
struct SnapshotListing {
  std::string id;
  bool usable = false;
  std::string problem;  // why not usable
  std::optional<Manifest> manifest;
  std::vector<std::string> paths;  // files that belong to this entry
};

// Entries sorted by id (ids sort by time). IoError if the directory cannot
// be read; a missing directory lists nothing.
Result<std::vector<SnapshotListing>> ListSnapshots(Env* env, const std::string& dir);

struct VerifyOptions {
  bool deep = false;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  Env* env = Env::Default();
};

// Verifies `id` (CheckArchive) under the lock and records the outcome in
// the manifest: status "verified" (a "restored" snapshot keeps its status)
// with verified_at, or "failed". Returns the updated manifest, or the
// Corruption that made it fail.
Result<Manifest> VerifySnapshot(const std::string& dir, const std::string& id,
                                const VerifyOptions& options);

// Rewrites the manifest of `id` with `status` (and restored_at/verified_at
// when given). The caller holds the lock.
Status UpdateManifestStatus(Env* env, const std::string& dir,
                            const std::string& id, const std::string& status,
                            const std::string& restored_at = "",
                            const std::string& verified_at = "");

struct CleanupOptions {
  int retention_days = kDefaultRetentionDays;
  int keep = kDefaultKeepSnapshots;
  // When given, aside collections of finished rollbacks into this store
  // (by Describe()) whose retention has passed are deleted too.
  Store* store = nullptr;
  bool dry_run = false;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  Env* env = Env::Default();
};

struct CleanupResult {
  std::vector<std::string> removed_snapshots;   // expired or beyond --keep
  std::vector<std::string> removed_incomplete;  // paths of partial pieces
  std::vector<std::string> kept;
  std::vector<std::string> removed_aside_collections;
};

// Retention: a usable snapshot is removed when it is older than
// retention_days or not among the `keep` newest; the newest verified (or
// restored) snapshot and the newest usable one are never removed. Incomplete
// pieces are removed. With a store, expired aside collections are deleted.
Result<CleanupResult> CleanupSnapshots(const std::string& dir,
                                       const CleanupOptions& options);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_SNAPSHOT_H_
