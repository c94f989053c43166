// Snapshot operations on a snapshot directory: create, list, verify, info
// (LoadManifest) and cleanup (docs/snapshot-format.md; layout in manifest.h).
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
// --lock-wait is 0 to this many seconds (a day); anything else is refused.
inline constexpr double kMaxLockWaitSeconds = 86400;
// --name: printable UTF-8 of at most this many bytes.
inline constexpr size_t kMaxSnapshotNameBytes = 256;

// InvalidArgument for a --lock-wait that is negative, not a number or above
// kMaxLockWaitSeconds.
Status ValidateLockWait(double seconds);
// InvalidArgument for a --name that is not printable UTF-8 or too long.
Status ValidateSnapshotName(const std::string& name);

// Takes DIR/.lock (creating DIR). InvalidArgument for a wait that
// ValidateLockWait refuses. Aborted with the holder's pid and what to
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

// The manifest of `id` (an exact id, "latest" or a unique prefix; see
// ResolveSnapshotId): InvalidArgument for an unsafe id or an ambiguous
// prefix, NotFound (saying to run `vecgate snapshot list`) when it does not
// exist, Corruption naming the file when it does not parse.
Result<Manifest> LoadManifest(Env* env, const std::string& dir, const std::string& id);

// Checks an archive against its manifest: size and whole-file SHA-256, that
// the manifest matches the archive's own copy (CheckManifestCopy), and
// with `deep` every member (gzip CRC, tar header, member SHA-256, the record
// lines and float32 blocks decode) plus a sequential pass that proves a tar
// reader sees exactly the manifest's members. Corruption saying what is
// damaged; nothing is written.
Status CheckArchive(Env* env, const Manifest& manifest, const std::string& archive_path,
                    bool deep);

// The manifest file against the archive's own copy of it (the index member
// ID/index.json, covered by the archive's SHA-256): snapshot id, source
// store, timestamp, every collection's name, metadata, configuration, space
// and dimension, counts, pages and members must agree. Corruption naming
// the first difference (an edited manifest must not redirect a rollback);
// OK without reading anything when the manifest names no index member (an
// older archive without the copy: callers that need the check refuse then).
// The archive's checksum must have been checked first (CheckArchive does).
Status CheckManifestCopy(Env* env, const Manifest& manifest, const std::string& archive_path);

// One entry of `list`: usable snapshots have a parsed manifest, an archive of
// the recorded size and a status other than "failed" (the status is a cache
// of the last verification; `verify` and `cleanup` check the bytes again). Everything else found
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

// Verifies `id` (an id, "latest" or a unique prefix; CheckArchive) under the lock and records the outcome in
// the manifest: status "verified" (a "restored" snapshot keeps its status)
// with verified_at, or "failed" when the bytes fail their checksum now
// (Corruption). A file that cannot be read (NotFound, IoError) is
// "unreadable": the error is returned and the status is left as it was.
// Returns the updated manifest, or the error.
Result<Manifest> VerifySnapshot(const std::string& dir, const std::string& id,
                                const VerifyOptions& options);

// Rewrites the manifest of `id` with `status` (and restored_at/verified_at
// when given). The caller holds the lock.
Status UpdateManifestStatus(Env* env, const std::string& dir,
                            const std::string& id, const std::string& status,
                            const std::string& restored_at = "",
                            const std::string& verified_at = "");

// Rebuilds the manifest of an archive from its own index member (one
// sequential pass that checks every member), with the file-level fields
// computed from the file and status "created". `expected_id` (when not
// empty) must be the snapshot the archive holds. Corruption naming the file
// when it is not a complete vecgate snapshot; NotFound / IoError when it
// cannot be read.
Result<Manifest> RebuildManifest(Env* env, const std::string& archive_path,
                                 const std::string& expected_id,
                                 int retention_days = kDefaultRetentionDays);

// What a user typed for a snapshot: an exact id, "latest" (the newest
// snapshot with a manifest) or a unique prefix of an id. NotFound when
// nothing matches; InvalidArgument listing the candidates when a prefix is
// ambiguous, or for an unsafe id.
Result<std::string> ResolveSnapshotId(Env* env, const std::string& dir,
                                      const std::string& text);

struct DeleteSnapshotOptions {
  bool dry_run = false;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  Env* env = Env::Default();
  // Asked with the manifest before anything is deleted (not for dry runs);
  // false cancels (Aborted). Empty: proceed.
  std::function<bool(const Manifest&)> confirm;
};

// Deletes one snapshot (manifest, then archive) under the lock and records
// it in the audit log. `id` may be "latest" or a unique prefix. Returns the
// id deleted. FailedPrecondition while an unfinished rollback of it is
// pending; Aborted when not confirmed.
Result<std::string> DeleteSnapshot(const std::string& dir, const std::string& id,
                                   const DeleteSnapshotOptions& options);

struct CleanupOptions {
  int retention_days = kDefaultRetentionDays;
  int keep = kDefaultKeepSnapshots;
  // When given, aside collections of finished rollbacks into this store
  // (by Describe()) whose retention has passed are deleted too.
  Store* store = nullptr;
  bool dry_run = false;
  // Delete damaged snapshots and pieces that cannot be rebuilt instead of
  // keeping / quarantining them.
  bool force = false;
  double lock_wait_seconds = kDefaultLockWaitSeconds;
  Env* env = Env::Default();
};

// Why cleanup keeps or removes one snapshot or piece.
struct CleanupDecision {
  std::string id;
  std::string action;  // keep | remove | quarantine
  std::string reason;
};

struct CleanupResult {
  std::vector<std::string> removed_snapshots;   // expired or beyond --keep
  std::vector<std::string> removed_incomplete;  // paths of partial pieces
  std::vector<std::string> kept;
  std::vector<std::string> removed_aside_collections;
  std::vector<std::string> quarantined;  // paths moved to DIR/quarantine
  std::vector<std::string> rebuilt;      // ids whose manifest was rebuilt
  std::vector<std::string> rechecked;    // "failed" snapshots that pass now
  std::vector<std::string> damaged;      // fail their checksum now
  std::vector<std::string> unreadable;   // could not be read: kept
  std::vector<std::string> kept_aside_collections;  // named, but not proven ours
  std::vector<std::string> warnings;     // unreadable journals, unproven asides
  std::vector<CleanupDecision> decisions;  // one per snapshot or piece
};

// One usable snapshot as retention sees it.
struct RetentionCandidate {
  std::string id;
  std::string timestamp;  // the manifest's, ISO 8601 UTC
  std::string status;     // the manifest's (after this cleanup rechecked it)
  std::string note;       // appended to a keep reason ("; its manifest was rebuilt ...")
};

// The retention rule alone, on snapshots already known to be usable: newest
// first (by timestamp, then id), the newest and the newest verified (or
// restored) are kept whatever their age; the others are kept while within
// `retention_days` of `now` (unix seconds) and among the `keep` newest, and
// removed otherwise. One decision per candidate, newest first, with the
// reason cleanup prints. Reads and changes nothing.
std::vector<CleanupDecision> DecideRetention(std::vector<RetentionCandidate> usable,
                                             int64_t now, int retention_days, int keep);

// Retention: a usable snapshot is removed when it is older than
// retention_days or not among the `keep` newest; the newest verified (or
// restored) snapshot and the newest usable one are never removed.
// Everything else is judged by its bytes, never by a cached status:
//   - a snapshot whose last verification failed but whose checksum passes
//     now is usable again (its status is refreshed);
//   - a damaged one (checksum fails now) is kept unless `force`;
//   - one that cannot be read now is kept;
//   - an archive without a readable manifest gets its manifest rebuilt from
//     the archive; when that fails, it is moved to DIR/quarantine (deleted
//     only with `force`), as are other leftover pieces.
// With a store, expired aside collections of finished rollbacks are deleted,
// each only when the collection proves vecgate set it aside (its name has
// the aside form and its metadata the rollback's stamp; CheckAsideStamp).
Result<CleanupResult> CleanupSnapshots(const std::string& dir,
                                       const CleanupOptions& options);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_SNAPSHOT_H_
