// Shared helpers of the command line: errors, store opening, defaults.
#include "cli/cli.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace vecgate::cli {

int ReportError(const Status& status, const std::string& hint) {
  std::cerr << "vecgate: error: " << status.message() << "\n";
  if (!hint.empty()) std::cerr << "hint: " << hint << "\n";
  return kExitError;
}

bool ConfirmOnTerminal(const std::string& question) {
  if (::isatty(0) != 1) return false;
  std::cerr << question << "\nType yes to continue: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

Result<std::unique_ptr<Store>> OpenStoreFor(const std::string& uri,
                                            const std::string& what,
                                            const GlobalOptions& global,
                                            const std::string& snapshot_dir) {
  if (uri.empty()) {
    return InvalidArgument(what +
                           " is required (a store URI such as "
                           "chroma://127.0.0.1:8000 or jsonl:data.jsonl; "
                           "$CHROMADB_URL is used when set)");
  }
  OpenOptions options;
  options.timeout_seconds = global.timeout_seconds;
  if (const char* dir = std::getenv("SNAPSHOT_DIR")) options.snapshot_dir = dir;
  if (!snapshot_dir.empty()) options.snapshot_dir = snapshot_dir;
  auto store = OpenStore(uri, options);
  if (!store.ok()) return store.status().WithContext(what);
  return store;
}

Result<Suite> SuiteFromFlag(const std::string& path) {
  if (path.empty()) return DefaultSuite();
  return LoadSuite(path);
}

std::string DefaultStoreUri() {
  const char* url = std::getenv("CHROMADB_URL");
  if (url == nullptr || *url == '\0') return "";
  std::string u = url;
  if (u.rfind("http://", 0) == 0) return "chroma://" + u.substr(7);
  if (u.rfind("https://", 0) == 0) return "chromas://" + u.substr(8);
  return u;
}

void SetExample(CLI::App& app, const std::string& example) {
  app.footer("Example:\n  " + example);
}

}  // namespace vecgate::cli
