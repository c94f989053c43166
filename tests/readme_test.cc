// The README's examples, executed so they cannot rot: the walkthrough blocks
// (marked <!-- readme-test -->) run top to bottom against the real Chroma
// server and, for the Chroma -> pgvector walkthrough, the real PostgreSQL
// with pgvector (PGlite); every suite shown parses; every other `vecgate ...` example names
// a real subcommand and only options that subcommand has.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

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
  bool runnable = false;
};

std::vector<Block> ReadmeBlocks() {
  std::ifstream in(std::string(VECGATE_SOURCE_DIR) + "/README.md");
  std::vector<Block> blocks;
  std::string line;
  bool marked = false;
  Block* open = nullptr;
  while (std::getline(in, line)) {
    if (open != nullptr) {
      if (line.rfind("```", 0) == 0) {
        open = nullptr;
      } else {
        open->text += line + "\n";
      }
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      blocks.push_back({line.substr(3), "", marked});
      open = &blocks.back();
      marked = false;
    } else if (line == "<!-- readme-test -->") {
      marked = true;
    } else if (!line.empty()) {
      marked = false;
    }
  }
  return blocks;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

std::string CliDir() {
  std::string cli = VECGATE_CLI;
  return cli.substr(0, cli.rfind('/'));
}

TEST(ReadmeTest, WalkthroughsRunAgainstRealChromaAndPgvector) {
  std::string script;
  for (const Block& b : ReadmeBlocks()) {
    if (b.runnable) script += b.text;
  }
  ASSERT_THAT(script, HasSubstr("vecgate validate")) << "no runnable walkthrough found";
  EXPECT_THAT(script, Not(HasSubstr("suites/"))) << "the walkthrough must run from any folder";
  // The README's server is 127.0.0.1:8000 in default_tenant; here it is the
  // test server, in a tenant of this test's own.
  ReplaceAll(script, "127.0.0.1:8000", ChromaTestServer::Get().HostPort());
  ReplaceAll(script, "default_tenant", "readme_" + std::to_string(::getpid()));
  // Its PostgreSQL is 127.0.0.1:5432; here the test server, in schemas of
  // this test's own.
  ASSERT_THAT(script, HasSubstr("127.0.0.1:5432/postgres?schema=")) << "no pgvector walkthrough";
  ReplaceAll(script, "127.0.0.1:5432",
             "127.0.0.1:" + std::to_string(PostgresTestServer::Get().port()));
  ReplaceAll(script, "?schema=", "?schema=readme_" + std::to_string(::getpid()) + "_");
  TempDir dir;
  std::ofstream(dir.path() + "/walkthrough.sh") << "set -euo pipefail\n" << script;
  std::string out;
  // In an empty folder: the walkthrough must not depend on the repository
  // being the working directory.
  int rc = RunCommand("cd " + dir.path() + " && PATH=" + CliDir() + ":$PATH bash walkthrough.sh",
                      &out);
  ASSERT_EQ(rc, 0) << out;
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
