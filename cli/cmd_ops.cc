// `vecgate audit-log`, `vecgate status` and `vecgate health-check`: the
// operator's view of a snapshot directory.
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/text.h"
#include "snapshot/audit_log.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot.h"

namespace vecgate::cli {

namespace {

using Json = nlohmann::json;

struct OpsArgs {
  std::string snapshot_dir = DefaultSnapshotDir();
  std::string store_uri = DefaultStoreUri();
  int limit = 20;
  bool json = false;
};

void AddCommon(CLI::App& app, OpsArgs& args) {
  app.add_option("--snapshot-dir", args.snapshot_dir,
                 "Snapshot directory (default: $SNAPSHOT_DIR, else ./vecgate_snapshots)");
  app.add_flag("--json", args.json, "Machine-readable output on stdout");
}

Json EntryJson(const AuditEntry& e) { return Json::parse(AuditEntryJson(e)); }

void PrintJson(const Json& j) { std::cout << DumpJson(j, 2) << "\n"; }

// "free", or who holds the directory's lock.
std::string LockHolder(const std::string& dir) {
  if (!Env::Default()->FileExists(SnapshotPaths{dir}.LockFile())) return "free";
  auto lock = Env::Default()->LockFile(SnapshotPaths{dir}.LockFile(), 0);
  if (lock.ok()) return "free";
  return lock.status().message();
}

// Unfinished rollback journals (logs/rollback_*.journal.json).
std::vector<std::string> PendingRollbacks(const std::string& dir) {
  std::vector<std::string> out;
  const std::string logs = SnapshotPaths{dir}.LogsDir();
  if (!Env::Default()->FileExists(logs)) return out;
  auto names = Env::Default()->ListDir(logs);
  if (!names.ok()) return out;
  const std::string suffix = ".journal.json";
  for (const auto& n : *names) {
    if (n.size() > suffix.size() &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(logs + "/" + n);
    }
  }
  return out;
}

int RunAuditLog(const OpsArgs& args, const GlobalOptions& global) {
  auto entries = ReadAudit(Env::Default(), SnapshotPaths{args.snapshot_dir}.AuditLog(),
                           args.limit);
  if (!entries.ok()) return ReportError(entries.status());
  if (args.json || global.json) {
    Json out = Json::array();
    for (const auto& e : *entries) out.push_back(EntryJson(e));
    PrintJson(out);
    return kExitPassed;
  }
  if (entries->empty()) {
    std::printf("(the audit log %s is empty)\n",
                SnapshotPaths{args.snapshot_dir}.AuditLog().c_str());
    return kExitPassed;
  }
  // Columns as wide as their widest value (ids and actions vary in length).
  size_t action_w = 6, type_w = 4, id_w = 8;
  for (const auto& e : *entries) {
    action_w = std::max(action_w, Printable(e.action, true).size());
    type_w = std::max(type_w, Printable(e.type, true).size());
    id_w = std::max(id_w, Printable(e.snapshot_id, true).size());
  }
  const int aw = static_cast<int>(action_w), tw = static_cast<int>(type_w),
            iw = static_cast<int>(id_w);
  std::printf("%-20s  %-*s  %-*s  %-*s  %-6s  %9s  %s\n", "TIME (UTC)", aw, "ACTION", tw,
              "TYPE", iw, "SNAPSHOT", "STATUS", "SECONDS", "COLLECTIONS / MESSAGE");
  for (const auto& e : *entries) {
    std::string collections;
    for (const auto& c : e.collections) collections += (collections.empty() ? "" : ",") + c;
    std::string detail = collections;
    if (!e.message.empty()) detail += (detail.empty() ? "" : "  ") + e.message;
    std::printf("%-20s  %-*s  %-*s  %-*s  %-6s  %9.2f  %s\n", e.timestamp.c_str(), aw,
                Printable(e.action, true).c_str(), tw, Printable(e.type, true).c_str(), iw,
                Printable(e.snapshot_id, true).c_str(), e.status.c_str(), e.duration_seconds,
                Printable(detail, true).c_str());
    if (!e.trigger.empty()) {
      std::printf("%-20s  triggered by %s\n", "", Printable(e.trigger, true).c_str());
    }
  }
  return kExitPassed;
}

int RunStatus(const OpsArgs& args, const GlobalOptions& global) {
  auto listing = ListSnapshots(Env::Default(), args.snapshot_dir);
  if (!listing.ok()) return ReportError(listing.status());
  auto last = ReadAudit(Env::Default(), SnapshotPaths{args.snapshot_dir}.AuditLog(), 1);
  if (!last.ok()) return ReportError(last.status());
  size_t usable = 0, incomplete = 0;
  const SnapshotListing* newest = nullptr;
  for (const auto& l : *listing) {
    if (l.usable) {
      ++usable;
      if (newest == nullptr || l.manifest->timestamp >= newest->manifest->timestamp) {
        newest = &l;
      }
    } else {
      ++incomplete;
    }
  }
  const std::string lock = LockHolder(args.snapshot_dir);
  const auto pending = PendingRollbacks(args.snapshot_dir);
  if (args.json || global.json) {
    Json out{{"snapshot_dir", args.snapshot_dir},
             {"snapshots", usable},
             {"incomplete", incomplete},
             {"lock", lock},
             {"pending_rollbacks", pending}};
    if (newest) {
      out["newest"] = {{"snapshot_id", newest->id},
                       {"timestamp", newest->manifest->timestamp},
                       {"status", newest->manifest->status}};
    }
    if (!last->empty()) out["last_operation"] = EntryJson(last->back());
    PrintJson(out);
    return kExitPassed;
  }
  std::printf("snapshot dir      %s\n", args.snapshot_dir.c_str());
  std::printf("snapshots         %zu usable, %zu incomplete\n", usable, incomplete);
  if (newest) {
    std::printf("newest            %s (%s, %s)\n", newest->id.c_str(),
                newest->manifest->timestamp.c_str(), newest->manifest->status.c_str());
  }
  if (!last->empty()) {
    const AuditEntry& e = last->back();
    std::printf("last operation    %s %s %s at %s: %s\n", e.action.c_str(),
                e.snapshot_id.c_str(),
                e.success ? "succeeded" : e.status == "cancelled" ? "cancelled" : "FAILED",
                e.timestamp.c_str(), e.message.c_str());
  } else {
    std::printf("last operation    none\n");
  }
  std::printf("lock              %s\n", lock.c_str());
  for (const auto& p : pending) {
    std::printf("pending rollback  %s (run the same rollback again to finish it)\n",
                p.c_str());
  }
  return kExitPassed;
}

int RunHealthCheck(const OpsArgs& args, const GlobalOptions& global) {
  // level: OK, WARN (worth knowing, not a failure) or FAIL.
  Json checks = Json::array();
  bool healthy = true;
  auto report = [&](const std::string& name, const std::string& level,
                    const std::string& detail) {
    healthy = healthy && level != "FAIL";
    checks.push_back(Json{{"check", name},
                          {"ok", level != "FAIL"},
                          {"level", level},
                          {"detail", detail}});
  };
  if (!args.store_uri.empty()) {
    auto store = OpenStoreFor(args.store_uri, "--store", global);
    if (!store.ok()) {
      report("store reachable", "FAIL", store.status().message());
    } else {
      auto collections = (*store)->ListCollections();
      report("store reachable", collections.ok() ? "OK" : "FAIL",
             collections.ok() ? (*store)->Describe() + ", " +
                                    std::to_string(collections->size()) + " collections"
                              : collections.status().message());
    }
  }
  Env* env = Env::Default();
  const bool dir_exists = env->FileExists(args.snapshot_dir);
  {
    // A health check changes nothing: an existing directory is probed with a
    // file that is removed again; a missing one is only reported.
    if (!dir_exists) {
      report("snapshot dir writable", "WARN",
             args.snapshot_dir + " does not exist yet; 'vecgate snapshot create' makes it");
    } else {
      const std::string probe = args.snapshot_dir + "/.health_check_probe";
      Status s = WriteFileAtomically(env, probe, "ok\n");
      if (s.ok()) s = env->RemoveFile(probe);
      report("snapshot dir writable", s.ok() ? "OK" : "FAIL",
             s.ok() ? args.snapshot_dir : s.message());
    }
  }
  auto listing = dir_exists ? ListSnapshots(env, args.snapshot_dir)
                            : Result<std::vector<SnapshotListing>>(
                                  std::vector<SnapshotListing>());
  const std::string create_hint =
      "take one before migrating: vecgate snapshot create --store URI --snapshot-dir " +
      args.snapshot_dir;
  if (!listing.ok()) {
    report("newest snapshot intact", "FAIL", listing.status().message());
  } else {
    const SnapshotListing* newest = nullptr;
    for (const auto& l : *listing) {
      if (l.manifest && (newest == nullptr ||
                         l.manifest->timestamp >= newest->manifest->timestamp)) {
        newest = &l;
      }
    }
    if (newest == nullptr) {
      report("newest snapshot intact", "WARN", "no snapshot yet; " + create_hint);
    } else {
      Status s = CheckArchive(Env::Default(), *newest->manifest,
                              SnapshotPaths{args.snapshot_dir}.Archive(newest->id), false);
      if (s.ok()) {
        report("newest snapshot intact", "OK", newest->id + " checksum OK");
      } else if (s.code() == StatusCode::kCorruption) {
        report("newest snapshot intact", "FAIL",
               "snapshot " + newest->id + " is damaged: " + s.message() + "; " + create_hint);
      } else {
        report("newest snapshot intact", "FAIL",
               "snapshot " + newest->id + " cannot be read: " + s.message());
      }
    }
  }
  if (args.json || global.json) {
    PrintJson(Json{{"healthy", healthy}, {"checks", checks}});
  } else {
    for (const auto& c : checks) {
      std::string level = c["level"].get<std::string>();
      std::printf("[%-4s] %-24s %s\n", level.c_str(), c["check"].get<std::string>().c_str(),
                  Printable(c["detail"].get<std::string>(), true).c_str());
    }
  }
  return healthy ? kExitPassed : kExitError;
}

}  // namespace

Runner SetupAuditLog(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<OpsArgs>();
  AddCommon(app, *args);
  app.add_option("--limit", args->limit, "Show the last N entries (0: all)")
      ->capture_default_str();
  SetExample(app, "vecgate audit-log --limit 5");
  return [args, &global]() -> int { return RunAuditLog(*args, global); };
}

Runner SetupStatus(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<OpsArgs>();
  AddCommon(app, *args);
  SetExample(app, "vecgate status --snapshot-dir /var/lib/vecgate");
  return [args, &global]() -> int { return RunStatus(*args, global); };
}

Runner SetupHealthCheck(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<OpsArgs>();
  AddCommon(app, *args);
  app.add_option("--store", args->store_uri, "Store to check (default: $CHROMADB_URL)");
  SetExample(app, "vecgate health-check --store chroma://127.0.0.1:8000");
  return [args, &global]() -> int { return RunHealthCheck(*args, global); };
}

}  // namespace vecgate::cli
