// `vecgate snapshot create | list | verify | info | cleanup`: pre-migration
// snapshots in a snapshot directory (SPEC.md section 7; snapshot/).
//
// Test hook: VECGATE_FAULT_KILL_AFTER_WRITES=N makes the process SIGKILL
// itself at the Nth file-system write (snapshot/fault_hooks.h).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/progress.h"
#include "snapshot/fault_hooks.h"
#include "snapshot/snapshot.h"

namespace vecgate::cli {

namespace {

using Json = nlohmann::json;

struct SnapshotArgs {
  std::string snapshot_dir = DefaultSnapshotDir();
  std::string store_uri = DefaultStoreUri();
  std::string name;
  std::vector<std::string> collections;
  size_t page_size = 1000;
  int retention_days = kDefaultRetentionDays;
  int keep = kDefaultKeepSnapshots;
  double lock_wait = kDefaultLockWaitSeconds;
  std::string id;
  bool deep = false;
  bool dry_run = false;
  bool json = false;
};

void AddDirOptions(CLI::App& app, SnapshotArgs& args, bool lock) {
  app.add_option("--snapshot-dir", args.snapshot_dir,
                 "Snapshot directory (default: $SNAPSHOT_DIR, else ./vecgate_snapshots)");
  app.add_flag("--json", args.json, "Machine-readable output on stdout");
  if (lock) {
    app.add_option("--lock-wait", args.lock_wait,
                   "Seconds to wait for another vecgate operation on the directory")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
  }
}

std::string HumanBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / 1048576.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", bytes / 1024.0);
  }
  return buf;
}

Json Summary(const Manifest& m) {
  Json collections = Json::array();
  for (const auto& c : m.collections) {
    collections.push_back(Json{{"name", c.info.name},
                               {"count", c.count},
                               {"dimension", c.info.dimension},
                               {"space", DistanceSpaceName(c.info.space)}});
  }
  return Json{{"snapshot_id", m.snapshot_id},
              {"name", m.name},
              {"timestamp", m.timestamp},
              {"status", m.status},
              {"source_store", m.source_store},
              {"total_chunks", m.total_chunks},
              {"archive_bytes", m.archive_bytes},
              {"embedding_bytes", m.embedding_bytes},
              {"compression_ratio", m.compression_ratio},
              {"checksum_sha256", m.checksum_sha256},
              {"retention_until", m.retention_until},
              {"collections", collections}};
}

int RunCreate(const SnapshotArgs& args, const GlobalOptions& global) {
  auto store = OpenStoreFor(args.store_uri, "--store", global);
  if (!store.ok()) return ReportError(store.status());
  const bool json = args.json || global.json;
  Progress progress(global.quiet || json);
  CreateSnapshotOptions options;
  options.snapshot_dir = args.snapshot_dir;
  options.name = args.name;
  options.collections = args.collections;
  options.page_size = args.page_size;
  options.retention_days = args.retention_days;
  options.lock_wait_seconds = args.lock_wait;
  options.env = EnvFromEnvironment();
  options.progress = [&](const std::string& c, int64_t done, int64_t total) {
    progress.Update("snapshot " + c, done, total);
  };
  CreateStats stats;
  auto m = CreateSnapshot(**store, options, &stats);
  progress.Finish();
  if (!m.ok()) return ReportError(m.status());
  if (json) {
    Json out = Summary(*m);
    out["seconds"] = stats.total_seconds;
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("%s\n", m->snapshot_id.c_str());
    if (!global.quiet) {
      std::fprintf(stderr,
                   "vecgate: snapshot %s: %lld records in %zu collections from %s, "
                   "%s archive (float32 %s, %.1f%% saved) in %.2f s\n"
                   "  archive  %s\n  manifest %s\n",
                   m->snapshot_id.c_str(), static_cast<long long>(m->total_chunks),
                   m->collections.size(), m->source_store.c_str(),
                   HumanBytes(m->archive_bytes).c_str(),
                   HumanBytes(m->embedding_bytes).c_str(), 100 * m->compression_ratio,
                   stats.total_seconds,
                   SnapshotPaths{args.snapshot_dir}.Archive(m->snapshot_id).c_str(),
                   SnapshotPaths{args.snapshot_dir}.Manifest(m->snapshot_id).c_str());
    }
  }
  return kExitPassed;
}

int RunList(const SnapshotArgs& args, const GlobalOptions& global) {
  auto listing = ListSnapshots(Env::Default(), args.snapshot_dir);
  if (!listing.ok()) return ReportError(listing.status());
  if (args.json || global.json) {
    Json out = Json::array();
    for (const auto& l : *listing) {
      Json j = l.manifest ? Summary(*l.manifest) : Json{{"snapshot_id", l.id}};
      j["usable"] = l.usable;
      if (!l.usable) j["problem"] = l.problem;
      out.push_back(j);
    }
    std::cout << out.dump(2) << "\n";
    return kExitPassed;
  }
  std::printf("%-28s %-9s %-21s %9s %11s  %s\n", "SNAPSHOT", "STATUS", "TAKEN (UTC)",
              "RECORDS", "SIZE", "NAME");
  size_t usable = 0;
  for (const auto& l : *listing) {
    if (!l.usable) continue;
    ++usable;
    const Manifest& m = *l.manifest;
    std::printf("%-28s %-9s %-21s %9lld %11s  %s\n", l.id.c_str(), m.status.c_str(),
                m.timestamp.c_str(), static_cast<long long>(m.total_chunks),
                HumanBytes(m.archive_bytes).c_str(), m.name.c_str());
  }
  if (usable == 0) std::printf("(no usable snapshots in %s)\n", args.snapshot_dir.c_str());
  for (const auto& l : *listing) {
    if (l.usable) continue;
    std::printf("INCOMPLETE %s: %s ('vecgate snapshot cleanup' removes it)\n",
                l.id.c_str(), l.problem.c_str());
  }
  return kExitPassed;
}

int RunVerify(const SnapshotArgs& args, const GlobalOptions& global) {
  VerifyOptions options;
  options.deep = args.deep;
  options.lock_wait_seconds = args.lock_wait;
  options.env = EnvFromEnvironment();
  auto m = VerifySnapshot(args.snapshot_dir, args.id, options);
  if (!m.ok()) {
    return ReportError(m.status(), m.status().code() == StatusCode::kCorruption
                                       ? "do not roll back from this snapshot; take a new one"
                                       : "");
  }
  if (args.json || global.json) {
    std::cout << Summary(*m).dump(2) << "\n";
  } else {
    std::printf("%s: OK (%s%s)\n", args.id.c_str(),
                args.deep ? "checksum and every member verified" : "checksum verified",
                m->status == "restored" ? "; status stays restored" : "");
  }
  return kExitPassed;
}

int RunInfo(const SnapshotArgs& args, const GlobalOptions& global) {
  auto m = LoadManifest(Env::Default(), args.snapshot_dir, args.id);
  if (!m.ok()) return ReportError(m.status());
  if (args.json || global.json) {
    std::cout << ManifestJson(*m);
    return kExitPassed;
  }
  std::printf("snapshot     %s\nname         %s\ntaken        %s\nstatus       %s\n"
              "source       %s\nrecords      %lld\narchive      %s (%s)\n"
              "float32      %s, %.1f%% saved by compression\nsha256       %s\n"
              "retain until %s\ntool         vecgate %s\n",
              m->snapshot_id.c_str(), m->name.c_str(), m->timestamp.c_str(),
              m->status.c_str(), m->source_store.c_str(),
              static_cast<long long>(m->total_chunks),
              SnapshotPaths{args.snapshot_dir}.Archive(m->snapshot_id).c_str(),
              HumanBytes(m->archive_bytes).c_str(), HumanBytes(m->embedding_bytes).c_str(),
              100 * m->compression_ratio, m->checksum_sha256.c_str(),
              m->retention_until.c_str(), m->tool_version.c_str());
  std::printf("%-40s %9s %9s %-6s %6s\n", "COLLECTION", "RECORDS", "DIMENSION", "SPACE",
              "PAGES");
  for (const auto& c : m->collections) {
    std::printf("%-40s %9lld %9lld %-6s %6zu\n", c.info.name.c_str(),
                static_cast<long long>(c.count), static_cast<long long>(c.info.dimension),
                DistanceSpaceName(c.info.space), c.pages.size());
  }
  return kExitPassed;
}

int RunCleanup(const SnapshotArgs& args, const GlobalOptions& global) {
  CleanupOptions options;
  options.retention_days = args.retention_days;
  options.keep = args.keep;
  options.dry_run = args.dry_run;
  options.lock_wait_seconds = args.lock_wait;
  options.env = EnvFromEnvironment();
  std::unique_ptr<Store> store;
  if (!args.store_uri.empty()) {
    auto opened = OpenStoreFor(args.store_uri, "--store", global);
    if (!opened.ok()) return ReportError(opened.status());
    store = std::move(*opened);
    options.store = store.get();
  }
  auto result = CleanupSnapshots(args.snapshot_dir, options);
  if (!result.ok()) return ReportError(result.status());
  if (args.json || global.json) {
    std::cout << Json{{"dry_run", args.dry_run},
                      {"removed_snapshots", result->removed_snapshots},
                      {"removed_incomplete", result->removed_incomplete},
                      {"removed_aside_collections", result->removed_aside_collections},
                      {"kept", result->kept}}
                     .dump(2)
              << "\n";
    return kExitPassed;
  }
  const char* verb = args.dry_run ? "would remove" : "removed";
  for (const auto& id : result->removed_snapshots) std::printf("%s snapshot %s\n", verb, id.c_str());
  for (const auto& p : result->removed_incomplete) std::printf("%s incomplete %s\n", verb, p.c_str());
  for (const auto& c : result->removed_aside_collections) {
    std::printf("%s aside collection %s\n", verb, c.c_str());
  }
  std::printf("kept %zu snapshots\n", result->kept.size());
  return kExitPassed;
}

}  // namespace

Runner SetupSnapshot(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<SnapshotArgs>();
  app.require_subcommand(1);
  SetExample(app, "vecgate snapshot create --store chroma://127.0.0.1:8000 --name pre_migration");

  CLI::App* create = app.add_subcommand("create", "Snapshot a store's collections");
  create->add_option("--store", args->store_uri, "Store URI (default: $CHROMADB_URL)");
  create->add_option("--name", args->name, "A name to remember the snapshot by");
  create->add_option("--collections", args->collections, "Only these collections")
      ->delimiter(',');
  create->add_option("--page-size", args->page_size, "Records per archive page")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  create->add_option("--retention-days", args->retention_days,
                     "Days before cleanup may remove it")
      ->capture_default_str();
  AddDirOptions(*create, *args, true);
  SetExample(*create,
             "vecgate snapshot create --store chroma://127.0.0.1:8000 --name pre_migration");

  CLI::App* list = app.add_subcommand("list", "List snapshots (incomplete ones are marked)");
  AddDirOptions(*list, *args, false);
  SetExample(*list, "vecgate snapshot list --snapshot-dir /var/lib/vecgate");

  CLI::App* verify = app.add_subcommand("verify", "Check a snapshot's checksum");
  verify->add_option("id", args->id, "Snapshot id")->required();
  verify->add_flag("--deep", args->deep,
                   "Also decompress and check every member and record");
  AddDirOptions(*verify, *args, true);
  SetExample(*verify, "vecgate snapshot verify snapshot_20261121_235717 --deep");

  CLI::App* info = app.add_subcommand("info", "Show a snapshot's manifest");
  info->add_option("id", args->id, "Snapshot id")->required();
  AddDirOptions(*info, *args, false);
  SetExample(*info, "vecgate snapshot info snapshot_20261121_235717");

  CLI::App* cleanup = app.add_subcommand(
      "cleanup", "Remove expired and incomplete snapshots (keeps the newest verified)");
  cleanup->add_option("--retention-days", args->retention_days,
                      "Remove snapshots older than this")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cleanup->add_option("--keep", args->keep, "Keep at most this many snapshots")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cleanup->add_option("--store", args->store_uri,
                      "Also delete expired aside collections of rollbacks into this store");
  cleanup->add_flag("--dry-run", args->dry_run, "Say what would be removed");
  AddDirOptions(*cleanup, *args, true);
  SetExample(*cleanup, "vecgate snapshot cleanup --retention-days 7 --keep 7");

  return [args, create, list, verify, info, cleanup, &global]() -> int {
    if (create->parsed()) return RunCreate(*args, global);
    if (list->parsed()) return RunList(*args, global);
    if (verify->parsed()) return RunVerify(*args, global);
    if (info->parsed()) return RunInfo(*args, global);
    if (cleanup->parsed()) {
      // --store defaults to $CHROMADB_URL for create only.
      if (cleanup->count("--store") == 0) args->store_uri.clear();
      return RunCleanup(*args, global);
    }
    return kExitError;
  };
}

}  // namespace vecgate::cli
