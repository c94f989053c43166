// Snapshot create / list / verify / cleanup.
#include "snapshot/snapshot.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "codec/record_json.h"
#include "snapshot/audit_log.h"
#include "snapshot/journal.h"
#include "snapshot/record_codec.h"
#include "snapshot/rollback.h"
#include "snapshot/sha256.h"
#include "snapshot/tar_format.h"
#include "core/text.h"

namespace vecgate {

using Json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t NowSeconds(Env* env) { return static_cast<int64_t>(env->NowMicros() / 1000000); }

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The members of a snapshot in file order, as the manifest records them.
std::vector<const MemberEntry*> MembersInOrder(const Manifest& m) {
  std::vector<const MemberEntry*> out;
  for (const auto& c : m.collections) {
    for (const auto& p : c.pages) {
      out.push_back(&p.records);
      out.push_back(&p.embeddings);
    }
    out.push_back(&c.info_member);
  }
  out.push_back(&m.index_member);
  return out;
}

// The rules a validation's reads follow (harness/read_consistency.h), for
// a snapshot: the collection's count and change marker are the same after
// the scan as before it, and an id the scan read twice is held twice by the
// store (asked again by id). Otherwise the store was written during the
// snapshot, and the archive would hold no state it ever had.
Status CheckSnapshotRead(Store& store, const std::string& collection, int64_t count_before,
                         const std::string& marker_before,
                         const std::vector<std::string>& repeated) {
  const std::string what = "collection '" + Printable(collection, true) + "' of " +
                           store.Describe() + " changed while the snapshot read it (";
  const std::string retry = "); nothing was kept. Retry when nothing writes to the store";
  ASSIGN_OR_RETURN(const int64_t count_after, store.Count(collection));
  if (count_after != count_before) {
    return Corruption(what + "count " + std::to_string(count_before) + " before the scan, " +
                      std::to_string(count_after) + " after" + retry);
  }
  ASSIGN_OR_RETURN(const std::string marker_after, store.ChangeMarker(collection));
  if (marker_after != marker_before) {
    return Corruption(what + marker_before + " before, " + marker_after + " after" + retry);
  }
  if (repeated.empty()) return Status::Ok();
  Include ids_only;
  ids_only.documents = false;
  ids_only.metadatas = false;
  ids_only.embeddings = false;
  ASSIGN_OR_RETURN(RecordBatch held, store.Get(collection, repeated, ids_only));
  std::map<std::string, int> times;
  for (const auto& held_id : held.ids()) ++times[held_id];
  for (const auto& record_id : repeated) {
    if (times[record_id] < 2) {
      return Corruption(what + "id '" + Printable(record_id, true) + "' read twice, held " +
                        std::to_string(times[record_id]) + " time(s)" + retry);
    }
  }
  return Status::Ok();
}

Status CreateInto(Store& store, const CreateSnapshotOptions& options,
                  const std::string& id, const std::string& tmp,
                  int64_t now, Manifest* m, CreateStats* stats) {
  Env* env = options.env;
  size_t pages_written = 0;
  std::vector<CollectionInfo> infos;
  if (options.collections.empty()) {
    ASSIGN_OR_RETURN(infos, store.ListCollections());
  } else {
    std::set<std::string> seen;
    for (const auto& name : options.collections) {
      RETURN_IF_ERROR(ValidateCollectionName(name));
      if (!seen.insert(name).second) continue;
      auto info = store.GetCollection(name);
      if (!info.ok()) {
        return info.status().WithContext("--collections names '" + name + "'");
      }
      infos.push_back(std::move(*info));
    }
  }
  for (const auto& info : infos) {
    Status valid = ValidateCollectionName(info.name);
    if (!valid.ok()) {
      return valid.WithContext(store.Describe() +
                               " has a collection vecgate cannot snapshot safely");
    }
    // A snapshot that could not restore the collection as it is would make
    // a later rollback lose data: refused before the archive is begun.
    Status faithful = store.CheckSnapshotFaithful(info.name);
    if (!faithful.ok()) {
      return faithful.WithContext("cannot snapshot collection '" + info.name +
                                  "' faithfully; no snapshot was written");
    }
  }
  ArchiveWriterOptions archive_options = options.archive;
  archive_options.mtime_seconds = now;
  ASSIGN_OR_RETURN(auto writer, ArchiveWriter::Create(env, tmp, archive_options));

  // Page member names -> where their entries go once written.
  std::vector<std::pair<std::string, MemberEntry*>> pending_entries;
  m->collections.reserve(infos.size());
  std::string lines, embeddings;
  for (size_t k = 0; k < infos.size(); ++k) {
    m->collections.emplace_back();
    ManifestCollection& mc = m->collections.back();
    mc.info = infos[k];
    ASSIGN_OR_RETURN(const int64_t expected, store.Count(mc.info.name));
    ASSIGN_OR_RETURN(const std::string marker_before, store.ChangeMarker(mc.info.name));
    // Ids read twice in this scan (by hash; each is asked for again below).
    std::unordered_set<size_t> seen;
    std::vector<std::string> repeated;
    int64_t dimension = mc.info.dimension;
    ScanOptions scan;
    scan.page_size = options.page_size;
    Status s = store.Scan(mc.info.name, scan, [&](RecordBatch& page) -> Status {
      if (page.empty()) return Status::Ok();
      for (const std::string& record_id : page.ids()) {
        if (!seen.insert(std::hash<std::string>()(record_id)).second &&
            repeated.size() < 1000) {
          repeated.push_back(record_id);
        }
      }
      if (dimension == 0) dimension = static_cast<int64_t>(page.embedding_size(0));
      lines.clear();
      embeddings.clear();
      RETURN_IF_ERROR(EncodePage(page, dimension, &lines, &embeddings));
      const size_t page_no = mc.pages.size();
      if (2 * ++pages_written + infos.size() + 1 > kMaxArchiveMembers) {
        return InvalidArgument("the snapshot would need more than " +
                               std::to_string(kMaxArchiveMembers) +
                               " archive members; use a larger --page-size");
      }
      ManifestPage mp;
      mp.rows = static_cast<int64_t>(page.size());
      mp.records.name = RecordsMemberName(id, k, page_no);
      mp.embeddings.name = EmbeddingsMemberName(id, k, page_no);
      RETURN_IF_ERROR(writer->Add(mp.records.name, lines, MemberKind::kText));
      RETURN_IF_ERROR(writer->Add(mp.embeddings.name, embeddings, MemberKind::kBinary));
      mc.count += mp.rows;
      m->embedding_bytes += embeddings.size();
      mc.pages.push_back(std::move(mp));
      if (options.progress) options.progress(mc.info.name, mc.count, expected);
      return Status::Ok();
    });
    if (!s.ok()) return s.WithContext("snapshot of collection '" + mc.info.name + "'");
    RETURN_IF_ERROR(CheckSnapshotRead(store, mc.info.name, expected, marker_before, repeated));
    if (mc.count != expected) {
      return Corruption("collection '" + mc.info.name + "' of " + store.Describe() +
                        " counted " + std::to_string(expected) +
                        " records but the scan returned " + std::to_string(mc.count) +
                        "; was it written to during the snapshot? Retry when "
                        "nothing writes to the store");
    }
    mc.info.dimension = dimension;
    Json info = CollectionInfoToJson(mc.info);
    info["configuration_json"] = mc.info.configuration_json;
    info["count"] = mc.count;
    mc.info_member.name = InfoMemberName(id, k);
    RETURN_IF_ERROR(writer->Add(mc.info_member.name, DumpJson(info, 2) + "\n", MemberKind::kText));
    m->total_chunks += mc.count;
  }
  RETURN_IF_ERROR(writer->WaitIdle());
  {
    std::map<std::string, MemberEntry> by_name;
    for (const auto& e : writer->members()) by_name[e.name] = e;
    for (auto& mc : m->collections) {
      for (auto& p : mc.pages) {
        p.records = by_name[p.records.name];
        p.embeddings = by_name[p.embeddings.name];
      }
      mc.info_member = by_name[mc.info_member.name];
    }
  }
  RETURN_IF_ERROR(writer->Finish(IndexMemberName(id), ManifestIndexJson(*m)));
  m->index_member = writer->members().back();
  m->checksum_sha256 = writer->sha256();
  m->archive_bytes = writer->file_bytes();
  m->uncompressed_bytes = writer->tar_bytes();
  m->compression_ratio =
      m->uncompressed_bytes == 0
          ? 0
          : 1.0 - static_cast<double>(m->archive_bytes) /
                      static_cast<double>(m->uncompressed_bytes);
  if (stats != nullptr) {
    stats->compress_seconds = writer->compress_seconds();
    stats->hash_seconds = writer->hash_seconds();
  }
  // Read the synced file back: what is on disk must be what was hashed.
  Clock::time_point start = Clock::now();
  ASSIGN_OR_RETURN(std::string on_disk, FileSha256(env, tmp));
  if (stats != nullptr) stats->readback_seconds = Since(start);
  if (on_disk != m->checksum_sha256) {
    return IoError("snapshot archive '" + tmp +
                   "' reads back with a different SHA-256 than was written; "
                   "check the disk and retry");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateLockWait(double seconds) {
  if (!(seconds >= 0) || seconds > kMaxLockWaitSeconds) {
    char shown[64];
    std::snprintf(shown, sizeof(shown), "%g", seconds);
    return InvalidArgument(std::string("--lock-wait ") + shown +
                           " is out of range: give 0 to " +
                           std::to_string(static_cast<int>(kMaxLockWaitSeconds)) +
                           " seconds (0: do not wait)");
  }
  return Status::Ok();
}

Status ValidateSnapshotName(const std::string& name) {
  if (name.size() > kMaxSnapshotNameBytes) {
    return InvalidArgument("--name is " + std::to_string(name.size()) +
                           " bytes long; at most " + std::to_string(kMaxSnapshotNameBytes) +
                           " are allowed");
  }
  if (!IsValidUtf8(name)) {
    return InvalidArgument("--name '" + Printable(name, true) +
                           "' is not valid UTF-8; give a name of printable UTF-8 text");
  }
  if (Printable(name, true) != name) {
    return InvalidArgument("--name '" + Printable(name, true) +
                           "' contains control characters; give a name of printable text");
  }
  return Status::Ok();
}

Result<std::unique_ptr<FileLock>> LockSnapshotDir(Env* env, const std::string& dir,
                                                  double wait_seconds) {
  RETURN_IF_ERROR(ValidateLockWait(wait_seconds));
  RETURN_IF_ERROR(env->CreateDirs(dir));
  auto lock = env->LockFile(SnapshotPaths{dir}.LockFile(), wait_seconds);
  if (!lock.ok()) {
    if (lock.status().code() == StatusCode::kAborted) {
      return Aborted("snapshot directory '" + dir + "' is busy: " +
                     lock.status().message() +
                     " (or pass --lock-wait SECONDS to wait longer)");
    }
    return lock.status();
  }
  return lock;
}

Result<Manifest> CreateSnapshot(Store& store, const CreateSnapshotOptions& options,
                                CreateStats* stats) {
  Clock::time_point started = Clock::now();
  Env* env = options.env;
  if (options.page_size == 0) return InvalidArgument("--page-size must be at least 1");
  if (options.retention_days < 0) return InvalidArgument("--retention-days must be >= 0");
  RETURN_IF_ERROR(ValidateSnapshotName(options.name));
  const SnapshotPaths paths{options.snapshot_dir};
  ASSIGN_OR_RETURN(auto lock, LockSnapshotDir(env, paths.dir, options.lock_wait_seconds));
  RETURN_IF_ERROR(env->CreateDirs(paths.SnapshotsDir()));
  RETURN_IF_ERROR(env->CreateDirs(paths.ManifestsDir()));
  RETURN_IF_ERROR(env->CreateDirs(paths.LogsDir()));

  const int64_t now = NowSeconds(env);
  const std::string base = "snapshot_" + FormatCompact(now);
  std::string id = base;
  for (int n = 2;; ++n) {
    if (!env->FileExists(paths.Archive(id)) &&
        !env->FileExists(paths.Archive(id) + ".tmp") &&
        !env->FileExists(paths.Manifest(id))) {
      break;
    }
    id = base + "_" + std::to_string(n);
  }
  const std::string tmp = paths.Archive(id) + ".tmp";

  Manifest m;
  m.snapshot_id = id;
  m.name = options.name;
  m.timestamp = FormatIso8601(now);
  m.source_store = store.Describe();
  m.tool_version = VECGATE_VERSION;
  m.retention_until =
      FormatIso8601(now + static_cast<int64_t>(options.retention_days) * 86400);

  Status s = CreateInto(store, options, id, tmp, now, &m, stats);
  if (s.ok()) s = env->RenameFile(tmp, paths.Archive(id));
  if (s.ok()) s = env->SyncDir(paths.SnapshotsDir());
  if (s.ok()) {
    m.status = "created";
    s = WriteFileAtomically(env, paths.Manifest(id), ManifestJson(m));
  }
  AuditEntry audit;
  audit.action = "snapshot_create";
  audit.snapshot_id = id;
  audit.type = "create";
  audit.store = store.Describe();
  for (const auto& c : m.collections) audit.collections.push_back(c.info.name);
  audit.duration_seconds = Since(started);
  if (!s.ok()) {
    if (env->FileExists(tmp)) (void)env->RemoveFile(tmp);
    audit.status = "failed";
    audit.message = s.ToString();
    (void)AppendAudit(env, paths.AuditLog(), audit);
    return s.WithContext("snapshot " + id + " of " + store.Describe() + " failed");
  }
  audit.status = "ok";
  audit.success = true;
  audit.message = std::to_string(m.total_chunks) + " records in " +
                  std::to_string(m.collections.size()) + " collections, " +
                  std::to_string(m.archive_bytes) + " bytes";
  RETURN_IF_ERROR(AppendAudit(env, paths.AuditLog(), audit));
  if (stats != nullptr) stats->total_seconds = Since(started);
  return m;
}

Result<Manifest> LoadManifest(Env* env, const std::string& dir, const std::string& given) {
  std::string id = given;
  if (given == "latest" ||
      (ValidateSnapshotId(given).ok() && !env->FileExists(SnapshotPaths{dir}.Manifest(given)))) {
    // "latest" or a unique prefix.
    auto resolved = ResolveSnapshotId(env, dir, given);
    if (resolved.ok()) id = *resolved;
    if (!resolved.ok() && resolved.status().code() != StatusCode::kNotFound) {
      return resolved.status();
    }
  }
  RETURN_IF_ERROR(ValidateSnapshotId(id));
  const SnapshotPaths paths{dir};
  const std::string path = paths.Manifest(id);
  if (!env->FileExists(path)) {
    return NotFound("snapshot '" + id + "' not found in '" + dir +
                    "' (no " + path + "); run 'vecgate snapshot list --snapshot-dir " +
                    dir + "'");
  }
  ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(text, path));
  if (m.snapshot_id != id) {
    return Corruption(path + ": records snapshot_id '" + m.snapshot_id +
                      "', not '" + id + "'");
  }
  return m;
}

namespace {

// What differs between the manifest file `m` and the archive's own copy
// `inner` (the index member), or "" when everything they share agrees.
std::string ManifestDifference(const Manifest& m, const Manifest& inner) {
  auto differs = [](const std::string& what, const std::string& file,
                    const std::string& archive) {
    return what + " is '" + Printable(file, true) + "' in the manifest file but '" +
           Printable(archive, true) + "' in the archive";
  };
  if (m.snapshot_id != inner.snapshot_id) {
    return differs("snapshot_id", m.snapshot_id, inner.snapshot_id);
  }
  if (m.source_store != inner.source_store) {
    return differs("source_store", m.source_store, inner.source_store);
  }
  if (m.timestamp != inner.timestamp) return differs("timestamp", m.timestamp, inner.timestamp);
  if (m.collections.size() != inner.collections.size()) {
    return "the manifest file lists " + std::to_string(m.collections.size()) +
           " collections but the archive " + std::to_string(inner.collections.size());
  }
  for (size_t k = 0; k < m.collections.size(); ++k) {
    const auto& a = m.collections[k];
    const auto& b = inner.collections[k];
    const std::string where = "collection " + std::to_string(k) + " ('" +
                              Printable(b.info.name, true) + "')";
    if (a.info.name != b.info.name) return differs(where + " name", a.info.name, b.info.name);
    if (DumpJson(CollectionInfoToJson(a.info)) != DumpJson(CollectionInfoToJson(b.info))) {
      return "the metadata, configuration, space or dimension of " + where +
             " differ between the manifest file and the archive";
    }
  }
  if (ManifestIndexJson(m) != ManifestIndexJson(inner)) {
    return "the manifest file's counts, pages or members differ from the archive's copy";
  }
  return "";
}

}  // namespace

Status CheckManifestCopy(Env* env, const Manifest& m, const std::string& archive_path) {
  if (m.index_member.name.empty()) return Status::Ok();  // nothing to compare with
  if (m.index_member.name != IndexMemberName(m.snapshot_id)) {
    return Corruption("the manifest of " + m.snapshot_id + " names '" +
                      Printable(m.index_member.name, true) +
                      "' as the archive's copy of the manifest, not " +
                      IndexMemberName(m.snapshot_id) + "; the manifest was edited or damaged");
  }
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(env, archive_path));
  ASSIGN_OR_RETURN(std::string index, reader->ReadMember(m.index_member, /*last=*/true));
  ASSIGN_OR_RETURN(Manifest inner,
                   ParseManifest(index, "snapshot archive '" + archive_path + "', member '" +
                                            m.index_member.name + "'"));
  const std::string difference = ManifestDifference(m, inner);
  if (!difference.empty()) {
    return Corruption("the manifest of snapshot " + m.snapshot_id +
                      " does not match the copy inside its archive: " + difference +
                      ". The manifest file was edited or damaged and is not trusted; "
                      "'vecgate snapshot cleanup' rebuilds it from the archive");
  }
  return Status::Ok();
}

Status CheckArchive(Env* env, const Manifest& m, const std::string& archive_path, bool deep) {
  if (m.checksum_sha256.empty()) {
    return Corruption("the manifest of " + m.snapshot_id +
                      " has no checksum_sha256: the snapshot never completed");
  }
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(env, archive_path));
  if (reader->file_size() != m.archive_bytes) {
    return Corruption("snapshot archive '" + archive_path + "' has " +
                      std::to_string(reader->file_size()) + " bytes but its manifest records " +
                      std::to_string(m.archive_bytes) + "; it is truncated or damaged");
  }
  ASSIGN_OR_RETURN(std::string sha, FileSha256(env, archive_path));
  if (sha != m.checksum_sha256) {
    return Corruption("snapshot archive '" + archive_path +
                      "' fails its checksum (SHA-256 " + sha + ", manifest " +
                      m.checksum_sha256 + "); it is damaged and must not be used");
  }
  // The checksum covers the archive's own copy of the manifest; the
  // manifest file beside it must say the same (source store, collections).
  RETURN_IF_ERROR(CheckManifestCopy(env, m, archive_path));
  if (!deep) return Status::Ok();
  for (const auto& c : m.collections) {
    for (const auto& p : c.pages) {
      ASSIGN_OR_RETURN(std::string lines, reader->ReadMember(p.records));
      ASSIGN_OR_RETURN(std::string floats, reader->ReadMember(p.embeddings));
      RecordBatch batch;
      RETURN_IF_ERROR(DecodePage(lines, floats, c.info.dimension, Include(),
                                 archive_path + ", member '" + p.records.name + "'",
                                 &batch));
      if (static_cast<int64_t>(batch.size()) != p.rows) {
        return Corruption(archive_path + ", member '" + p.records.name + "' holds " +
                          std::to_string(batch.size()) + " records, manifest says " +
                          std::to_string(p.rows));
      }
    }
    RETURN_IF_ERROR(reader->ReadMember(c.info_member).status());
  }
  RETURN_IF_ERROR(reader->ReadMember(m.index_member, /*last=*/true).status());
  // A sequential pass: what any tar reader sees is exactly these members.
  const auto expected = MembersInOrder(m);
  size_t next = 0;
  RETURN_IF_ERROR(ScanArchive(env, archive_path, [&](const MemberEntry& e, std::string_view) {
    if (next >= expected.size()) {
      return Corruption(archive_path + ": member '" + e.name + "' is not in the manifest");
    }
    const MemberEntry& want = *expected[next++];
    if (e.name != want.name || e.size != want.size || e.sha256 != want.sha256 ||
        e.offset != want.offset || e.compressed_size != want.compressed_size) {
      return Corruption(archive_path + ": member '" + e.name + "' at byte " +
                        std::to_string(e.offset) + " differs from the manifest's '" +
                        want.name + "'");
    }
    return Status::Ok();
  }, [](const std::string&, size_t) -> uint64_t { return 0; }));
  if (next != expected.size()) {
    return Corruption(archive_path + ": " + std::to_string(expected.size() - next) +
                      " members of the manifest are missing from the archive");
  }
  return Status::Ok();
}

Result<std::vector<SnapshotListing>> ListSnapshots(Env* env, const std::string& dir) {
  const SnapshotPaths paths{dir};
  std::map<std::string, SnapshotListing> by_id;
  auto entry = [&](const std::string& id) -> SnapshotListing& {
    SnapshotListing& l = by_id[id];
    l.id = id;
    return l;
  };
  std::vector<std::string> manifests, archives;
  if (env->FileExists(paths.ManifestsDir())) {
    ASSIGN_OR_RETURN(manifests, env->ListDir(paths.ManifestsDir()));
  }
  if (env->FileExists(paths.SnapshotsDir())) {
    ASSIGN_OR_RETURN(archives, env->ListDir(paths.SnapshotsDir()));
  }
  for (const auto& name : archives) {
    const std::string path = paths.SnapshotsDir() + "/" + name;
    if (EndsWith(name, ".tar.gz")) {
      entry(name.substr(0, name.size() - 7)).paths.push_back(path);
    } else {
      // A temporary archive (a create that did not finish) or a stray
      // file: an entry of its own, so a complete snapshot stays usable.
      SnapshotListing& l = entry(name);
      l.paths.push_back(path);
      l.problem = EndsWith(name, ".tmp")
                      ? "unfinished archive (a create was interrupted)"
                      : "not a snapshot archive";
    }
  }
  for (const auto& name : manifests) {
    const std::string path = paths.ManifestsDir() + "/" + name;
    if (EndsWith(name, ".json")) {
      entry(name.substr(0, name.size() - 5)).paths.push_back(path);
    } else {
      SnapshotListing& l = entry(name);
      l.paths.push_back(path);
      l.problem = EndsWith(name, ".tmp")
                      ? "unfinished manifest write (interrupted)"
                      : "not a manifest";
    }
  }
  std::vector<SnapshotListing> out;
  for (auto& [id, l] : by_id) {
    const bool has_manifest = env->FileExists(paths.Manifest(id));
    const bool has_archive = env->FileExists(paths.Archive(id));
    if (l.problem.empty()) {
      if (!ValidateSnapshotId(id).ok()) {
        l.problem = "not a snapshot name";
      } else if (!has_manifest) {
        l.problem = "archive without a manifest (a create was interrupted)";
      } else if (!has_archive) {
        l.problem = "manifest without its archive";
      }
    }
    if (l.problem.empty() && has_manifest && ValidateSnapshotId(id).ok()) {
      auto m = LoadManifest(env, dir, id);
      if (!m.ok()) {
        if (l.problem.empty()) l.problem = m.status().message();
      } else {
        l.manifest = std::move(*m);
      }
    }
    if (l.problem.empty() && l.manifest) {
      auto size = env->FileSize(paths.Archive(id));
      if (l.manifest->status == "failed") {
        l.problem = "failed its last verification; run 'vecgate snapshot verify " + id +
                    "' to check it again";
      } else if (l.manifest->checksum_sha256.empty()) {
        l.problem = "manifest has no checksum";
      } else if (!size.ok() || *size != l.manifest->archive_bytes) {
        l.problem = "archive size differs from the manifest (truncated?)";
      }
    }
    l.usable = l.problem.empty() && l.manifest.has_value();
    out.push_back(std::move(l));
  }
  return out;
}

Status UpdateManifestStatus(Env* env, const std::string& dir, const std::string& id,
                            const std::string& status, const std::string& restored_at,
                            const std::string& verified_at) {
  ASSIGN_OR_RETURN(Manifest m, LoadManifest(env, dir, id));
  m.status = status;
  if (!restored_at.empty()) m.restored_at = restored_at;
  if (!verified_at.empty()) m.verified_at = verified_at;
  return WriteFileAtomically(env, SnapshotPaths{dir}.Manifest(id), ManifestJson(m));
}

Result<Manifest> VerifySnapshot(const std::string& dir, const std::string& given_id,
                                const VerifyOptions& options) {
  Clock::time_point started = Clock::now();
  Env* env = options.env;
  ASSIGN_OR_RETURN(auto lock, LockSnapshotDir(env, dir, options.lock_wait_seconds));
  ASSIGN_OR_RETURN(const std::string id, ResolveSnapshotId(env, dir, given_id));
  ASSIGN_OR_RETURN(Manifest m, LoadManifest(env, dir, id));
  const SnapshotPaths paths{dir};
  Status check = CheckArchive(env, m, paths.Archive(id), options.deep);
  const std::string now = FormatIso8601(NowSeconds(env));
  AuditEntry audit;
  audit.action = "snapshot_verify";
  audit.snapshot_id = id;
  audit.type = options.deep ? "verify_deep" : "verify";
  for (const auto& c : m.collections) audit.collections.push_back(c.info.name);
  if (!check.ok()) {
    // The status is a cache of the last check. Only bytes that fail their
    // checksum make a snapshot "failed" (damaged); a file that cannot be
    // read right now (missing, permissions, I/O error) keeps its status.
    const bool damaged = check.code() == StatusCode::kCorruption;
    if (damaged) {
      m.status = "failed";
      (void)WriteFileAtomically(env, paths.Manifest(id), ManifestJson(m));
    }
    audit.status = "failed";
    audit.message = (damaged ? "damaged: " : "unreadable (status unchanged): ") +
                    check.message();
    audit.duration_seconds = Since(started);
    (void)AppendAudit(env, paths.AuditLog(), audit);
    return check;
  }
  if (m.status != "restored") m.status = "verified";
  m.verified_at = now;
  RETURN_IF_ERROR(WriteFileAtomically(env, paths.Manifest(id), ManifestJson(m)));
  audit.status = "ok";
  audit.success = true;
  audit.message = options.deep ? "archive checksum and every member verified"
                               : "archive checksum verified";
  audit.duration_seconds = Since(started);
  RETURN_IF_ERROR(AppendAudit(env, paths.AuditLog(), audit));
  return m;
}

Result<Manifest> RebuildManifest(Env* env, const std::string& archive_path,
                                 const std::string& expected_id, int retention_days) {
  std::string index;
  MemberEntry index_entry;
  size_t members = 0;
  RETURN_IF_ERROR(ScanArchive(env, archive_path, [&](const MemberEntry& e, std::string_view data) {
    ++members;
    if (EndsWith(e.name, "/index.json")) {
      index = std::string(data);
      index_entry = e;
    }
    return Status::Ok();
  }, [](const std::string& name, size_t before) -> uint64_t {
    // Only the index is kept; every other member streams through.
    return EndsWith(name, "/index.json") ? IndexMemberLimit(before) : 0;
  }));
  if (index.empty()) {
    return Corruption("snapshot archive '" + archive_path +
                      "' has no index.json member: it is not a complete vecgate snapshot");
  }
  ASSIGN_OR_RETURN(Manifest m,
                   ParseManifest(index, "snapshot archive '" + archive_path +
                                            "', member '" + index_entry.name + "'"));
  if (!expected_id.empty() && m.snapshot_id != expected_id) {
    return Corruption("snapshot archive '" + archive_path + "' holds snapshot '" +
                      m.snapshot_id + "', not '" + expected_id + "'");
  }
  if (index_entry.name != IndexMemberName(m.snapshot_id)) {
    return Corruption("snapshot archive '" + archive_path + "': index member '" +
                      index_entry.name + "' does not belong to snapshot " + m.snapshot_id);
  }
  ASSIGN_OR_RETURN(m.checksum_sha256, FileSha256(env, archive_path));
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(env, archive_path));
  m.archive_bytes = reader->file_size();
  m.index_member = index_entry;
  uint64_t tar_bytes = 0;
  for (const auto& c : m.collections) {
    for (const auto& p : c.pages) {
      m.embedding_bytes += p.embeddings.size;
      for (const MemberEntry* e : {&p.records, &p.embeddings}) {
        tar_bytes += kTarBlockSize + e->size + TarPadding(e->size);
      }
    }
    tar_bytes += kTarBlockSize + c.info_member.size + TarPadding(c.info_member.size);
  }
  tar_bytes += kTarBlockSize + index_entry.size + TarPadding(index_entry.size) +
               2 * kTarBlockSize;
  m.uncompressed_bytes = tar_bytes;
  m.compression_ratio =
      tar_bytes == 0 ? 0
                     : 1.0 - static_cast<double>(m.archive_bytes) /
                                 static_cast<double>(tar_bytes);
  m.status = "created";
  const int64_t taken = ParseIso8601(m.timestamp);
  m.retention_until =
      taken < 0 ? "" : FormatIso8601(taken + static_cast<int64_t>(retention_days) * 86400);
  // Every member the index lists must be where it says, with its checksum.
  RETURN_IF_ERROR(CheckArchive(env, m, archive_path, /*deep=*/true));
  return m;
}

Result<std::string> ResolveSnapshotId(Env* env, const std::string& dir,
                                      const std::string& text) {
  if (text.empty()) {
    return InvalidArgument("empty snapshot id; give an id, a unique prefix of one, or "
                           "'latest' (see 'vecgate snapshot list')");
  }
  const SnapshotPaths paths{dir};
  if (text != "latest" && ValidateSnapshotId(text).ok() &&
      env->FileExists(paths.Manifest(text))) {
    return text;  // an exact id
  }
  ASSIGN_OR_RETURN(auto listing, ListSnapshots(env, dir));
  if (text == "latest") {
    // Only a snapshot `list` calls usable: never one that failed its last
    // verification or whose archive is missing or of the wrong size.
    const SnapshotListing* newest = nullptr;
    for (const auto& l : listing) {
      if (!l.usable) continue;
      if (newest == nullptr || l.manifest->timestamp > newest->manifest->timestamp ||
          (l.manifest->timestamp == newest->manifest->timestamp && l.id > newest->id)) {
        newest = &l;
      }
    }
    if (newest == nullptr) {
      return NotFound("'latest': there is no usable snapshot in '" + dir +
                      "'; see 'vecgate snapshot list --snapshot-dir " + dir +
                      "', or take one with 'vecgate snapshot create'");
    }
    return newest->id;
  }
  RETURN_IF_ERROR(ValidateSnapshotId(text));
  std::vector<std::string> candidates;
  for (const auto& l : listing) {
    if (l.manifest && l.id.compare(0, text.size(), text) == 0) candidates.push_back(l.id);
  }
  if (candidates.size() == 1) return candidates[0];
  if (candidates.empty()) {
    return NotFound("snapshot '" + text + "' not found in '" + dir +
                    "' (no id starts with it); run 'vecgate snapshot list --snapshot-dir " +
                    dir + "'");
  }
  std::string list;
  for (const auto& c : candidates) list += "\n  " + c;
  return InvalidArgument("snapshot id prefix '" + text + "' is ambiguous; it matches " +
                         std::to_string(candidates.size()) + " snapshots:" + list +
                         "\ngive more of the id");
}

Result<std::string> DeleteSnapshot(const std::string& dir, const std::string& given_id,
                                   const DeleteSnapshotOptions& options) {
  Clock::time_point started = Clock::now();
  Env* env = options.env;
  ASSIGN_OR_RETURN(auto lock, LockSnapshotDir(env, dir, options.lock_wait_seconds));
  ASSIGN_OR_RETURN(const std::string id, ResolveSnapshotId(env, dir, given_id));
  const SnapshotPaths paths{dir};
  ASSIGN_OR_RETURN(Manifest m, LoadManifest(env, dir, id));
  if (env->FileExists(ActiveJournalPath(paths, id))) {
    return FailedPrecondition("an unfinished rollback from snapshot " + id + " is pending (" +
                              ActiveJournalPath(paths, id) +
                              "); finish it before deleting the snapshot");
  }
  if (options.dry_run) return id;
  if (options.confirm && !options.confirm(m)) {
    return Aborted("deleting snapshot " + id + " was not confirmed; nothing was deleted");
  }
  RETURN_IF_ERROR(env->RemoveFile(paths.Manifest(id)));
  if (env->FileExists(paths.Archive(id))) RETURN_IF_ERROR(env->RemoveFile(paths.Archive(id)));
  RETURN_IF_ERROR(env->SyncDir(paths.ManifestsDir()));
  AuditEntry audit;
  audit.action = "snapshot_delete";
  audit.snapshot_id = id;
  audit.type = "delete";
  audit.status = "ok";
  audit.success = true;
  for (const auto& c : m.collections) audit.collections.push_back(c.info.name);
  audit.message = "deleted by request (status was " + m.status + ")";
  audit.duration_seconds = Since(started);
  RETURN_IF_ERROR(AppendAudit(env, paths.AuditLog(), audit));
  return id;
}

namespace {

// Moves `path` into DIR/quarantine (never over an existing file). Returns
// where it went.
Result<std::string> Quarantine(Env* env, const SnapshotPaths& paths,
                               const std::string& path, int64_t now) {
  const std::string qdir = paths.dir + "/quarantine";
  RETURN_IF_ERROR(env->CreateDirs(qdir));
  const size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string target = qdir + "/" + base + "." + FormatCompact(now);
  for (int n = 2; env->FileExists(target); ++n) {
    target = qdir + "/" + base + "." + FormatCompact(now) + "_" + std::to_string(n);
  }
  RETURN_IF_ERROR(env->RenameFile(path, target));
  return target;
}

std::string Days(int days) { return std::to_string(days) + (days == 1 ? " day" : " days"); }

}  // namespace

std::vector<CleanupDecision> DecideRetention(std::vector<RetentionCandidate> usable,
                                             int64_t now, int retention_days, int keep) {
  const int64_t max_age = static_cast<int64_t>(retention_days) * 86400;
  std::sort(usable.begin(), usable.end(), [](const auto& a, const auto& b) {
    if (a.timestamp != b.timestamp) return a.timestamp > b.timestamp;
    return a.id > b.id;
  });
  std::string protected_verified, protected_newest;
  for (const auto& c : usable) {
    if (protected_newest.empty()) protected_newest = c.id;
    if (protected_verified.empty() && (c.status == "verified" || c.status == "restored")) {
      protected_verified = c.id;
    }
  }
  std::vector<CleanupDecision> out;
  for (size_t rank = 0; rank < usable.size(); ++rank) {
    const RetentionCandidate& c = usable[rank];
    const int64_t created = ParseIso8601(c.timestamp);
    const bool expired = created >= 0 && now - created > max_age;
    const bool beyond_keep = rank >= static_cast<size_t>(keep);
    if (c.id == protected_newest) {
      out.push_back({c.id, "keep", "the newest snapshot" + c.note});
    } else if (c.id == protected_verified) {
      out.push_back(
          {c.id, "keep", "the newest verified snapshot (the only verified copy kept)" + c.note});
    } else if (!expired && !beyond_keep) {
      out.push_back({c.id, "keep",
                     "within retention (" + Days(retention_days) + ") and among the newest " +
                         std::to_string(keep) + c.note});
    } else {
      out.push_back({c.id, "remove",
                     expired ? "older than " + Days(retention_days) + " (taken " +
                                   c.timestamp + ")"
                             : "beyond --keep " + std::to_string(keep) + " (number " +
                                   std::to_string(rank + 1) + " from the newest)"});
    }
  }
  return out;
}

Result<CleanupResult> CleanupSnapshots(const std::string& dir,
                                       const CleanupOptions& options) {
  Clock::time_point started = Clock::now();
  Env* env = options.env;
  if (options.keep < 1) return InvalidArgument("--keep must be at least 1");
  if (options.retention_days < 0) return InvalidArgument("--retention-days must be >= 0");
  ASSIGN_OR_RETURN(auto lock, LockSnapshotDir(env, dir, options.lock_wait_seconds));
  const SnapshotPaths paths{dir};
  const int64_t now = NowSeconds(env);
  const int64_t max_age = static_cast<int64_t>(options.retention_days) * 86400;
  const bool dry = options.dry_run;
  ASSIGN_OR_RETURN(auto listing, ListSnapshots(env, dir));
  CleanupResult result;
  auto decide = [&](const std::string& id, const std::string& action,
                    const std::string& reason) {
    result.decisions.push_back(CleanupDecision{id, action, reason});
  };
  // A piece that is not an intact snapshot: deleted only with --force,
  // otherwise moved to DIR/quarantine.
  auto set_aside_piece = [&](const std::string& id, const std::string& path,
                             const std::string& why) -> Status {
    if (!env->FileExists(path)) return Status::Ok();
    if (options.force) {
      result.removed_incomplete.push_back(path);
      decide(id, "remove", why + "; deleted (--force)");
      if (!dry) RETURN_IF_ERROR(env->RemoveFile(path));
      return Status::Ok();
    }
    result.quarantined.push_back(path);
    decide(id, "quarantine", why + "; moved to " + paths.dir +
                                 "/quarantine (--force deletes it instead)");
    if (!dry) RETURN_IF_ERROR(Quarantine(env, paths, path, now).status());
    return Status::Ok();
  };

  // Usable snapshots, including those this pass repairs.
  std::vector<std::pair<std::string, Manifest>> usable;
  for (const auto& l : listing) {
    if (l.usable) {
      usable.emplace_back(l.id, *l.manifest);
      continue;
    }
    const bool valid_id = ValidateSnapshotId(l.id).ok();
    const std::string archive = valid_id ? paths.Archive(l.id) : "";
    const std::string manifest_path = valid_id ? paths.Manifest(l.id) : "";
    const bool has_archive = valid_id && env->FileExists(archive);
    if (l.manifest && has_archive) {
      // A manifest and an archive that did not pass as usable (last
      // verification failed, size differs, no checksum): the bytes decide.
      Status check = CheckArchive(env, *l.manifest, archive, /*deep=*/false);
      if (check.ok()) {
        Manifest m = *l.manifest;
        if (m.status == "failed") m.status = "verified";
        m.verified_at = FormatIso8601(now);
        if (!dry) RETURN_IF_ERROR(WriteFileAtomically(env, manifest_path, ManifestJson(m)));
        result.rechecked.push_back(l.id);
        usable.emplace_back(l.id, std::move(m));
        continue;
      }
      if (check.code() != StatusCode::kCorruption) {
        result.unreadable.push_back(l.id);
        decide(l.id, "keep", "unreadable now, not known to be damaged (" +
                                 check.message() + "); check the file and run again");
        continue;
      }
      // The manifest and the archive disagree. An intact archive with a
      // wrong (edited, stale) manifest is not damaged: its manifest is
      // rebuilt from the archive's own copy, and the old one quarantined.
      auto rebuilt = RebuildManifest(env, archive, l.id, options.retention_days);
      if (rebuilt.ok()) {
        result.rebuilt.push_back(l.id);
        if (!dry) {
          RETURN_IF_ERROR(Quarantine(env, paths, manifest_path, now).status());
          RETURN_IF_ERROR(WriteFileAtomically(env, manifest_path, ManifestJson(*rebuilt)));
        }
        usable.emplace_back(l.id, std::move(*rebuilt));
        continue;
      }
      result.damaged.push_back(l.id);
      if (env->FileExists(ActiveJournalPath(paths, l.id))) {
        decide(l.id, "keep", "damaged (" + check.message() +
                                 "); kept: an unfinished rollback from it is pending (" +
                                 ActiveJournalPath(paths, l.id) + ")");
        continue;
      }
      if (!options.force) {
        decide(l.id, "keep", "damaged (" + check.message() +
                                 "); kept: pass --force to delete it");
        continue;
      }
      result.removed_snapshots.push_back(l.id);
      decide(l.id, "remove", "damaged (" + check.message() + "); deleted (--force)");
      if (!dry) {
        RETURN_IF_ERROR(env->RemoveFile(manifest_path));
        RETURN_IF_ERROR(env->RemoveFile(archive));
      }
      continue;
    }
    // Pieces without a usable manifest. An archive (finished or a complete
    // temporary one) gets its manifest rebuilt from its own index.
    std::string candidate, candidate_id;
    if (has_archive) {
      candidate = archive;
      candidate_id = l.id;
    } else if (EndsWith(l.id, ".tar.gz.tmp")) {
      candidate_id = l.id.substr(0, l.id.size() - 11);
      if (ValidateSnapshotId(candidate_id).ok() &&
          !env->FileExists(paths.Archive(candidate_id)) &&
          !env->FileExists(paths.Manifest(candidate_id))) {
        candidate = paths.SnapshotsDir() + "/" + l.id;
      }
    }
    if (!candidate.empty()) {
      auto rebuilt = RebuildManifest(env, candidate, candidate_id, options.retention_days);
      if (rebuilt.ok()) {
        result.rebuilt.push_back(candidate_id);
        if (!dry) {
          if (valid_id && env->FileExists(manifest_path)) {
            RETURN_IF_ERROR(Quarantine(env, paths, manifest_path, now).status());
          }
          if (candidate != paths.Archive(candidate_id)) {
            RETURN_IF_ERROR(env->RenameFile(candidate, paths.Archive(candidate_id)));
          }
          RETURN_IF_ERROR(env->CreateDirs(paths.ManifestsDir()));
          RETURN_IF_ERROR(WriteFileAtomically(env, paths.Manifest(candidate_id),
                                              ManifestJson(*rebuilt)));
        }
        usable.emplace_back(candidate_id, std::move(*rebuilt));
        continue;
      }
      if (rebuilt.status().code() != StatusCode::kCorruption) {
        result.unreadable.push_back(l.id);
        decide(l.id, "keep", "unreadable now (" + rebuilt.status().message() +
                                 "); check the file and run again");
        continue;
      }
      const std::string why = "no readable manifest and the manifest cannot be rebuilt "
                              "from the archive (" + rebuilt.status().message() + ")";
      for (const auto& path : l.paths) RETURN_IF_ERROR(set_aside_piece(l.id, path, why));
      continue;
    }
    if (l.problem == "not a snapshot archive" || l.problem == "not a manifest" ||
        l.problem == "not a snapshot name") {
      decide(l.id, "keep", l.problem + ": not vecgate's; left alone");
      continue;
    }
    for (const auto& path : l.paths) {
      RETURN_IF_ERROR(set_aside_piece(l.id, path, l.problem));
    }
  }

  std::vector<RetentionCandidate> candidates;
  for (const auto& [id, m] : usable) {
    RetentionCandidate c{id, m.timestamp, m.status, ""};
    if (std::find(result.rebuilt.begin(), result.rebuilt.end(), id) != result.rebuilt.end()) {
      c.note = "; its manifest was rebuilt from the archive";
    } else if (std::find(result.rechecked.begin(), result.rechecked.end(), id) !=
               result.rechecked.end()) {
      c.note = "; its last verification had failed but its checksum passes now";
    }
    candidates.push_back(std::move(c));
  }
  for (CleanupDecision& d :
       DecideRetention(std::move(candidates), now, options.retention_days, options.keep)) {
    if (d.action == "remove" && env->FileExists(ActiveJournalPath(paths, d.id))) {
      // An interrupted rollback resumes from this snapshot: deleting it
      // would leave that rollback unable to finish.
      d.action = "keep";
      d.reason = "an unfinished rollback from it is pending (" +
                 ActiveJournalPath(paths, d.id) + "); it is needed to finish that rollback";
    }
    const bool remove = d.action == "remove";
    (remove ? result.removed_snapshots : result.kept).push_back(d.id);
    const std::string id = d.id;
    result.decisions.push_back(std::move(d));
    if (!remove || dry) continue;
    // Manifest first: if interrupted, the archive without its manifest is
    // rebuilt (not deleted) next time.
    RETURN_IF_ERROR(env->RemoveFile(paths.Manifest(id)));
    RETURN_IF_ERROR(env->RemoveFile(paths.Archive(id)));
  }
  if (!dry && env->FileExists(paths.ManifestsDir())) {
    RETURN_IF_ERROR(env->SyncDir(paths.ManifestsDir()));
  }

  if (options.store != nullptr) {
    ASSIGN_OR_RETURN(auto journals, ListDoneJournals(env, paths, &result.warnings));
    const std::string target = options.store->Describe();
    for (auto& [path, journal] : journals) {
      if (journal.asides_removed || journal.target_store != target) continue;
      const int64_t finished = ParseIso8601(journal.finished_at);
      if (finished < 0 || now - finished <= max_age) continue;
      bool all_done = true;
      for (const auto& c : journal.collections) {
        if (c.aside_name.empty()) continue;
        // The journal only says where to look; the collection itself must
        // prove vecgate set it aside (name form and stamp).
        auto info = options.store->GetCollection(c.aside_name);
        if (!info.ok()) {
          if (info.status().code() == StatusCode::kNotFound) continue;
          return info.status();
        }
        Status stamp = CheckAsideStamp(*info, journal.snapshot_id, journal.stamp, c.name);
        if (!stamp.ok()) {
          all_done = false;
          result.kept_aside_collections.push_back(c.aside_name);
          result.warnings.push_back("kept collection '" + c.aside_name + "' named by " +
                                    path + ": " + stamp.message());
          continue;
        }
        result.removed_aside_collections.push_back(c.aside_name);
        if (dry) continue;
        Status s = options.store->DeleteCollection(c.aside_name);
        if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
      }
      if (!dry && all_done) {
        journal.asides_removed = true;
        RETURN_IF_ERROR(WriteJournal(env, path, journal));
      }
    }
  }
  AuditEntry audit;
  audit.action = "snapshot_cleanup";
  audit.type = dry ? "dry_run" : (options.force ? "cleanup_force" : "cleanup");
  audit.status = "ok";
  audit.success = true;
  audit.collections = result.removed_aside_collections;
  audit.message = std::to_string(result.removed_snapshots.size()) + " snapshots and " +
                  std::to_string(result.removed_incomplete.size()) +
                  " incomplete files removed, " + std::to_string(result.quarantined.size()) +
                  " quarantined, " + std::to_string(result.rebuilt.size()) +
                  " manifests rebuilt, " + std::to_string(result.kept.size()) + " kept, " +
                  std::to_string(result.removed_aside_collections.size()) +
                  " aside collections deleted";
  if (options.store != nullptr) audit.store = options.store->Describe();
  audit.duration_seconds = Since(started);
  if (!dry) RETURN_IF_ERROR(AppendAudit(env, paths.AuditLog(), audit));
  return result;
}

}  // namespace vecgate
