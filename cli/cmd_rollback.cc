// `vecgate rollback ID`: restore a store from a verified snapshot
// (snapshot/rollback.h). A full rollback asks for "yes" on a terminal and
// needs --yes without one; --dry-run prints the plan and changes nothing.
// Run again after an interruption, it resumes and finishes.
//
// Test hooks: VECGATE_FAULT_KILL_AFTER_WRITES=N and
// VECGATE_FAULT_KILL_AFTER_STORE_OPS=N make the process SIGKILL itself at an
// exact point (snapshot/fault_hooks.h).
#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/text.h"
#include "snapshot/fault_hooks.h"
#include "snapshot/rollback.h"

namespace vecgate::cli {

namespace {

// ReportError with the message made safe to print: names from stores and
// files may hold ESC/BEL bytes, store URIs credentials (ShowableStatus).
int ShowError(const Status& status, const std::string& hint = "") {
  return ReportError(ShowableStatus(status), hint);
}

struct RollbackArgs {
  std::string id;
  std::string store_uri;
  std::string snapshot_dir = DefaultSnapshotDir();
  std::vector<std::string> collections;
  bool dry_run = false;
  bool yes = false;
  bool json = false;
  bool include_new = false;
  double lock_wait = kDefaultLockWaitSeconds;
  size_t verify_sample = 1000;
};

int Run(const RollbackArgs& args, const GlobalOptions& global) {
  Env* env = EnvFromEnvironment();
  Status lock_wait = ValidateLockWait(args.lock_wait);
  if (!lock_wait.ok()) return ShowError(lock_wait);
  if (args.include_new && !args.collections.empty()) {
    return ShowError(InvalidArgument(
        "--include-new-collections applies to a full rollback only; drop --collections "
        "or the option"));
  }
  // The store: --store, else $CHROMADB_URL, else where the snapshot came from.
  // A store taken from the manifest is trusted only once the manifest
  // matches the archive's own copy of it (CheckArchive), and is always
  // shown and confirmed: an edited manifest must not pick the target.
  std::string uri = args.store_uri.empty() ? DefaultStoreUri() : args.store_uri;
  const bool from_manifest = uri.empty();
  if (from_manifest) {
    auto manifest = LoadManifest(env, args.snapshot_dir, args.id);
    if (!manifest.ok()) return ShowError(manifest.status());
    if (manifest->index_member.name.empty()) {
      return ShowError(FailedPrecondition(
          "snapshot " + manifest->snapshot_id +
          " has no copy of its manifest inside its archive (an older vecgate wrote it), "
          "so the store its manifest names cannot be checked; give the store to restore "
          "into with --store"));
    }
    Status checked = CheckArchive(env, *manifest,
                                  SnapshotPaths{args.snapshot_dir}.Archive(manifest->snapshot_id),
                                  /*deep=*/false);
    if (!checked.ok()) {
      return ShowError(checked.WithContext("refusing to roll back into the store the "
                                             "manifest names"),
                         "give the store to restore into with --store");
    }
    uri = manifest->source_store;
    std::cerr << "vecgate: no --store given: the target is the snapshot's source store "
              << Printable(uri, /*one_line=*/true) << " (from its manifest)\n";
  }
  auto opened = OpenStoreFor(uri, "--store", global);
  if (!opened.ok()) return ShowError(opened.status());
  std::unique_ptr<Store> store = WrapStoreFromEnvironment(std::move(*opened));

  const bool json = args.json || global.json;
  const bool full = args.collections.empty();
  bool refused_no_terminal = false;
  RollbackOptions options;
  options.snapshot_dir = args.snapshot_dir;
  options.snapshot_id = args.id;
  options.collections = args.collections;
  options.include_new_collections = args.include_new;
  options.dry_run = args.dry_run;
  options.target_from_manifest = from_manifest;
  options.lock_wait_seconds = args.lock_wait;
  options.verify_sample = args.verify_sample;
  options.env = env;
  options.confirm = [&](const RollbackPlan& plan) {
    if (!global.quiet || from_manifest) std::cerr << plan.ToText();
    // A full rollback, or one into a target the user did not name, is
    // confirmed: "yes" on a terminal, or --yes.
    if ((!full && !from_manifest) || args.yes) return true;
    if (!::isatty(0)) {
      refused_no_terminal = true;
      return false;
    }
    const std::string target = Printable(plan.target_store, /*one_line=*/true);
    return ConfirmOnTerminal(
        full ? "WARNING: this restores every collection of " + target + " from " +
                   plan.snapshot_id +
                   "; data written since the snapshot stays only in the aside collections."
             : "WARNING: this restores collections into " + target +
                   ", the store named by the snapshot's manifest (no --store given).");
  };
  if (!global.quiet && !json) {
    options.log = [](const std::string& line) { std::cerr << "vecgate: " << line << "\n"; };
  }
  auto result = RunRollback(*store, options);
  if (!result.ok()) {
    if (refused_no_terminal) {
      return ShowError(FailedPrecondition(
          std::string(full ? "a full rollback" : "a rollback into the store the manifest names") +
          " needs confirmation but stdin is not a terminal; pass --yes to confirm, or name "
          "the target with --store (nothing was changed)"));
    }
    std::string hint;
    if (result.status().code() != StatusCode::kCorruption &&
        result.status().code() != StatusCode::kInvalidArgument &&
        result.status().code() != StatusCode::kNotFound &&
        result.status().code() != StatusCode::kAborted) {
      hint = "run the same command again to resume; the journal in " +
             args.snapshot_dir + "/logs records what is done";
    }
    return ShowError(result.status(), hint);
  }
  if (json) {
    nlohmann::json out{{"snapshot_id", result->plan.snapshot_id},
                       {"dry_run", args.dry_run},
                       {"target_store", result->plan.target_store},
                       {"type", std::string(RollbackTypeName(result->plan.type))},
                       {"restored", result->restored},
                       {"aside_collections", result->aside_names},
                       {"records_restored", result->records_restored},
                       {"elapsed_seconds", result->elapsed_seconds}};
    if (args.dry_run) out["plan"] = result->plan.ToText();
    if (!result->plan.untouched.empty()) out["untouched"] = result->plan.untouched;
    std::cout << DumpJson(out, 2) << "\n";
    return kExitPassed;
  }
  if (args.dry_run) {
    std::cout << result->plan.ToText() << "Dry run: nothing was changed.\n";
    return kExitPassed;
  }
  std::cout << "Rolled back " << Printable(result->plan.target_store, true) << " to "
            << result->plan.snapshot_id
            << ": restored " << result->restored.size() << " collections ("
            << result->records_restored << " records sent) in "
            << result->elapsed_seconds << " s\n";
  for (const auto& a : result->aside_names) {
    std::cout << "  kept the replaced collection as " << Printable(a, true) << "\n";
  }
  for (const auto& u : result->plan.untouched) {
    std::cout << "  left " << Printable(u, true)
              << " untouched (not in the snapshot; --include-new-collections sets such "
                 "collections aside)\n";
  }
  return kExitPassed;
}

}  // namespace

Runner SetupRollback(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<RollbackArgs>();
  app.add_option("id", args->id,
                 "Snapshot id, a unique prefix of one, or 'latest' (see 'vecgate snapshot "
                 "list')")
      ->required();
  app.add_option("--store", args->store_uri,
                 "Store to restore into (default: $CHROMADB_URL, else the snapshot's "
                 "source store)");
  app.add_option("--collections", args->collections,
                 "Only these collections (partial rollback)")
      ->delimiter(',');
  app.add_flag("--dry-run", args->dry_run, "Print the plan; change nothing");
  app.add_flag("-y,--yes", args->yes, "Confirm a full rollback without a prompt");
  app.add_flag("--include-new-collections", args->include_new,
               "Full rollback: also set aside collections the snapshot never held (made "
               "after it); by default they are left untouched");
  app.add_option("--snapshot-dir", args->snapshot_dir,
                 "Snapshot directory (default: $SNAPSHOT_DIR, else ./vecgate_snapshots)");
  app.add_option("--lock-wait", args->lock_wait,
                 "Seconds (0 to 86400) to wait for another vecgate operation on the "
                 "directory")
      ->capture_default_str();
  app.add_option("--verify-sample", args->verify_sample,
                 "Records per collection compared bit for bit after restoring (0: all)")
      ->capture_default_str();
  app.add_flag("--json", args->json, "Machine-readable output on stdout");
  SetExample(app,
             "vecgate rollback snapshot_20261121_235717 --store chroma://127.0.0.1:8000 "
             "--dry-run");
  return [args, &global]() -> int { return Run(*args, global); };
}

}  // namespace vecgate::cli
