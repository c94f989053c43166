// The documentation's examples, executed so they cannot rot: every `sh` block
// of README.md and docs/*.md runs, in order per file, in an empty folder of
// its own against the real Chroma server and the real PostgreSQL with
// pgvector (PGlite), with `vecgate` on PATH; every block must exit 0 (one
// expected to fail says so itself: `|| echo "exit $?"`). A block that cannot
// run in a test carries `<!-- not-run: REASON -->` right before it. Every
// suite the README shows parses; every `vecgate ...` example names a real
// subcommand and only options that subcommand has.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "suites/suite.h"
#include "tests/chroma_test_env.h"
#include "tests/postgres_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ChromaTestServer;
using testutil::PostgresTestServer;
using testutil::RunCommand;
using testutil::TempDir;

struct Block {
  std::string language;
  std::string text;
  int line = 0;              // of the opening fence, 1-based
  bool not_run = false;      // `<!-- not-run: REASON -->` right before it
  std::string not_run_reason;
};

// The fenced blocks of a file under the source tree, e.g. "README.md".
std::vector<Block> FileBlocks(const std::string& relative) {
  std::ifstream in(std::string(VECGATE_SOURCE_DIR) + "/" + relative);
  std::vector<Block> blocks;
  std::string line;
  int number = 0;
  bool tagged = false;
  std::string reason;
  const std::regex not_run("<!-- not-run:(.*)-->");
  Block* open = nullptr;
  while (std::getline(in, line)) {
    ++number;
    if (open != nullptr) {
      if (line.rfind("```", 0) == 0) {
        open = nullptr;
      } else {
        open->text += line + "\n";
      }
      continue;
    }
    std::smatch m;
    if (line.rfind("```", 0) == 0) {
      blocks.push_back({line.substr(3), "", number, tagged, reason});
      open = &blocks.back();
      tagged = false;
    } else if (std::regex_match(line, m, not_run)) {
      tagged = true;
      reason = std::regex_replace(m[1].str(), std::regex("^ +| +$"), "");
    } else if (!line.empty()) {
      tagged = false;
    }
  }
  return blocks;
}

std::vector<Block> ReadmeBlocks() { return FileBlocks("README.md"); }

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

std::string CliDir() {
  std::string cli = VECGATE_CLI;
  return cli.substr(0, cli.rfind('/'));
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

// README.md and docs/*.md, README first.
std::vector<std::string> DocumentationFiles() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(VECGATE_SOURCE_DIR) + "/docs")) {
    if (entry.path().extension() == ".md") {
      files.push_back("docs/" + entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  files.insert(files.begin(), "README.md");
  return files;
}

// What one file's blocks printed, block by block.
struct FileRun {
  int blocks_run = 0;
  int blocks_not_run = 0;
  std::string output;  // everything
  bool ok = true;
};

constexpr char kMarker[] = "@@docs-block ";

// Runs the `sh` blocks of `relative` in order in one bash (variables carry
// from block to block) under `set -euo pipefail`, in an empty folder, and
// fails naming the file, the block and its output if one exits non-zero.
//
// The docs name the local servers a user starts (`127.0.0.1:8000`,
// `127.0.0.1:5432`); here those are the test servers, `default_tenant` a
// tenant of this file's own and each `?schema=NAME` a schema of its own.
// `VECGATE_SRC` (the docs' name for a clone of the repository) is the
// source tree: lines of the docs that assign it are left out. The library
// writers of docs/pgvector.md write fixed table names in the public schema
// (PGlite ignores the database name): one run per fixture server.
FileRun RunShellBlocks(const std::string& relative, const std::string& dir) {
  static int files_run = 0;
  const std::string unique =
      "docs_" + std::to_string(::getpid()) + "_" + std::to_string(files_run++);
  std::vector<Block> blocks = FileBlocks(relative);
  FileRun run;
  std::string script = "set -euo pipefail\n";
  std::vector<const Block*> ran;
  for (const Block& b : blocks) {
    EXPECT_THAT(b.language, Not(::testing::AnyOf("bash", "shell", "console", "shell-session")))
        << relative << ":" << b.line << ": tag shell blocks `sh`, so that they run";
    if (b.language != "sh") {
      EXPECT_FALSE(b.not_run) << relative << ":" << b.line << ": not-run tag on a " << b.language
                              << " block";
      continue;
    }
    if (b.not_run) {
      EXPECT_FALSE(b.not_run_reason.empty())
          << relative << ":" << b.line << ": a not-run block must say why: " << FirstLine(b.text);
      ++run.blocks_not_run;
      continue;
    }
    std::string text;
    std::istringstream lines(b.text);
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_search(line, std::regex("^(export )?VECGATE_SRC="))) continue;
      text += line + "\n";
    }
    script += "echo '" + std::string(kMarker) + std::to_string(ran.size()) + "'\n" + text;
    ran.push_back(&b);
  }
  script += "echo '" + std::string(kMarker) + "end'\n";
  ReplaceAll(script, "127.0.0.1:8000", ChromaTestServer::Get().HostPort());
  ReplaceAll(script, "default_tenant", unique);
  ReplaceAll(script, "127.0.0.1:5432",
             "127.0.0.1:" + std::to_string(PostgresTestServer::Get().port()));
  ReplaceAll(script, "?schema=", "?schema=" + unique + "_");
  run.blocks_run = static_cast<int>(ran.size());
  if (ran.empty()) return run;
  std::ofstream(dir + "/blocks.sh") << script;
  const int rc = RunCommand("cd " + dir + " && PATH=" + CliDir() + ":$PATH VECGATE_SRC=" +
                                VECGATE_SOURCE_DIR + " bash blocks.sh",
                            &run.output);
  const size_t end = run.output.rfind(std::string(kMarker) + "end");
  if (rc == 0 && end != std::string::npos) return run;
  run.ok = false;
  // The block that did not finish: the last marker printed.
  size_t at = run.output.rfind(kMarker);
  size_t index = 0;
  std::string since = run.output;
  if (at != std::string::npos && std::isdigit(run.output[at + sizeof(kMarker) - 1])) {
    index = std::stoul(run.output.substr(at + sizeof(kMarker) - 1));
    since = run.output.substr(run.output.find('\n', at) + 1);
  }
  ADD_FAILURE() << relative << ":" << ran[index]->line << ": the block starting `"
                << FirstLine(ran[index]->text) << "` exited " << rc << "; its output:\n"
                << since;
  return run;
}

class DocumentationBlocksTest : public ::testing::TestWithParam<std::string> {};

std::string FileTestName(const ::testing::TestParamInfo<std::string>& info) {
  return std::regex_replace(info.param, std::regex("[^A-Za-z0-9]"), "_");
}

// Every sh block of every page runs or says why not; the README's
// walkthrough does what its text says.
TEST_P(DocumentationBlocksTest, EveryShellBlockRunsInOrder) {
  TempDir dir;
  const FileRun run = RunShellBlocks(GetParam(), dir.path());
  std::cout << GetParam() << ": " << run.blocks_run << " blocks run, " << run.blocks_not_run
            << " not run\n";
  if (!run.ok || GetParam() != "README.md") return;
  const std::string& out = run.output;
  EXPECT_THAT(out, HasSubstr("gate exit code 2")) << out;  // the faulty migration FAILED
  EXPECT_THAT(out, HasSubstr("Rollback: performed")) << out;
  // and after the rollback it passes (--json after the subcommand)
  EXPECT_THAT(out, HasSubstr("\"overall_status\": \"PASSED\"")) << out;
  std::string listing;
  RunCommand("ls " + dir.path() + "/reports", &listing);
  EXPECT_THAT(listing, HasSubstr("validation_report.md"));
  // Chroma -> pgvector: the clean copy PASSED (the script's `set -e` holds
  // it to exit 0), the one that lost records FAILED on count.
  EXPECT_THAT(out, HasSubstr("pgvector gate exit code 2")) << out;
  std::string clean, faulty;
  RunCommand("cat " + dir.path() + "/reports_pgvector/validation_report.json", &clean);
  RunCommand("cat " + dir.path() + "/reports_pgvector_faulty/validation_report.json", &faulty);
  EXPECT_THAT(clean, HasSubstr("\"overall_status\": \"PASSED\"")) << clean.substr(0, 2000);
  EXPECT_THAT(clean, HasSubstr("postgresql://")) << "the new side was the pgvector schema";
  EXPECT_THAT(faulty, HasSubstr("\"overall_status\": \"FAILED\"")) << faulty.substr(0, 2000);
  EXPECT_THAT(faulty, HasSubstr("Chunk Count Mismatch")) << faulty.substr(0, 2000);
}

INSTANTIATE_TEST_SUITE_P(readme, DocumentationBlocksTest,
                         ::testing::ValuesIn(DocumentationFiles()), FileTestName);

// The exceptions stay few: a block is left out only for a reason, and the
// walkthroughs the docs promise are among those that run.
TEST(ReadmeTest, FewBlocksAreLeftOut) {
  int run = 0, not_run = 0;
  for (const std::string& file : DocumentationFiles()) {
    for (const Block& b : FileBlocks(file)) {
      if (b.language != "sh") continue;
      (b.not_run ? not_run : run)++;
    }
  }
  EXPECT_GE(run, 20);
  EXPECT_LE(not_run, 2) << "blocks tagged not-run: make them runnable instead";
}

TEST(ReadmeTest, EverySuiteShownParses) {
  int suites = 0;
  for (const Block& b : ReadmeBlocks()) {
    if (b.language != "json") continue;
    auto suite = ParseSuite(b.text, "README.md");
    EXPECT_TRUE(suite.ok()) << suite.status().ToString() << "\n" << b.text;
    ++suites;
  }
  EXPECT_GE(suites, 1);
}

TEST(ReadmeTest, EveryExampleUsesRealSubcommandsAndOptions) {
  int examples = 0;
  for (const Block& b : ReadmeBlocks()) {
    if (b.language != "sh") continue;
    // Join continuation lines, then look at each vecgate command.
    std::string text = b.text;
    ReplaceAll(text, "\\\n", " ");
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      size_t at = line.find("vecgate ");
      if (at == std::string::npos || line.find("make ") != std::string::npos) continue;
      std::istringstream words(line.substr(at + 8));
      std::vector<std::string> command;  // subcommand path
      std::vector<std::string> options;
      for (std::string w; words >> w;) {
        if (w == "||" || w == "|" || w == ")" || w == ";") break;
        if (w.rfind("--", 0) == 0) {
          options.push_back(w.substr(0, w.find('=')));
        } else if (options.empty() && std::regex_match(w, std::regex("[a-z][a-z-]*")) &&
                   command.size() < 2) {
          command.push_back(w);
        }
      }
      std::string path;
      for (const auto& c : command) path += " " + c;
      std::string help;
      int rc = RunCommand(std::string(VECGATE_CLI) + path + " --help", &help);
      // "snapshot verify ID": the id is not a subcommand; retry with one word.
      if (rc != 0 && command.size() == 2) {
        command.pop_back();
        path = " " + command[0];
        rc = RunCommand(std::string(VECGATE_CLI) + path + " --help", &help);
      }
      ASSERT_EQ(rc, 0) << "README example uses an unknown subcommand: " << line;
      // Global options (--json, --quiet, ...) are taken after any subcommand
      // too; `vecgate --help` lists them.
      std::string global_help;
      RunCommand(std::string(VECGATE_CLI) + " --help", &global_help);
      for (const auto& o : options) {
        EXPECT_TRUE(help.find(o) != std::string::npos ||
                    global_help.find(o) != std::string::npos)
            << "README example uses an option that 'vecgate" << path
            << "' does not have: " << line;
      }
      ++examples;
    }
  }
  EXPECT_GE(examples, 15);
}

}  // namespace
}  // namespace vecgate
