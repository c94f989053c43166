// Shared pieces of the vecgate command line: the subcommand table entry,
// global options, exit codes (docs/report-format.md) and error printing.
#ifndef VECGATE_CLI_CLI_H_
#define VECGATE_CLI_CLI_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/exit_code.h"
#include "core/status.h"
#include "core/store.h"
#include "suites/suite.h"

namespace vecgate::cli {

// Options every subcommand understands.
struct GlobalOptions {
  bool quiet = false;  // nothing on stderr but errors
  bool json = false;   // machine-readable output on stdout
  double timeout_seconds = 30.0;
};

using Runner = std::function<int()>;

// One row of the subcommand table: `setup` adds the subcommand's options to
// `app` and returns what to run once the command line is parsed.
struct Subcommand {
  const char* name;
  const char* summary;
  Runner (*setup)(CLI::App& app, const GlobalOptions& global);
};

// Prints "vecgate: error: MESSAGE" (and a hint) to stderr; returns kExitError.
int ReportError(const Status& status, const std::string& hint = "");

// Asks `question` on stderr and reads a line from stdin: true only for
// "yes". False at once, without asking, when stdin is not a terminal (CI,
// pipes): callers then say which flag confirms instead. The one place
// vecgate prompts.
bool ConfirmOnTerminal(const std::string& question);

// Opens a store URI with the global options; `what` names its role
// ("--old", "--store") for the error message. `snapshot:ID` resolves
// against `snapshot_dir`, else $SNAPSHOT_DIR, else ./vecgate_snapshots.
Result<std::unique_ptr<Store>> OpenStoreFor(const std::string& uri,
                                            const std::string& what,
                                            const GlobalOptions& global,
                                            const std::string& snapshot_dir = "");

// The suite named by --suite, or the built-in seeds suite when `path` is
// empty. InvalidArgument/NotFound as LoadSuite says (file, JSON path).
Result<Suite> SuiteFromFlag(const std::string& path);

// What identifies the data a store URI names, for telling whether --old
// and --new are the same store: the URI normalised (scheme family, host in
// lower case with localhost, 127.0.0.1 and ::1 as one, default ports,
// default tenant/database, default PostgreSQL schema and layout, credentials
// and connection parameters left out, a file's real path). A URI that does
// not parse is returned as it is (opening it reports the error).
std::string StoreIdentity(const std::string& uri);

// Default store URI: $CHROMADB_URL turned into chroma://HOST:PORT, else "".
std::string DefaultStoreUri();

// Adds "Example:" text to a subcommand's --help.
void SetExample(CLI::App& app, const std::string& example);

// The store URI forms of the scheme registry (core/store.h), joined for a
// help text or an error: "chroma://HOST:PORT[/TENANT/DATABASE], ...".
std::string StoreUriForms();

// The checks a validation runs by default, from the check catalogue
// (suites/checks.h): how many in words ("nine"), and their names joined.
std::string DefaultCheckCountWord();
std::string DefaultCheckNames();
// The checks that run only when a suite switches them on.
std::string OptionalCheckNames();

// After a command line failed to parse: the word the user most likely
// mistyped, as one message ("unknown command 'valdate'; did you mean
// 'validate'?", "unknown option '--neww' for 'vecgate validate'; did you mean
// '--new'?"), or "" when every command and option name in `args` is known.
// `args` excludes the program name. Looks through `app`'s subcommands and
// the options of each command on the way (global options included).
std::string DiagnoseUnknownArgument(CLI::App& app, const std::vector<std::string>& args);

// Appends "Global options" (the options of `app` itself, --help and
// --version aside) to the --help of every subcommand of `app`, nested ones
// included, so each command's help shows every option it accepts.
void ShowGlobalOptionsInSubcommandHelp(CLI::App& app);

// The subcommands, one per file.
Runner SetupFixtures(CLI::App& app, const GlobalOptions& global);
Runner SetupInspect(CLI::App& app, const GlobalOptions& global);
Runner SetupValidate(CLI::App& app, const GlobalOptions& global);
Runner SetupSnapshot(CLI::App& app, const GlobalOptions& global);
Runner SetupRollback(CLI::App& app, const GlobalOptions& global);
Runner SetupAuditLog(CLI::App& app, const GlobalOptions& global);
Runner SetupStatus(CLI::App& app, const GlobalOptions& global);
Runner SetupHealthCheck(CLI::App& app, const GlobalOptions& global);
Runner SetupBench(CLI::App& app, const GlobalOptions& global);
Runner SetupDiff(CLI::App& app, const GlobalOptions& global);

}  // namespace vecgate::cli

#endif  // VECGATE_CLI_CLI_H_
