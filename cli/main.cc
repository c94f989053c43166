// vecgate: gates vector-database migrations. The subcommands are listed in
// one table below; each lives in a file of its own (cmd_*.cc).
//
// Global options (--json, --quiet, --timeout) go before or after the
// subcommand: `vecgate --json validate ...` and `vecgate validate ... --json`
// are the same. Any exception that escapes a subcommand (out of memory
// included) ends the run with exit 3 and one line on stderr, never an abort.
#include <exception>
#include <iostream>
#include <new>
#include <vector>

#include "cli/cli.h"
#include "core/text.h"
#include "snapshot/snapshot_store.h"
#include "stores/register.h"

namespace vecgate::cli {
namespace {

const Subcommand kSubcommands[] = {
    {"validate", "Run the checks on a migration and decide PASSED/WARNING/FAILED",
     SetupValidate},
    {"bench", "Query latency p50/p95/p99 and throughput of old vs new, with a verdict",
     SetupBench},
    {"diff", "Show one record from both stores and what changed in it", SetupDiff},
    {"inspect", "List a store's collections with their counts, space and dimension",
     SetupInspect},
    {"fixtures", "Generate, load or fault-inject the bundled fixture corpus",
     SetupFixtures},
    {"snapshot", "Create, list, verify, inspect or clean up pre-migration snapshots",
     SetupSnapshot},
    {"rollback", "Restore a store from a verified snapshot (resumable, journaled)",
     SetupRollback},
    {"audit-log", "Show the audit log of snapshot and rollback operations", SetupAuditLog},
    {"status", "Snapshots, last operation and lock holder of a snapshot directory",
     SetupStatus},
    {"health-check", "Check the store, the snapshot directory and the newest snapshot",
     SetupHealthCheck},
};

int Main(int argc, char** argv) {
  RegisterBuiltinStores();
  RegisterSnapshotStore();
  CLI::App app{
      "vecgate " VECGATE_VERSION " - gates vector-database migrations: " +
          DefaultCheckCountWord() +
          " checks on the old and new\n"
          "stores, Markdown/JSON/JUnit reports, PASSED/WARNING/FAILED with a CI exit\n"
          "code, and rollback from a verified snapshot.\n\n"
          "Stores: " + StoreUriForms() + ".\n\n"
          "Exit codes: 0 passed, 1 warnings, 2 failed, 3 could not complete (a usage\n"
          "error included), 4 failed and rollback failed.",
      "vecgate"};
  app.set_version_flag("--version", "vecgate " VECGATE_VERSION);
  app.require_subcommand(1);
  // Options a subcommand does not know go up to this app, so the global
  // options work after the subcommand too. Subcommands inherit this.
  app.fallthrough();
  app.footer("Run 'vecgate COMMAND --help' for a command's options and an example.");

  GlobalOptions global;
  app.add_flag("-q,--quiet", global.quiet, "Print nothing but errors on stderr")
      ->configurable(false);
  app.add_flag("--json", global.json, "Machine-readable output on stdout");
  app.add_option("--timeout", global.timeout_seconds,
                 "Seconds to wait for each request to a store")
      ->check(CLI::PositiveNumber);

  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const Subcommand& sub : kSubcommands) {
    std::string summary = sub.summary;
    if (std::string(sub.name) == "validate") {
      summary = "Run the " + DefaultCheckCountWord() +
                " checks on a migration and decide PASSED/WARNING/FAILED";
    }
    CLI::App* sub_app = app.add_subcommand(sub.name, summary);
    runners.emplace_back(sub_app, sub.setup(*sub_app, global));
    if (std::string(sub.name) == "validate") {
      sub_app->footer("Checks run by default (" + DefaultCheckCountWord() +
                      "): " + DefaultCheckNames() + ".\nOn request (suite \"checks\"): " +
                      OptionalCheckNames() + ".\n\n" + sub_app->get_footer());
    }
  }
  ShowGlobalOptionsInSubcommandHelp(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 names the first rule a mistyped word broke ("--new is
    // required" for --neww); the mistyped word itself is what to fix.
    const std::vector<std::string> args(argv + 1, argv + argc);
    const std::string unknown = DiagnoseUnknownArgument(app, args);
    std::cerr << "vecgate: error: "
              << (unknown.empty() ? vecgate::Printable(e.what(), true) : unknown) << "\n";
    std::cerr << "Run 'vecgate --help' or 'vecgate COMMAND --help' for usage.\n";
    return kExitError;
  }
  for (auto& [sub_app, runner] : runners) {
    if (sub_app->parsed() && runner) return runner();
  }
  return kExitError;
}

}  // namespace
}  // namespace vecgate::cli

int main(int argc, char** argv) {
  // The last line of defence: a subcommand that lets an exception escape
  // (std::bad_alloc on an absurd size, a library's exception) must not abort
  // with a core dump in a CI job. Nothing was decided: exit 3.
  try {
    return vecgate::cli::Main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::cerr << "vecgate: error: out of memory; nothing was decided (try a smaller "
                 "--page-size, or a machine with more memory)\n";
  } catch (const std::exception& e) {
    std::cerr << "vecgate: error: unexpected internal error: "
              << vecgate::Printable(e.what(), /*one_line=*/true)
              << "; nothing was decided\n";
  } catch (...) {
    std::cerr << "vecgate: error: unexpected internal error; nothing was decided\n";
  }
  return vecgate::kExitError;
}
