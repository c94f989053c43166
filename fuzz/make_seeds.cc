// Writes the generated seed inputs of fuzz/corpus: a real snapshot of a
// small jsonl store (its manifest file, its index member, its archive as
// separated tar members for the tar and archive_index targets), a rollback
// journal, and the jsonl file itself. Run by hand after a format change:
//   build/fuzz/fuzz_make_seeds fuzz/corpus
// Hand-written seeds (edge cases) live beside the generated ones.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "snapshot/archive.h"
#include "snapshot/journal.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot.h"
#include "snapshot/tar_format.h"
#include "stores/jsonl_store.h"

namespace vecgate {
namespace {

void Write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  FUZZ_CHECK(out.good());
  std::printf("wrote %s (%zu bytes)\n", path.c_str(), data.size());
}

std::string ReadAll(const std::string& path) {
  Result<std::string> text = Env::Default()->ReadFile(path);
  FUZZ_CHECK(text.ok());
  return *text;
}

int Main(const std::string& corpus) {
  const std::string work = fuzz::ScratchPath("_seeds");
  FUZZ_CHECK(Env::Default()->CreateDirs(work).ok());
  const std::string jsonl = work + "/store.jsonl";
  (void)Env::Default()->RemoveFile(jsonl);
  {
    Result<std::unique_ptr<JsonlStore>> store = OpenJsonlFile(jsonl);
    FUZZ_CHECK(store.ok());
    const char* names[] = {"docs", "notes"};
    for (int c = 0; c < 2; ++c) {
      CollectionInfo info;
      info.name = names[c];
      info.metadata = {{"owner", std::string("fuzz")}};
      info.space = c == 0 ? DistanceSpace::kCosine : DistanceSpace::kL2;
      info.dimension = 3;
      FUZZ_CHECK((*store)->CreateCollection(info).ok());
      RecordBatch batch;
      for (int i = 0; i < 3; ++i) {
        const float v[3] = {0.5f * static_cast<float>(i), -1.25f, 1e-3f};
        Metadata m = {{"source", std::string("s") + std::to_string(i)},
                      {"line", int64_t{i}},
                      {"score", 0.75},
                      {"disputed", i == 1}};
        batch.Add(std::string(names[c]) + "-" + std::to_string(i),
                  i == 2 ? std::optional<std::string>() : std::string("text ") + std::to_string(i),
                  m, v, 3);
      }
      FUZZ_CHECK((*store)->Add(info.name, batch).ok());
    }
    FUZZ_CHECK((*store)->Flush().ok());
  }
  Write(corpus + "/jsonl_line/generated_two_collections.jsonl", ReadAll(jsonl));

  Result<std::unique_ptr<JsonlStore>> store = OpenJsonlFile(jsonl);
  FUZZ_CHECK(store.ok());
  CreateSnapshotOptions options;
  options.snapshot_dir = work + "/snapshots";
  options.name = "fuzz_seed";
  options.page_size = 2;
  Result<Manifest> manifest = CreateSnapshot(**store, options);
  FUZZ_CHECK(manifest.ok());
  SnapshotPaths paths{options.snapshot_dir};
  Write(corpus + "/manifest/generated_manifest.json",
        ReadAll(paths.Manifest(manifest->snapshot_id)));
  Write(corpus + "/manifest/generated_index_member.json", ManifestIndexJson(*manifest));

  // The archive as uncompressed tar members joined by the separator.
  std::string members;
  bool first = true;
  Status scanned = ScanArchive(vecgate::Env::Default(), paths.Archive(manifest->snapshot_id),
                               [&](const MemberEntry& entry, std::string_view data) {
    std::string tar;
    RETURN_IF_ERROR(AppendTarHeader(entry.name, data.size(), 0, &tar));
    tar.append(data.data(), data.size());
    tar.append(TarPadding(data.size()), '\0');
    if (!first) members += fuzz::kMemberSeparator;
    first = false;
    members += tar;
    return Status::Ok();
  });
  FUZZ_CHECK(scanned.ok());
  members.append(2 * kTarBlockSize, '\0');  // end of archive, in the last member
  Write(corpus + "/archive_index/generated_snapshot.members", members);
  Write(corpus + "/tar/generated_snapshot.members", members);

  RollbackJournal journal;
  journal.snapshot_id = manifest->snapshot_id;
  journal.target_store = "jsonl:/data/store.jsonl";
  journal.type = RollbackType::kFull;
  journal.stamp = "20261201_010000";
  journal.started_at = "2026-12-01T01:00:00Z";
  journal.attempts = 2;
  journal.requested = {"docs"};
  journal.include_new_collections = true;
  JournalCollection done;
  done.name = "docs";
  done.phase = JournalPhase::kRestored;
  done.aside_name = "docs_vecgate_aside_20261201_010000";
  done.pages_done = 2;
  JournalCollection aside;
  aside.name = "extra";
  aside.phase = JournalPhase::kRenamedAside;
  aside.aside_name = "extra_vecgate_aside_20261201_010000";
  aside.restore = false;
  journal.collections = {done, aside};
  Write(corpus + "/journal/generated_journal.json", JournalJson(journal));
  journal.finished_at = "2026-12-01T01:00:09Z";
  journal.collections[0].phase = JournalPhase::kVerified;
  journal.asides_removed = true;
  Write(corpus + "/journal/generated_done_journal.json", JournalJson(journal));
  return 0;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  return vecgate::Main(argv[1]);
}
