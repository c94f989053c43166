// `vecgate validate`: runs the eight checks on a migration, writes the
// reports, prints a one-screen summary and exits with the gate's code.
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"
#include "cli/progress.h"
#include "harness/runner.h"
#include "snapshot/gate_rollback.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot.h"
#include "reports/report.h"
#include "suites/suite.h"

namespace vecgate::cli {

namespace {

struct ValidateArgs {
  std::string old_uri;
  std::string new_uri;
  std::string suite_path;
  std::string report_dir = "vecgate_reports";
  std::string fail_on = "failure";
  std::string on_fail = "report";
  std::string snapshot_id;
  std::string snapshot_dir;
  bool yes = false;
  size_t page_size = 1000;
};

}  // namespace

Runner SetupValidate(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ValidateArgs>();
  app.add_option("--old", args->old_uri, "Store before the migration (URI)")->required();
  app.add_option("--new", args->new_uri, "Store after the migration (URI)")->required();
  app.add_option("--suite", args->suite_path,
                 "Suite file (JSON); default: the built-in seeds suite");
  app.add_option("--report-dir", args->report_dir, "Where the reports are written")
      ->capture_default_str();
  app.add_option("--fail-on", args->fail_on,
                 "'failure' (default) or 'warning': exit 2 on warnings too")
      ->check(CLI::IsMember({"failure", "warning"}));
  app.add_option("--on-fail", args->on_fail,
                 "'report' (default) or 'rollback': on FAILED, roll the new store back "
                 "from --snapshot (only the collections the failed checks blame)")
      ->check(CLI::IsMember({"report", "rollback"}));
  app.add_option("--snapshot", args->snapshot_id,
                 "Pre-migration snapshot to roll back to (with --on-fail rollback)");
  app.add_option("--snapshot-dir", args->snapshot_dir,
                 "Snapshot directory (default: $SNAPSHOT_DIR, else ./vecgate_snapshots)");
  app.add_flag("-y,--yes", args->yes,
               "Confirm a full rollback without a prompt (required without a terminal)");
  app.add_option("--page-size", args->page_size, "Records per page read from a store")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  SetExample(app,
             "vecgate validate --old chroma://127.0.0.1:8000 "
             "--new chroma://127.0.0.1:8001 --suite suites/seeds.json "
             "--report-dir reports/ --on-fail rollback --snapshot snapshot_20261121_235717");
  return [args, &global]() -> int {
    // The suite first: a bad suite is rejected before any store is touched.
    auto loaded = SuiteFromFlag(args->suite_path);
    if (!loaded.ok()) return ReportError(loaded.status());
    Suite suite = std::move(loaded).value();
    RollbackHook on_fail;
    if (args->on_fail == "rollback") {
      if (args->snapshot_id.empty()) {
        return ReportError(InvalidArgument("--on-fail rollback needs --snapshot ID"),
                           "take one before migrating: vecgate snapshot create --store URI");
      }
      // The snapshot must exist before anything is validated: finding out
      // after a FAILED verdict would be too late.
      std::string dir =
          args->snapshot_dir.empty() ? DefaultSnapshotDir() : args->snapshot_dir;
      auto manifest = LoadManifest(Env::Default(), dir, args->snapshot_id);
      if (!manifest.ok()) {
        return ReportError(manifest.status(), "see 'vecgate snapshot list --snapshot-dir " +
                                                  dir + "'");
      }
      GateRollbackOptions rollback;
      rollback.snapshot_dir = dir;
      rollback.snapshot_id = args->snapshot_id;
      rollback.store_uri = args->new_uri;
      rollback.open_options.timeout_seconds = global.timeout_seconds;
      rollback.yes = args->yes;
      rollback.interactive = true;
      on_fail = MakeGateRollbackHook(rollback);
    }
    auto old_store = OpenStoreFor(args->old_uri, "--old", global, args->snapshot_dir);
    if (!old_store.ok()) return ReportError(old_store.status());
    auto new_store = OpenStoreFor(args->new_uri, "--new", global, args->snapshot_dir);
    if (!new_store.ok()) return ReportError(new_store.status());

    Progress progress(global.quiet || global.json);
    RunOptions options;
    options.page_size = args->page_size;
    options.fail_on_warning = args->fail_on == "warning";
    options.progress = [&progress](const std::string& stage, int64_t done, int64_t total) {
      progress.Update(stage, done, total,
                      stage.rfind("queries ", 0) == 0 ? "queries" : "records");
    };
    options.open_options.timeout_seconds = global.timeout_seconds;
    auto report = RunGate(**old_store, **new_store, suite, options, on_fail);
    progress.Finish();
    if (!report.ok()) {
      return ReportError(report.status(),
                         "the validation could not read everything, so it decided "
                         "nothing; fix the cause and run it again");
    }
    auto written = WriteReports(Env::Default(), args->report_dir, *report);
    if (!written.ok()) return ReportError(written.status());
    // In GitHub Actions the Markdown report becomes the job's summary page.
    if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
      auto file = Env::Default()->NewAppendableFile(summary);
      Status s = file.ok() ? (*file)->Append(NewMarkdownReporter()->Render(*report))
                           : file.status();
      if (s.ok()) s = (*file)->Close();
      if (!s.ok()) {
        std::cerr << "vecgate: warning: could not append to GITHUB_STEP_SUMMARY: "
                  << s.message() << "\n";
      }
    }
    if (global.json) {
      std::cout << NewJsonReporter()->Render(*report);
    } else if (!global.quiet) {
      std::cout << RenderTerminalSummary(*report, args->report_dir, UseColor(1));
    }
    return report->exit_code;
  };
}

}  // namespace vecgate::cli
