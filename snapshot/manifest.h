// Snapshot manifests and the snapshot directory layout (docs/snapshot-format.md).
//
//   DIR/snapshots/ID.tar.gz          the archive (see archive.h)
//   DIR/manifests/ID.json            this manifest
//   DIR/logs/rollback_audit.jsonl    one JSON line per operation
//   DIR/logs/rollback_ID.journal.json  an unfinished rollback (see rollback.h)
//   DIR/.lock                        one operation at a time
//
// Archive members (ID is the snapshot id, K the collection's 4-digit
// position in the snapshot, P the 6-digit page number; names never contain
// the collection's name, so no collection name can steer a path):
//
//   ID/collections/K/records_P.jsonl     {"id","document","metadata"} a line
//   ID/collections/K/embeddings_P.f32    the page's embeddings: raw float32,
//                                        little-endian, row after row (n x d)
//   ID/collections/K/info.json           name, metadata, configuration_json,
//                                        space, dimension, count
//   ID/index.json                        the manifest without the fields that
//                                        depend on the finished file (last)
//
// A record line carries "dim" only when its embedding's length differs from
// the collection's dimension (0: no embedding); such rows are rare and only
// exist in damaged data.
//
// The manifest is data/schemas/manifest.schema.json. It never holds
// credentials: the source store is Store::Describe().
#ifndef VECGATE_SNAPSHOT_MANIFEST_H_
#define VECGATE_SNAPSHOT_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "snapshot/archive.h"

namespace vecgate {

inline constexpr int kManifestFormatVersion = 1;

// One page of a collection: its record lines and its embeddings.
struct ManifestPage {
  int64_t rows = 0;
  MemberEntry records;
  MemberEntry embeddings;
};

struct ManifestCollection {
  CollectionInfo info;
  int64_t count = 0;
  MemberEntry info_member;
  std::vector<ManifestPage> pages;
};

struct Manifest {
  std::string snapshot_id;
  std::string name;          // --name, may be empty
  std::string timestamp;     // ISO 8601 UTC, "2026-11-21T23:57:17Z"
  std::string source_store;  // Describe(): no credentials
  std::string tool_version;
  int64_t total_chunks = 0;  // records ("chunks") in the snapshot
  std::vector<ManifestCollection> collections;

  // Fields that exist only once the archive is complete (absent in the
  // archive's own index member).
  std::string checksum_sha256;  // of the archive file
  uint64_t archive_bytes = 0;
  uint64_t uncompressed_bytes = 0;  // tar bytes before compression
  uint64_t embedding_bytes = 0;     // raw float32 bytes
  // Fraction of the uncompressed size saved: 1 - archive / uncompressed.
  double compression_ratio = 0;
  std::string status = "created";  // created | verified | restored | failed
  std::string retention_until;     // ISO 8601 UTC
  std::string verified_at;         // "" until verified
  std::string restored_at;         // "" until restored
  MemberEntry index_member;

  const ManifestCollection* Find(const std::string& collection) const;
};

// The archive's index member (no file-level fields).
std::string ManifestIndexJson(const Manifest& manifest);
// The manifest file's content.
std::string ManifestJson(const Manifest& manifest);
// Parses either form. Corruption naming `where` and the JSON path for
// anything missing or of the wrong type; InvalidArgument-turned-Corruption
// for unsafe ids, collection names or member names.
Result<Manifest> ParseManifest(const std::string& text, const std::string& where);

// --- Names ---

// OK for ids of the form vecgate produces and any id of 1-128 characters of
// [A-Za-z0-9._-] that does not start with '.'; InvalidArgument otherwise
// ("/", "..", absolute paths, control characters).
Status ValidateSnapshotId(const std::string& id);
// OK for a collection name that is safe to name in files and messages:
// non-empty, no '/', no "..", no control characters. InvalidArgument saying
// which rule is broken.
Status ValidateCollectionName(const std::string& name);

// --- Layout ---

struct SnapshotPaths {
  std::string dir;
  std::string SnapshotsDir() const { return dir + "/snapshots"; }
  std::string ManifestsDir() const { return dir + "/manifests"; }
  std::string LogsDir() const { return dir + "/logs"; }
  std::string Archive(const std::string& id) const {
    return SnapshotsDir() + "/" + id + ".tar.gz";
  }
  std::string Manifest(const std::string& id) const {
    return ManifestsDir() + "/" + id + ".json";
  }
  std::string AuditLog() const { return LogsDir() + "/rollback_audit.jsonl"; }
  std::string LockFile() const { return dir + "/.lock"; }
};

// --snapshot-dir default: $SNAPSHOT_DIR, else "./vecgate_snapshots".
std::string DefaultSnapshotDir();

// Member names (see the top of this file).
std::string CollectionMemberPrefix(const std::string& id, size_t position);
std::string RecordsMemberName(const std::string& id, size_t position, size_t page);
std::string EmbeddingsMemberName(const std::string& id, size_t position, size_t page);
std::string InfoMemberName(const std::string& id, size_t position);
std::string IndexMemberName(const std::string& id);

// --- Time ---

// "2026-11-21T23:57:17Z".
std::string FormatIso8601(int64_t unix_seconds);
// -1 when `text` is not of that form.
int64_t ParseIso8601(const std::string& text);
// "20261121_235717".
std::string FormatCompact(int64_t unix_seconds);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_MANIFEST_H_
