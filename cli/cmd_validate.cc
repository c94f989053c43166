// `vecgate validate`: runs the checks on a migration, writes the
// reports, prints a one-screen summary and exits with the gate's code. Every
// exit writes its reports: a run that could not complete (exit 3) writes an
// ERROR report that says what could not be read and decides nothing.
#include <chrono>
#include <cstdlib>
#include <tuple>
#include <iostream>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/text.h"
#include "harness/runner.h"
#include "gate/gate_rollback.h"
#include "snapshot/manifest.h"
#include "snapshot/snapshot.h"
#include "reports/report.h"
#include "suites/suite.h"

namespace vecgate::cli {

namespace {

// A URI as the user gave it, safe for a report: printable, and without
// anything that could be a credential (user:password@, ?query).
std::string UriForReport(const std::string& uri) {
  std::string out = uri;
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t host = scheme + 3;
    size_t end = out.find('/', host);
    size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= host) out.erase(host, at + 1 - host);
  }
  size_t query = out.find('?');
  if (query != std::string::npos) out.erase(query);
  return Printable(out, /*one_line=*/true);
}

// In GitHub Actions the Markdown report becomes the job's summary page.
void AppendStepSummary(const ValidationReport& report) {
  const char* summary = std::getenv("GITHUB_STEP_SUMMARY");
  if (summary == nullptr || *summary == '\0') return;
  auto file = Env::Default()->NewAppendableFile(summary);
  Status s = file.ok() ? (*file)->Append(NewMarkdownReporter()->Render(report)) : file.status();
  if (s.ok()) s = (*file)->Close();
  if (!s.ok()) {
    std::cerr << "vecgate: warning: could not append to GITHUB_STEP_SUMMARY: " << s.message()
              << "\n";
  }
}

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
  bool allow_same_store = false;
  size_t page_size = 1000;
  std::string old_id;  // "" = the suite's id_mapping, else "id"
  std::string new_id;
  bool live = false;
};

}  // namespace

Runner SetupValidate(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ValidateArgs>();
  app.add_option("--old", args->old_uri, "Store before the migration (URI)")->required();
  app.add_option("--new", args->new_uri,
                 "Store after the migration (URI): " + StoreUriForms() +
                     "; the same store as --old is refused (exit 3) unless "
                     "--allow-same-store")
      ->required();
  app.add_flag("--allow-same-store", args->allow_same_store,
               "Validate a store against itself (its own health, not a migration): "
               "every check compares it with itself; a note says so in every report");
  app.add_option("--suite", args->suite_path,
                 "Suite file (JSON); default: the built-in suite, the same as "
                 "suites/seeds.json");
  app.add_option("--report-dir", args->report_dir, "Where the reports are written")
      ->capture_default_str();
  app.add_option("--fail-on", args->fail_on,
                 "'failure' (default) or 'warning': warnings fail the gate too "
                 "(verdict FAILED, exit 2, in every report)")
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
  app.add_option("--new-id", args->new_id,
                 "How new records are matched with old ones: 'id' (default), "
                 "'metadata.KEY' (the old id kept in a metadata key, as LangChain JS and "
                 "LlamaIndex TS do) or 'uuid5:NAMESPACE' (the new id is uuid5 of the old; "
                 "NAMESPACE a uuid or dns, url, oid, x500)");
  app.add_option("--old-id", args->old_id,
                 "The same for the old store's records (default 'id')");
  app.add_flag("--live", args->live,
               "The application writes to both stores during the run (dual writes): "
               "counts may move, and only what a second look by id confirms is a finding "
               "(suite: \"reads\": {\"live\": true})");
  app.add_option("--page-size", args->page_size, "Records per page read from a store")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  SetExample(app,
             "vecgate validate --old chroma://127.0.0.1:8000 "
             "--new chroma://127.0.0.1:8001 --suite suites/seeds.json "
             "--report-dir reports/ --on-fail rollback --snapshot snapshot_20261121_235717");
  return [args, &global]() -> int {
    const auto started = std::chrono::steady_clock::now();
    ValidationReport context;  // what is known so far, for an ERROR report
    context.tool_version = VECGATE_VERSION;
    context.started_at = NowIso8601();
    context.fail_on_warning = args->fail_on == "warning";
    context.old_store = UriForReport(args->old_uri);
    context.new_store = UriForReport(args->new_uri);
    // Every exit 3 leaves an ERROR report in all three formats, so that a CI
    // job always has something to upload and parse; --json prints it.
    auto fail = [&](const Status& status, const std::string& hint = "") -> int {
      ReportError(status, hint);
      ValidationReport report = MakeErrorReport(Printable(status.message(), true), hint);
      report.tool_version = context.tool_version;
      report.started_at = context.started_at;
      report.fail_on_warning = context.fail_on_warning;
      report.old_store = context.old_store;
      report.new_store = context.new_store;
      report.suite_name = context.suite_name;
      report.suite_path = context.suite_path;
      report.notes = context.notes;
      report.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      auto written = WriteReports(Env::Default(), args->report_dir, report);
      if (!written.ok()) {
        std::cerr << "vecgate: error: the ERROR report could not be written either: "
                  << written.status().message() << "\n";
      } else if (!global.quiet && !global.json) {
        std::cerr << "vecgate: the ERROR report (nothing decided) is in " << args->report_dir
                  << "/validation_report.{md,json,junit.xml}\n";
      }
      AppendStepSummary(report);
      if (global.json) std::cout << NewJsonReporter()->Render(report) << std::flush;
      return kExitError;
    };

    // The suite first: a bad suite is rejected before any store is touched.
    auto loaded = SuiteFromFlag(args->suite_path);
    if (!loaded.ok()) return fail(loaded.status());
    Suite suite = std::move(loaded).value();
    for (auto [flag, spec, mapping] :
         {std::make_tuple("--old-id", &args->old_id, &suite.old_id),
          std::make_tuple("--new-id", &args->new_id, &suite.new_id)}) {
      if (spec->empty()) continue;
      auto parsed = ParseIdMapping(*spec);
      if (!parsed.ok()) return fail(parsed.status().WithContext(flag));
      *mapping = std::move(parsed).value();
    }
    if (args->live) suite.reads.live = true;
    context.suite_name = suite.name;
    context.suite_path = suite.path;
    RollbackHook on_fail;
    if (args->on_fail == "rollback") {
      if (args->snapshot_id.empty()) {
        return fail(InvalidArgument("--on-fail rollback needs --snapshot ID"),
                    "take one before migrating: vecgate snapshot create --store URI");
      }
      // The snapshot must exist before anything is validated: finding out
      // after a FAILED verdict would be too late.
      std::string dir =
          args->snapshot_dir.empty() ? DefaultSnapshotDir() : args->snapshot_dir;
      auto manifest = LoadManifest(Env::Default(), dir, args->snapshot_id);
      if (!manifest.ok()) {
        return fail(manifest.status(), "see 'vecgate snapshot list --snapshot-dir " + dir + "'");
      }
      GateRollbackOptions rollback;
      rollback.snapshot_dir = dir;
      rollback.snapshot_id = args->snapshot_id;
      rollback.store_uri = args->new_uri;
      rollback.open_options.timeout_seconds = global.timeout_seconds;
      rollback.yes = args->yes;
      rollback.confirm_full = [](const RollbackPlan& plan) {
        return ConfirmOnTerminal(plan.ToText() +
                                 "This replaces every collection of the store with the snapshot "
                                 "(current collections are renamed aside, not deleted).");
      };
      on_fail = MakeGateRollbackHook(rollback);
    }
    // The same store on both sides: every check compares it with itself and
    // passes, whatever the migration did. Refused unless asked for; the
    // URIs are compared as written (normalised) before anything is opened,
    // and as the opened stores describe themselves after.
    auto same_store = [&](const std::string& described) -> int {
      const std::string note = "--old and --new name the same store (" + described +
                               "): every check compares it with itself, so this run cannot "
                               "see what a migration changed";
      if (!args->allow_same_store) {
        return fail(InvalidArgument(note),
                    "check the two URIs; to check one store's own health on purpose, "
                    "add --allow-same-store");
      }
      context.notes.push_back(note + " (--allow-same-store)");
      if (!global.quiet) std::cerr << "vecgate: warning: " << context.notes.back() << "\n";
      return kExitPassed;
    };
    const bool same_uri = StoreIdentity(args->old_uri) == StoreIdentity(args->new_uri);
    if (same_uri) {
      if (int rc = same_store(UriForReport(args->new_uri)); rc != kExitPassed) return rc;
    }
    auto old_store = OpenStoreFor(args->old_uri, "--old", global, args->snapshot_dir);
    if (!old_store.ok()) return fail(old_store.status());
    context.old_store = (*old_store)->Describe();
    auto new_store = OpenStoreFor(args->new_uri, "--new", global, args->snapshot_dir);
    if (!new_store.ok()) return fail(new_store.status());
    context.new_store = (*new_store)->Describe();

    if (!same_uri && context.old_store == context.new_store) {
      if (int rc = same_store(context.new_store); rc != kExitPassed) return rc;
    }

    Progress progress(global.quiet || global.json);
    RunOptions options;
    options.page_size = args->page_size;
    options.fail_on_warning = args->fail_on == "warning";
    options.progress = [&progress](const std::string& stage, int64_t done, int64_t total) {
      progress.Update(stage, done, total,
                      stage.rfind("queries ", 0) == 0 ? "queries" : "records");
    };
    options.old_uri = args->old_uri;
    options.new_uri = args->new_uri;
    options.open_options.timeout_seconds = global.timeout_seconds;
    options.open_options.snapshot_dir = args->snapshot_dir;
    auto report = RunGate(**old_store, **new_store, suite, options, on_fail);
    progress.Finish();
    if (!report.ok()) {
      return fail(report.status(),
                  "the validation could not read everything, so it decided "
                  "nothing; fix the cause and run it again");
    }
    report->notes.insert(report->notes.begin(), context.notes.begin(), context.notes.end());
    auto written = WriteReports(Env::Default(), args->report_dir, *report);
    if (!written.ok()) return ReportError(written.status());
    AppendStepSummary(*report);
    if (global.json) {
      std::cout << NewJsonReporter()->Render(*report);
    } else if (!global.quiet) {
      std::cout << RenderTerminalSummary(*report, args->report_dir, UseColor(1));
    }
    return report->exit_code;
  };
}

}  // namespace vecgate::cli
