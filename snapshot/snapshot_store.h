// The snapshot: store: a vecgate snapshot archive read as a Store, so that
// `validate --old snapshot:ID` checks a migration against the pre-migration
// state even when the old server is gone.
//
//   snapshot:ID                    DIR/snapshots/ID.tar.gz with DIR from
//                                  OpenOptions.snapshot_dir, else
//                                  $SNAPSHOT_DIR, else ./vecgate_snapshots
//   snapshot:PATH/TO/ARCHIVE.tar.gz  any archive; its manifest is looked for
//                                  at PATH/TO/../manifests/NAME.json, and
//                                  when missing the archive's own index
//                                  member is read (one sequential pass)
//
// Opening checks the archive's SHA-256 against the manifest and refuses a
// damaged archive (Corruption). Reads are streamed: Scan decompresses one
// page member pair at a time (memory bounded by a page, not the archive) and
// checks each member's SHA-256 as it reads. Get scans the collection. The
// store is read-only.
//
// Thread safety: one thread at a time, like every Store.
#ifndef VECGATE_SNAPSHOT_SNAPSHOT_STORE_H_
#define VECGATE_SNAPSHOT_SNAPSHOT_STORE_H_

#include <memory>
#include <string>

#include "core/store.h"
#include "snapshot/archive.h"
#include "snapshot/manifest.h"

namespace vecgate {

class SnapshotStore : public Store {
 public:
  // Opens an archive with a known manifest (not re-verified: the caller
  // has checked it). NotFound / IoError for the file.
  static Result<std::unique_ptr<SnapshotStore>> OpenVerified(
      Env* env, const std::string& archive_path, Manifest manifest);

  std::string Describe() const override;
  Result<std::vector<CollectionInfo>> ListCollections() override;
  Result<CollectionInfo> GetCollection(const std::string& name) override;
  Result<int64_t> Count(const std::string& collection) override;
  Status Scan(const std::string& collection, const ScanOptions& options,
              const PageSink& sink) override;
  // Get reads the collection's member once, whatever the number of ids.
  size_t get_batch_size() const override { return size_t{1} << 20; }
  Result<RecordBatch> Get(const std::string& collection,
                          const std::vector<std::string>& ids,
                          const Include& include) override;

  const Manifest& manifest() const { return manifest_; }

  // Decodes page `page` of `collection` (checks member checksums).
  Status ReadPage(const ManifestCollection& collection, size_t page,
                  const Include& include, RecordBatch* out) const;

 private:
  SnapshotStore(std::unique_ptr<ArchiveReader> reader, Manifest manifest)
      : reader_(std::move(reader)), manifest_(std::move(manifest)) {}
  Result<const ManifestCollection*> Find(const std::string& name) const;

  std::unique_ptr<ArchiveReader> reader_;
  Manifest manifest_;
};

// OpenStore's entry point for "snapshot:...". InvalidArgument for an unsafe
// id, NotFound (with the directory searched) for a missing snapshot,
// Corruption for a damaged archive or manifest.
Result<std::unique_ptr<Store>> OpenSnapshotStore(const std::string& uri,
                                                 const OpenOptions& options);

// Registers "snapshot:" with OpenStore. Call once at start-up, after
// RegisterBuiltinStores (cli/main.cc, test and benchmark mains).
void RegisterSnapshotStore();

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_SNAPSHOT_STORE_H_
