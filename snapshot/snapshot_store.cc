// The read-only snapshot: store.
#include "snapshot/snapshot_store.h"

#include <unordered_set>

#include "core/env.h"
#include "snapshot/record_codec.h"
#include "snapshot/snapshot.h"

namespace vecgate {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The manifest of an archive given by path: beside it in ../manifests, or
// the archive's own index member.
Result<Manifest> ManifestForPath(const std::string& path) {
  Env* env = Env::Default();
  std::string base = path;
  size_t slash = base.rfind('/');
  std::string dir = slash == std::string::npos ? "." : base.substr(0, slash);
  base = slash == std::string::npos ? base : base.substr(slash + 1);
  if (EndsWith(base, ".tar.gz")) base.resize(base.size() - 7);
  const std::string sibling = dir + "/../manifests/" + base + ".json";
  if (ValidateSnapshotId(base).ok() && env->FileExists(sibling)) {
    ASSIGN_OR_RETURN(std::string text, env->ReadFile(sibling));
    ASSIGN_OR_RETURN(Manifest m, ParseManifest(text, sibling));
    RETURN_IF_ERROR(CheckArchive(env, m, path, /*deep=*/false));
    return m;
  }
  // No manifest: the index member at the end has the same content; a full
  // sequential pass also checks every member's structure and CRC.
  std::string index;
  std::vector<MemberEntry> members;
  RETURN_IF_ERROR(ScanArchive(env, path, [&](const MemberEntry& e, std::string_view data) {
    members.push_back(e);
    if (EndsWith(e.name, "/index.json")) index = std::string(data);
    return Status::Ok();
  }, [](const std::string& name, size_t before) -> uint64_t {
    // Only the index is kept; every other member streams through.
    return EndsWith(name, "/index.json") ? IndexMemberLimit(before) : 0;
  }));
  if (index.empty()) {
    return Corruption("'" + path + "' is not a vecgate snapshot (no index.json member)");
  }
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(index, path + ", member index.json"));
  // The index lists member checksums; they must agree with what was read.
  std::unordered_set<std::string> seen;
  for (const auto& e : members) seen.insert(e.name + "\n" + e.sha256);
  for (const auto& c : m.collections) {
    for (const auto& p : c.pages) {
      for (const MemberEntry* e : {&p.records, &p.embeddings}) {
        if (!seen.count(e->name + "\n" + e->sha256)) {
          return Corruption("'" + path + "': member '" + e->name +
                            "' does not match the archive's index");
        }
      }
    }
  }
  return m;
}

}  // namespace

Result<std::unique_ptr<SnapshotStore>> SnapshotStore::OpenVerified(
    Env* env, const std::string& archive_path, Manifest manifest) {
  ASSIGN_OR_RETURN(auto reader, ArchiveReader::Open(env, archive_path));
  return std::unique_ptr<SnapshotStore>(
      new SnapshotStore(std::move(reader), std::move(manifest)));
}

std::string SnapshotStore::Describe() const {
  return "snapshot:" + manifest_.snapshot_id;
}

Result<const ManifestCollection*> SnapshotStore::Find(const std::string& name) const {
  const ManifestCollection* c = manifest_.Find(name);
  if (c == nullptr) {
    return NotFound(Describe() + ": collection '" + name +
                    "' is not in the snapshot");
  }
  return c;
}

Result<std::vector<CollectionInfo>> SnapshotStore::ListCollections() {
  std::vector<CollectionInfo> out;
  for (const auto& c : manifest_.collections) out.push_back(c.info);
  return out;
}

Result<CollectionInfo> SnapshotStore::GetCollection(const std::string& name) {
  ASSIGN_OR_RETURN(const ManifestCollection* c, Find(name));
  return c->info;
}

Result<int64_t> SnapshotStore::Count(const std::string& collection) {
  ASSIGN_OR_RETURN(const ManifestCollection* c, Find(collection));
  return c->count;
}

Status SnapshotStore::ReadPage(const ManifestCollection& c, size_t page,
                               const Include& include, RecordBatch* out) const {
  const ManifestPage& p = c.pages[page];
  ASSIGN_OR_RETURN(std::string lines, reader_->ReadMember(p.records));
  std::string floats;
  if (include.embeddings) {
    ASSIGN_OR_RETURN(floats, reader_->ReadMember(p.embeddings));
  }
  const size_t before = out->size();
  RETURN_IF_ERROR(DecodePage(lines, floats, c.info.dimension, include,
                             reader_->path() + ", member '" + p.records.name + "'",
                             out));
  if (static_cast<int64_t>(out->size() - before) != p.rows) {
    return Corruption(reader_->path() + ", member '" + p.records.name + "' holds " +
                      std::to_string(out->size() - before) +
                      " records, the manifest says " + std::to_string(p.rows));
  }
  return Status::Ok();
}

Status SnapshotStore::Scan(const std::string& collection, const ScanOptions& options,
                           const PageSink& sink) {
  ASSIGN_OR_RETURN(const ManifestCollection* c, Find(collection));
  const size_t page_size = std::max<size_t>(1, options.page_size);
  RecordBatch stored, page;
  for (size_t p = 0; p < c->pages.size(); ++p) {
    stored.Clear();
    RETURN_IF_ERROR(ReadPage(*c, p, options.include, &stored)
                        .WithContext(Describe() + ", collection '" + collection + "'"));
    if (stored.size() <= page_size) {
      if (!stored.empty()) RETURN_IF_ERROR(sink(stored));
      continue;
    }
    for (size_t begin = 0; begin < stored.size(); begin += page_size) {
      page.Clear();
      const size_t end = std::min(stored.size(), begin + page_size);
      for (size_t i = begin; i < end; ++i) page.AddFrom(stored, i);
      RETURN_IF_ERROR(sink(page));
    }
  }
  return Status::Ok();
}

Result<RecordBatch> SnapshotStore::Get(const std::string& collection,
                                       const std::vector<std::string>& ids,
                                       const Include& include) {
  ASSIGN_OR_RETURN(const ManifestCollection* c, Find(collection));
  RecordBatch result;
  if (ids.empty()) return result;
  std::unordered_set<std::string> wanted(ids.begin(), ids.end());
  RecordBatch stored;
  for (size_t p = 0; p < c->pages.size() && !wanted.empty(); ++p) {
    stored.Clear();
    RETURN_IF_ERROR(ReadPage(*c, p, include, &stored));
    for (size_t i = 0; i < stored.size(); ++i) {
      if (wanted.erase(stored.id(i))) result.AddFrom(stored, i);
    }
  }
  return result;
}

Result<std::unique_ptr<Store>> OpenSnapshotStore(const std::string& uri,
                                                 const OpenOptions& options) {
  const std::string prefix = "snapshot:";
  if (uri.compare(0, prefix.size(), prefix) != 0) {
    return InvalidArgument("'" + uri + "' is not a snapshot: URI");
  }
  const std::string rest = uri.substr(prefix.size());
  if (rest.empty()) {
    return InvalidArgument("snapshot: needs an id or an archive path, e.g. "
                           "snapshot:snapshot_20261121_235717");
  }
  for (char c : rest) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgument("snapshot: URI contains a control character");
    }
  }
  Manifest manifest;
  std::string archive;
  if (rest.find('/') != std::string::npos || EndsWith(rest, ".tar.gz")) {
    archive = rest;
    ASSIGN_OR_RETURN(manifest, ManifestForPath(archive));
  } else {
    const std::string dir =
        options.snapshot_dir.empty() ? DefaultSnapshotDir() : options.snapshot_dir;
    // An id, a unique prefix of one, or "latest".
    ASSIGN_OR_RETURN(const std::string id, ResolveSnapshotId(Env::Default(), dir, rest));
    ASSIGN_OR_RETURN(manifest, LoadManifest(Env::Default(), dir, id));
    archive = SnapshotPaths{dir}.Archive(id);
    if (manifest.status == "failed") {
      return Corruption("snapshot " + id +
                        " failed its last verification and is not used; run "
                        "'vecgate snapshot verify " + id +
                        "' again: if the archive reads correctly now it becomes usable");
    }
    RETURN_IF_ERROR(CheckArchive(Env::Default(), manifest, archive, /*deep=*/false));
  }
  ASSIGN_OR_RETURN(auto store, SnapshotStore::OpenVerified(Env::Default(), archive, std::move(manifest)));
  return std::unique_ptr<Store>(std::move(store));
}

void RegisterSnapshotStore() {
  RegisterStoreScheme("snapshot:", OpenSnapshotStore, "snapshot:ID or snapshot:PATH.tar.gz");
}

}  // namespace vecgate
