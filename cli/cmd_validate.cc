// `vecgate validate`: runs the checks on a migration, writes the
// reports, prints a one-screen summary and exits with the gate's code. Every
// exit writes its reports: a run that could not complete (exit 3) writes an
// ERROR report that says what could not be read and decides nothing.
#include <chrono>
#include <cstdlib>
#include <memory>
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

// The flags of `vecgate validate`, read into *args.
void AddValidateFlags(CLI::App& app, ValidateArgs* args) {
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
}

// One run of `vecgate validate`, step by step. A step returns kGoOn to let
// the run go on, else the exit code to end it with (through Fail, which
// writes the ERROR report).
class ValidateRun {
 public:
  ValidateRun(const ValidateArgs& args, const GlobalOptions& global)
      : args_(args), global_(global), started_(std::chrono::steady_clock::now()) {
    context_.tool_version = VECGATE_VERSION;
    context_.started_at = NowIso8601();
    context_.fail_on_warning = args_.fail_on == "warning";
    context_.old_store = UriForReport(args_.old_uri);
    context_.new_store = UriForReport(args_.new_uri);
  }

  int Run() {
    Suite suite;
    if (int rc = LoadSuite(&suite); rc != kGoOn) return rc;
    RollbackHook on_fail;
    if (int rc = BuildRollbackHook(&on_fail); rc != kGoOn) return rc;
    std::unique_ptr<Store> old_store, new_store;
    if (int rc = OpenStores(&old_store, &new_store); rc != kGoOn) return rc;
    ValidationReport report;
    if (int rc = RunChecks(*old_store, *new_store, suite, on_fail, &report); rc != kGoOn) {
      return rc;
    }
    return WriteResults(report);
  }

 private:
  static constexpr int kGoOn = kExitPassed;

  // Every exit 3 leaves an ERROR report in all three formats, so that a CI
  // job always has something to upload and parse; --json prints it.
  int Fail(const Status& status, const std::string& hint = "") {
    ReportError(status, hint);
    ValidationReport report = MakeErrorReport(Printable(status.message(), true), hint);
    report.tool_version = context_.tool_version;
    report.started_at = context_.started_at;
    report.fail_on_warning = context_.fail_on_warning;
    report.old_store = context_.old_store;
    report.new_store = context_.new_store;
    report.suite_name = context_.suite_name;
    report.suite_path = context_.suite_path;
    report.notes = context_.notes;
    report.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    auto written = WriteReports(Env::Default(), args_.report_dir, report);
    if (!written.ok()) {
      std::cerr << "vecgate: error: the ERROR report could not be written either: "
                << written.status().message() << "\n";
    } else if (!global_.quiet && !global_.json) {
      std::cerr << "vecgate: the ERROR report (nothing decided) is in " << args_.report_dir
                << "/validation_report.{md,json,junit.xml}\n";
    }
    AppendStepSummary(report);
    if (global_.json) std::cout << NewJsonReporter()->Render(report) << std::flush;
    return kExitError;
  }

  // The suite first: a bad suite is rejected before any store is touched.
  // --old-id, --new-id and --live override what it says.
  int LoadSuite(Suite* suite) {
    auto loaded = SuiteFromFlag(args_.suite_path);
    if (!loaded.ok()) return Fail(loaded.status());
    *suite = std::move(loaded).value();
    for (auto [flag, spec, mapping] :
         {std::make_tuple("--old-id", &args_.old_id, &suite->old_id),
          std::make_tuple("--new-id", &args_.new_id, &suite->new_id)}) {
      if (spec->empty()) continue;
      auto parsed = ParseIdMapping(*spec);
      if (!parsed.ok()) return Fail(parsed.status().WithContext(flag));
      *mapping = std::move(parsed).value();
    }
    if (args_.live) suite->reads.live = true;
    context_.suite_name = suite->name;
    context_.suite_path = suite->path;
    return kGoOn;
  }

  // With --on-fail rollback, the hook that rolls the new store back from
  // --snapshot. The snapshot must exist before anything is validated:
  // finding out after a FAILED verdict would be too late.
  int BuildRollbackHook(RollbackHook* on_fail) {
    if (args_.on_fail != "rollback") return kGoOn;
    if (args_.snapshot_id.empty()) {
      return Fail(InvalidArgument("--on-fail rollback needs --snapshot ID"),
                  "take one before migrating: vecgate snapshot create --store URI");
    }
    std::string dir = args_.snapshot_dir.empty() ? DefaultSnapshotDir() : args_.snapshot_dir;
    auto manifest = LoadManifest(Env::Default(), dir, args_.snapshot_id);
    if (!manifest.ok()) {
      return Fail(manifest.status(), "see 'vecgate snapshot list --snapshot-dir " + dir + "'");
    }
    GateRollbackOptions rollback;
    rollback.snapshot_dir = dir;
    rollback.snapshot_id = args_.snapshot_id;
    rollback.store_uri = args_.new_uri;
    rollback.open_options.timeout_seconds = global_.timeout_seconds;
    rollback.yes = args_.yes;
    rollback.confirm_full = [](const RollbackPlan& plan) {
      return ConfirmOnTerminal(plan.ToText() +
                               "This replaces every collection of the store with the snapshot "
                               "(current collections are renamed aside, not deleted).");
    };
    *on_fail = MakeGateRollbackHook(rollback);
    return kGoOn;
  }

  // The same store on both sides: every check compares it with itself and
  // passes, whatever the migration did. Refused unless asked for.
  int AllowSameStore(const std::string& described) {
    const std::string note = "--old and --new name the same store (" + described +
                             "): every check compares it with itself, so this run cannot "
                             "see what a migration changed";
    if (!args_.allow_same_store) {
      return Fail(InvalidArgument(note),
                  "check the two URIs; to check one store's own health on purpose, "
                  "add --allow-same-store");
    }
    context_.notes.push_back(note + " (--allow-same-store)");
    if (!global_.quiet) std::cerr << "vecgate: warning: " << context_.notes.back() << "\n";
    return kGoOn;
  }

  // Opens --old and --new. The URIs are compared for the same store as
  // written (normalised) before anything is opened, and as the opened
  // stores describe themselves after.
  int OpenStores(std::unique_ptr<Store>* old_store, std::unique_ptr<Store>* new_store) {
    const bool same_uri = StoreIdentity(args_.old_uri) == StoreIdentity(args_.new_uri);
    if (same_uri) {
      if (int rc = AllowSameStore(UriForReport(args_.new_uri)); rc != kGoOn) return rc;
    }
    auto opened_old = OpenStoreFor(args_.old_uri, "--old", global_, args_.snapshot_dir);
    if (!opened_old.ok()) return Fail(opened_old.status());
    *old_store = std::move(opened_old).value();
    context_.old_store = (*old_store)->Describe();
    auto opened_new = OpenStoreFor(args_.new_uri, "--new", global_, args_.snapshot_dir);
    if (!opened_new.ok()) return Fail(opened_new.status());
    *new_store = std::move(opened_new).value();
    context_.new_store = (*new_store)->Describe();
    if (!same_uri && context_.old_store == context_.new_store) {
      if (int rc = AllowSameStore(context_.new_store); rc != kGoOn) return rc;
    }
    return kGoOn;
  }

  // Runs the checks (and the rollback hook on FAILED) with progress on the
  // terminal.
  int RunChecks(Store& old_store, Store& new_store, const Suite& suite,
                const RollbackHook& on_fail, ValidationReport* report) {
    Progress progress(global_.quiet || global_.json);
    RunOptions options;
    options.page_size = args_.page_size;
    options.fail_on_warning = args_.fail_on == "warning";
    options.progress = [&progress](const std::string& stage, int64_t done, int64_t total) {
      progress.Update(stage, done, total,
                      stage.rfind("queries ", 0) == 0 ? "queries" : "records");
    };
    options.old_uri = args_.old_uri;
    options.new_uri = args_.new_uri;
    options.open_options.timeout_seconds = global_.timeout_seconds;
    options.open_options.snapshot_dir = args_.snapshot_dir;
    auto ran = RunGate(old_store, new_store, suite, options, on_fail);
    progress.Finish();
    if (!ran.ok()) {
      return Fail(ran.status(),
                  "the validation could not read everything, so it decided "
                  "nothing; fix the cause and run it again");
    }
    *report = std::move(ran).value();
    report->notes.insert(report->notes.begin(), context_.notes.begin(), context_.notes.end());
    return kGoOn;
  }

  // Writes the reports and the summary; returns the gate's exit code.
  int WriteResults(const ValidationReport& report) {
    auto written = WriteReports(Env::Default(), args_.report_dir, report);
    if (!written.ok()) return ReportError(written.status());
    AppendStepSummary(report);
    if (global_.json) {
      std::cout << NewJsonReporter()->Render(report);
    } else if (!global_.quiet) {
      std::cout << RenderTerminalSummary(report, args_.report_dir, UseColor(1));
    }
    return report.exit_code;
  }

  const ValidateArgs& args_;
  const GlobalOptions& global_;
  const std::chrono::steady_clock::time_point started_;
  ValidationReport context_;  // what is known so far, for an ERROR report
};

}  // namespace

Runner SetupValidate(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ValidateArgs>();
  AddValidateFlags(app, args.get());
  return [args, &global]() -> int { return ValidateRun(*args, global).Run(); };
}

}  // namespace vecgate::cli
