// Shared helpers of the command line: errors, store opening, defaults.
#include "cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include <cstdlib>
#include <iostream>

#include "core/text.h"
#include "stores/chroma_store.h"
#include "stores/postgres_store.h"
#include "suites/checks.h"

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
    return InvalidArgument(what + " is required: a store URI, one of " + StoreUriForms() +
                           " ($CHROMADB_URL is used when set)");
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

namespace {

std::string LowerCase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One name for the loopback host, however it is written.
std::string HostIdentity(const std::string& host) {
  const std::string lower = LowerCase(host);
  if (lower == "localhost" || lower == "127.0.0.1" || lower == "[::1]" || lower == "::1" ||
      lower.empty()) {
    return "localhost";
  }
  return lower;
}

std::string RealPath(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return path;
  std::string out = resolved;
  std::free(resolved);
  return out;
}

}  // namespace

std::string StoreIdentity(const std::string& uri) {
  const std::string lower = LowerCase(uri.substr(0, uri.find(':') + 1));
  if (lower == "chroma:" || lower == "chromas:" || lower == "http:" || lower == "https:") {
    auto parsed = ParseChromaUri(uri);
    if (!parsed.ok()) return uri;
    // TLS or not, it is the same server's data.
    return "chroma://" + HostIdentity(parsed->host) + ":" + std::to_string(parsed->port) +
           "/" + parsed->tenant + "/" + parsed->database;
  }
  if (lower == "postgresql:" || lower == "postgres:") {
    auto parsed = ParsePostgresUri(uri);
    if (!parsed.ok()) return uri;
    int port = parsed->port;
    if (port == 0) {
      const char* env_port = std::getenv("PGPORT");
      port = env_port != nullptr && *env_port != '\0' ? std::atoi(env_port) : 5432;
    }
    // The user and libpq parameters (sslmode, ...) do not change the data.
    return "postgresql://" + HostIdentity(parsed->host) + ":" + std::to_string(port) + "/" +
           parsed->database + "?schema=" + parsed->schema + "&layout=" +
           (parsed->layout == PostgresLayout::kLangchain ? "langchain" : "tables");
  }
  if (lower == "jsonl:") return "jsonl:" + RealPath(uri.substr(6));
  if (lower == "snapshot:") {
    const std::string rest = uri.substr(9);
    return "snapshot:" + (rest.find('/') != std::string::npos ? RealPath(rest) : rest);
  }
  return uri;
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

std::string StoreUriForms() {
  std::string forms;
  for (const std::string& usage : StoreSchemeUsages()) {
    forms += (forms.empty() ? "" : ", ") + usage;
  }
  return forms;
}

std::string DefaultCheckCountWord() {
  static const char* const kWords[] = {"no",    "one",  "two", "three", "four", "five",
                                       "six",   "seven", "eight", "nine", "ten", "eleven",
                                       "twelve"};
  size_t n = 0;
  for (const CheckInfo& check : AllChecks()) n += check.on_by_default;
  return n < sizeof(kWords) / sizeof(kWords[0]) ? kWords[n] : std::to_string(n);
}

std::string DefaultCheckNames() {
  std::string names;
  for (const CheckInfo& check : AllChecks()) {
    if (check.on_by_default) names += (names.empty() ? "" : ", ") + std::string(check.name);
  }
  return names;
}

std::string OptionalCheckNames() {
  std::string names;
  for (const CheckInfo& check : AllChecks()) {
    if (!check.on_by_default) names += (names.empty() ? "" : ", ") + std::string(check.name);
  }
  return names.empty() ? "none" : names;
}

namespace {

bool LooksLikeOption(const std::string& word) {
  if (word.size() < 2 || word[0] != '-') return false;
  // A negative number is a value, not an option.
  return !(std::isdigit(static_cast<unsigned char>(word[1])) || word[1] == '.');
}

// The option of `chain` (the command and its parents, innermost last) that
// `name` ("--new", "-q") names, or nullptr.
const CLI::Option* FindOption(const std::vector<CLI::App*>& chain, const std::string& name) {
  for (auto app = chain.rbegin(); app != chain.rend(); ++app) {
    for (const CLI::Option* opt : (*app)->get_options()) {
      if (!opt->nonpositional()) continue;
      if (name.rfind("--", 0) == 0) {
        for (const std::string& l : opt->get_lnames()) {
          if ("--" + l == name) return opt;
        }
      } else {
        for (const std::string& s : opt->get_snames()) {
          if ("-" + s == name.substr(0, 2)) return opt;
        }
      }
    }
  }
  return nullptr;
}

std::string CommandPath(const std::vector<CLI::App*>& chain) {
  std::string path;
  for (const CLI::App* app : chain) path += (path.empty() ? "" : " ") + app->get_name();
  return path;
}

}  // namespace

std::string DiagnoseUnknownArgument(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<CLI::App*> chain{&app};
  bool skip_value = false;
  for (const std::string& word : args) {
    if (word == "--") break;
    if (LooksLikeOption(word)) {
      skip_value = false;
      const std::string name = word.substr(0, word.find('='));
      const CLI::Option* opt = FindOption(chain, name);
      if (opt == nullptr) {
        std::vector<std::string> known;
        for (const CLI::App* a : chain) {
          for (const CLI::Option* o : a->get_options()) {
            for (const std::string& l : o->get_lnames()) known.push_back("--" + l);
          }
        }
        std::string message = "unknown option '" + Printable(name, true) + "' for '" +
                              CommandPath(chain) + "'";
        const std::string best = ClosestMatch(name, known);
        if (!best.empty()) message += "; did you mean '" + best + "'?";
        return message;
      }
      skip_value = opt->get_type_size_max() > 0 && name == word &&
                   (name.rfind("--", 0) == 0 || name.size() == 2);
      continue;
    }
    if (skip_value) {
      skip_value = false;
      continue;
    }
    CLI::App* current = chain.back();
    std::vector<CLI::App*> subcommands = current->get_subcommands([](CLI::App*) { return true; });
    CLI::App* match = nullptr;
    std::vector<std::string> names;
    for (CLI::App* sub : subcommands) {
      names.push_back(sub->get_name());
      if (sub->get_name() == word) match = sub;
    }
    if (match != nullptr) {
      chain.push_back(match);
      continue;
    }
    const bool takes_positionals =
        !current->get_options([](const CLI::Option* o) { return !o->nonpositional(); }).empty();
    if (subcommands.empty() || takes_positionals) continue;  // a value
    std::string message = "unknown command '" + Printable(word, true) + "'";
    if (chain.size() > 1) message += " for '" + CommandPath(chain) + "'";
    const std::string best = ClosestMatch(word, names);
    if (!best.empty()) {
      message += "; did you mean '" + best + "'?";
    } else {
      std::string all;
      for (const std::string& n : names) all += (all.empty() ? "" : ", ") + n;
      message += "; the commands are: " + all;
    }
    return message;
  }
  return "";
}

void ShowGlobalOptionsInSubcommandHelp(CLI::App& app) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const CLI::Option* opt : app.get_options()) {
    if (!opt->nonpositional() || opt == app.get_help_ptr() ||
        opt == app.get_option_no_throw("--version")) {
      continue;
    }
    std::string name = opt->get_name(false, true);
    if (opt->get_type_size_max() > 0) name += " " + opt->get_type_name();
    width = std::max(width, name.size());
    rows.emplace_back(name, opt->get_description());
  }
  std::string text = "Global options (before or after the command):";
  for (const auto& [name, description] : rows) {
    text += "\n  " + name + std::string(width + 2 - name.size(), ' ') + description;
  }
  text += "\n";
  std::vector<CLI::App*> todo = app.get_subcommands([](CLI::App*) { return true; });
  while (!todo.empty()) {
    CLI::App* sub = todo.back();
    todo.pop_back();
    const std::string footer = sub->get_footer();
    sub->footer(footer.empty() ? text : footer + "\n\n" + text);
    for (CLI::App* nested : sub->get_subcommands([](CLI::App*) { return true; })) {
      todo.push_back(nested);
    }
  }
}

}  // namespace vecgate::cli
