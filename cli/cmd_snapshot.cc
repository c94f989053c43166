// `vecgate snapshot create | list | verify | info | delete | cleanup`:
// pre-migration snapshots in a snapshot directory (snapshot/). Every command
// that takes a snapshot id also takes "latest" or a unique prefix of an id.
//
// Test hook: VECGATE_FAULT_KILL_AFTER_WRITES=N makes the process SIGKILL
// itself at the Nth file-system write (snapshot/fault_hooks.h).
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/text.h"
#include "snapshot/fault_hooks.h"
#include "snapshot/snapshot.h"

namespace vecgate::cli {

namespace {

// ReportError with the message made safe to print: names from stores and
// files may hold ESC/BEL bytes, store URIs credentials (ShowableStatus).
int ShowError(const Status& status, const std::string& hint = "") {
  return ReportError(ShowableStatus(status), hint);
}

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
  bool force = false;
  bool yes = false;
  bool json = false;
};

const char* kIdHelp = "Snapshot id, a unique prefix of one, or 'latest'";

void AddDirOptions(CLI::App& app, SnapshotArgs& args, bool lock) {
  app.add_option("--snapshot-dir", args.snapshot_dir,
                 "Snapshot directory (default: $SNAPSHOT_DIR, else ./vecgate_snapshots)");
  app.add_flag("--json", args.json, "Machine-readable output on stdout");
  if (lock) {
    app.add_option("--lock-wait", args.lock_wait,
                   "Seconds (0 to 86400) to wait for another vecgate operation on the "
                   "directory")
        ->capture_default_str();
  }
}

std::string HumanBytes(uint64_t bytes) {
  char buf[32];
  if (bytes >= (uint64_t{1} << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", bytes / 1073741824.0);
  } else if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / 1048576.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", bytes / 1024.0);
  }
  return buf;
}

// What the archive holds when not compressed (tar bytes), and the archive's
// size on disk relative to it: "115.0 KiB on disk for 352.0 KiB of raw data
// (32.7 % of it, 67.3 % saved: compression_ratio 0.673; ...)". Both figures
// are computed from the two sizes shown, so they agree with each other and
// with the JSON's compression_ratio (1 - archive / raw: the share saved).
std::string SizeLine(const Manifest& m, uint64_t on_disk) {
  char buf[200];
  const double pct = m.uncompressed_bytes == 0
                         ? 0
                         : 100.0 * static_cast<double>(on_disk) /
                               static_cast<double>(m.uncompressed_bytes);
  std::snprintf(buf, sizeof(buf),
                "%s on disk for %s of raw data (%.1f %% of it, %.1f %% saved: "
                "compression_ratio %.3f; float32 embeddings %s of the raw data)",
                HumanBytes(on_disk).c_str(), HumanBytes(m.uncompressed_bytes).c_str(), pct,
                m.uncompressed_bytes == 0 ? 0.0 : 100.0 - pct,
                m.uncompressed_bytes == 0 ? 0.0 : 1.0 - pct / 100.0,
                HumanBytes(m.embedding_bytes).c_str());
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
              {"total_records", m.total_chunks},
              {"archive_bytes", m.archive_bytes},
              {"uncompressed_bytes", m.uncompressed_bytes},
              {"embedding_bytes", m.embedding_bytes},
              {"compression_ratio", m.compression_ratio},
              {"checksum_sha256", m.checksum_sha256},
              {"retention_until", m.retention_until},
              {"collections", collections}};
}

void PrintJson(const Json& j) { std::cout << DumpJson(j, 2) << "\n"; }

int RunCreate(const SnapshotArgs& args, const GlobalOptions& global) {
  // Refused before anything is opened or written.
  Status valid = ValidateSnapshotName(args.name);
  if (valid.ok()) valid = ValidateLockWait(args.lock_wait);
  if (!valid.ok()) return ShowError(valid);
  auto store = OpenStoreFor(args.store_uri, "--store", global);
  if (!store.ok()) return ShowError(store.status());
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
  if (!m.ok()) return ShowError(m.status());
  if (json) {
    Json out = Summary(*m);
    out["seconds"] = stats.total_seconds;
    PrintJson(out);
  } else {
    std::printf("%s\n", m->snapshot_id.c_str());
    if (!global.quiet) {
      std::fprintf(stderr,
                   "vecgate: snapshot %s: %lld records in %zu collections from %s in "
                   "%.2f s\n  size     %s\n  archive  %s\n  manifest %s\n",
                   m->snapshot_id.c_str(), static_cast<long long>(m->total_chunks),
                   m->collections.size(), m->source_store.c_str(), stats.total_seconds,
                   SizeLine(*m, m->archive_bytes).c_str(),
                   SnapshotPaths{args.snapshot_dir}.Archive(m->snapshot_id).c_str(),
                   SnapshotPaths{args.snapshot_dir}.Manifest(m->snapshot_id).c_str());
    }
  }
  return kExitPassed;
}

int RunList(const SnapshotArgs& args, const GlobalOptions& global) {
  auto listing = ListSnapshots(Env::Default(), args.snapshot_dir);
  if (!listing.ok()) return ShowError(listing.status());
  if (args.json || global.json) {
    Json out = Json::array();
    for (const auto& l : *listing) {
      Json j = l.manifest ? Summary(*l.manifest) : Json{{"snapshot_id", l.id}};
      j["usable"] = l.usable;
      if (!l.usable) j["problem"] = l.problem;
      out.push_back(j);
    }
    PrintJson(out);
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
                HumanBytes(m.archive_bytes).c_str(), Printable(m.name, true).c_str());
  }
  if (usable == 0) std::printf("(no usable snapshots in %s)\n", args.snapshot_dir.c_str());
  for (const auto& l : *listing) {
    if (l.usable) continue;
    std::printf("NOT USABLE %s: %s ('vecgate snapshot cleanup --dry-run' says what it "
                "would do)\n",
                Printable(l.id, true).c_str(), Printable(l.problem, true).c_str());
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
    std::string hint;
    if (m.status().code() == StatusCode::kCorruption) {
      hint = "the snapshot is damaged: do not roll back from it; take a new one";
    } else if (m.status().code() == StatusCode::kIoError) {
      hint = "the archive could not be read (it is not known to be damaged; its status "
             "is unchanged): fix access to the file and run verify again";
    }
    return ShowError(m.status(), hint);
  }
  if (args.json || global.json) {
    PrintJson(Summary(*m));
  } else {
    std::printf("%s: OK (%s%s)\n", m->snapshot_id.c_str(),
                args.deep ? "checksum and every member verified" : "checksum verified",
                m->status == "restored" ? "; status stays restored" : "");
  }
  return kExitPassed;
}

int RunInfo(const SnapshotArgs& args, const GlobalOptions& global) {
  auto m = LoadManifest(Env::Default(), args.snapshot_dir, args.id);
  if (!m.ok()) return ShowError(m.status());
  const std::string archive = SnapshotPaths{args.snapshot_dir}.Archive(m->snapshot_id);
  auto on_disk = Env::Default()->FileSize(archive);
  if (args.json || global.json) {
    Json out = Json::parse(ManifestJson(*m));
    out["archive_path"] = archive;
    if (on_disk.ok()) {
      out["archive_bytes_on_disk"] = *on_disk;
    } else {
      out["archive_bytes_on_disk"] = nullptr;
    }
    PrintJson(out);
    return kExitPassed;
  }
  std::string size_line;
  if (!on_disk.ok()) {
    size_line = "archive missing or unreadable (" + on_disk.status().message() + ")";
  } else {
    size_line = SizeLine(*m, *on_disk);
    if (*on_disk != m->archive_bytes) {
      size_line += "; the manifest records " + std::to_string(m->archive_bytes) +
                   " bytes: run 'vecgate snapshot verify " + m->snapshot_id + "'";
    }
  }
  std::printf("snapshot     %s\nname         %s\ntaken        %s\nstatus       %s%s\n"
              "source       %s\nrecords      %lld\narchive      %s\nsize         %s\n"
              "sha256       %s\nretain until %s\ntool         vecgate %s\n",
              m->snapshot_id.c_str(), Printable(m->name, true).c_str(),
              m->timestamp.c_str(), m->status.c_str(),
              m->status == "failed"
                  ? " (last verification; run 'vecgate snapshot verify' to check again)"
                  : "",
              Printable(m->source_store, true).c_str(), static_cast<long long>(m->total_chunks),
              archive.c_str(), size_line.c_str(), m->checksum_sha256.c_str(),
              m->retention_until.c_str(), m->tool_version.c_str());
  std::printf("%-40s %9s %9s %-6s %6s\n", "COLLECTION", "RECORDS", "DIMENSION", "SPACE",
              "PAGES");
  for (const auto& c : m->collections) {
    std::printf("%-40s %9lld %9lld %-6s %6zu\n", Printable(c.info.name, true).c_str(),
                static_cast<long long>(c.count), static_cast<long long>(c.info.dimension),
                DistanceSpaceName(c.info.space), c.pages.size());
  }
  return kExitPassed;
}

int RunDelete(const SnapshotArgs& args, const GlobalOptions& global) {
  DeleteSnapshotOptions options;
  options.lock_wait_seconds = args.lock_wait;
  options.env = EnvFromEnvironment();
  options.dry_run = args.dry_run;
  options.confirm = [&](const Manifest& m) {
    if (args.yes) return true;
    return ConfirmOnTerminal("Delete snapshot " + m.snapshot_id + " (" + m.timestamp + ", " +
                             std::to_string(m.total_chunks) + " records, status " + m.status +
                             ")?");
  };
  auto deleted = DeleteSnapshot(args.snapshot_dir, args.id, options);
  if (!deleted.ok()) {
    return ShowError(deleted.status(),
                       deleted.status().code() == StatusCode::kAborted
                           ? "pass --yes to confirm when stdin is not a terminal"
                           : "");
  }
  if (args.json || global.json) {
    PrintJson(Json{{"snapshot_id", *deleted}, {"dry_run", args.dry_run}});
  } else {
    std::printf("%s snapshot %s\n", args.dry_run ? "would delete" : "deleted",
                deleted->c_str());
  }
  return kExitPassed;
}

int RunCleanup(const SnapshotArgs& args, const GlobalOptions& global) {
  CleanupOptions options;
  options.retention_days = args.retention_days;
  options.keep = args.keep;
  options.dry_run = args.dry_run;
  options.force = args.force;
  options.lock_wait_seconds = args.lock_wait;
  options.env = EnvFromEnvironment();
  std::unique_ptr<Store> store;
  if (!args.store_uri.empty()) {
    auto opened = OpenStoreFor(args.store_uri, "--store", global);
    if (!opened.ok()) return ShowError(opened.status());
    store = std::move(*opened);
    options.store = store.get();
  }
  auto result = CleanupSnapshots(args.snapshot_dir, options);
  if (!result.ok()) return ShowError(result.status());
  if (args.json || global.json) {
    Json decisions = Json::array();
    for (const auto& d : result->decisions) {
      decisions.push_back(Json{{"id", d.id}, {"action", d.action}, {"reason", d.reason}});
    }
    PrintJson(Json{{"dry_run", args.dry_run},
                   {"force", args.force},
                   {"decisions", decisions},
                   {"removed_snapshots", result->removed_snapshots},
                   {"removed_incomplete", result->removed_incomplete},
                   {"quarantined", result->quarantined},
                   {"rebuilt_manifests", result->rebuilt},
                   {"damaged", result->damaged},
                   {"unreadable", result->unreadable},
                   {"removed_aside_collections", result->removed_aside_collections},
                   {"kept_aside_collections", result->kept_aside_collections},
                   {"warnings", result->warnings},
                   {"kept", result->kept}});
    return kExitPassed;
  }
  const bool dry = args.dry_run;
  for (const auto& d : result->decisions) {
    std::string verb = d.action;
    if (dry && d.action == "remove") verb = "would remove";
    if (dry && d.action == "quarantine") verb = "would quarantine";
    if (!dry && d.action == "remove") verb = "removed";
    if (!dry && d.action == "quarantine") verb = "quarantined";
    std::printf("%-16s %-28s %s\n", verb.c_str(), Printable(d.id, true).c_str(),
                Printable(d.reason, true).c_str());
  }
  for (const auto& id : result->rebuilt) {
    std::printf("%-16s %-28s manifest rebuilt from the archive's own index\n",
                dry ? "would rebuild" : "rebuilt", id.c_str());
  }
  for (const auto& c : result->removed_aside_collections) {
    std::printf("%-16s aside collection %s\n", dry ? "would delete" : "deleted",
                Printable(c, true).c_str());
  }
  for (const auto& w : result->warnings) {
    std::printf("warning: %s\n", Printable(w, true).c_str());
  }
  std::printf("%s %zu snapshots%s\n", dry ? "dry run: would keep" : "kept",
              result->kept.size(), dry ? "; nothing was changed" : "");
  return kExitPassed;
}

}  // namespace

Runner SetupSnapshot(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<SnapshotArgs>();
  app.require_subcommand(1);
  SetExample(app, "vecgate snapshot create --store chroma://127.0.0.1:8000 --name pre_migration");

  CLI::App* create = app.add_subcommand("create", "Snapshot a store's collections");
  create->add_option("--store", args->store_uri, "Store URI (default: $CHROMADB_URL)");
  create->add_option("--name", args->name,
                     "A name to remember the snapshot by (printable UTF-8, at most 256 "
                     "bytes)");
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

  CLI::App* list = app.add_subcommand("list", "List snapshots (unusable ones are marked)");
  AddDirOptions(*list, *args, false);
  SetExample(*list, "vecgate snapshot list --snapshot-dir /var/lib/vecgate");

  CLI::App* verify = app.add_subcommand("verify", "Check a snapshot's checksum");
  verify->add_option("id", args->id, kIdHelp)->required();
  verify->add_flag("--deep", args->deep,
                   "Also decompress and check every member and record");
  AddDirOptions(*verify, *args, true);
  SetExample(*verify, "vecgate snapshot verify latest --deep");

  CLI::App* info = app.add_subcommand("info", "Show a snapshot's manifest");
  info->add_option("id", args->id, kIdHelp)->required();
  AddDirOptions(*info, *args, false);
  SetExample(*info, "vecgate snapshot info snapshot_20261121_235717");

  CLI::App* del = app.add_subcommand("delete", "Delete one snapshot (archive and manifest)");
  del->add_option("id", args->id, kIdHelp)->required();
  del->add_flag("-y,--yes", args->yes, "Confirm without a prompt");
  del->add_flag("--dry-run", args->dry_run, "Say what would be deleted");
  AddDirOptions(*del, *args, true);
  SetExample(*del, "vecgate snapshot delete snapshot_20261121 --yes");

  CLI::App* cleanup = app.add_subcommand(
      "cleanup",
      "Apply retention (keeps the newest and the newest verified); repair or quarantine "
      "what is not an intact snapshot");
  cleanup->add_option("--retention-days", args->retention_days,
                      "Remove snapshots older than this")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cleanup->add_option("--keep", args->keep, "Keep at most this many snapshots")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cleanup->add_option("--store", args->store_uri,
                      "Also delete expired aside collections of rollbacks into this store "
                      "(only those that carry vecgate's set-aside stamp)");
  cleanup->add_flag("--dry-run", args->dry_run,
                    "Say what would be kept or removed, and why; change nothing");
  cleanup->add_flag("--force", args->force,
                    "Delete damaged snapshots (checksum fails) and pieces that cannot be "
                    "rebuilt, instead of keeping / quarantining them");
  AddDirOptions(*cleanup, *args, true);
  SetExample(*cleanup, "vecgate snapshot cleanup --retention-days 7 --keep 7 --dry-run");

  return [args, create, list, verify, info, del, cleanup, &global]() -> int {
    if (create->parsed()) return RunCreate(*args, global);
    if (list->parsed()) return RunList(*args, global);
    if (verify->parsed()) return RunVerify(*args, global);
    if (info->parsed()) return RunInfo(*args, global);
    if (del->parsed()) return RunDelete(*args, global);
    if (cleanup->parsed()) {
      // --store defaults to $CHROMADB_URL for create only.
      if (cleanup->count("--store") == 0) args->store_uri.clear();
      return RunCleanup(*args, global);
    }
    return kExitError;
  };
}

}  // namespace vecgate::cli
