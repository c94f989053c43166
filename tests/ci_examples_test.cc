// The CI examples in docs/ci/, executed so they cannot rot: the shell of
// the GitHub Actions job's `run:` steps and of the GitLab job's `script:`
// runs as written, with the job's environment, against the real Chroma the
// tests start. Only the store URI, the snapshot folder and the snapshot id
// are this test's own. The install steps are not run (they install
// packages; the test puts the vecgate it built on PATH), but they must
// install vecgate's .deb with apt-get in a debian:12 container, build
// nothing, and never need the Chroma server (tests/package_test.cc checks
// the .deb itself).
//
// Each example is run on a clean migration (every step passes, the reports
// its upload steps publish exist), on a faulty one (the gate's step fails
// with exit 2 after the rollback, and the reports are still there) and, for
// GitLab, on an unreachable store (exit 3 and an ERROR report to publish).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

size_t Indent(const std::string& line) {
  size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? line.size() : n;
}

// "KEY: value  # comment" -> value, without quotes or the comment.
std::string ScalarValue(const std::string& text) {
  std::string v = Trim(text);
  if (!v.empty() && (v[0] == '"' || v[0] == '\'')) {
    size_t end = v.find(v[0], 1);
    return v.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  }
  size_t hash = v.find(" #");
  if (hash != std::string::npos) v = Trim(v.substr(0, hash));
  return v;
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines more indented than `lines[at]` that follow it (a block).
std::vector<std::string> BlockAfter(const std::vector<std::string>& lines, size_t at) {
  std::vector<std::string> block;
  const size_t indent = Indent(lines[at]);
  for (size_t i = at + 1; i < lines.size(); ++i) {
    if (!Trim(lines[i]).empty() && Indent(lines[i]) <= indent) break;
    block.push_back(lines[i]);
  }
  return block;
}

// A literal block scalar ("run: |") without its common indentation.
std::string Literal(const std::vector<std::string>& block) {
  size_t indent = std::string::npos;
  for (const auto& l : block) {
    if (!Trim(l).empty()) indent = std::min(indent, Indent(l));
  }
  std::string text;
  for (const auto& l : block) text += (l.size() > indent ? l.substr(indent) : "") + "\n";
  return text;
}

// `KEY: value` pairs of a mapping block; a key with a nested mapping takes
// its `value:`.
std::map<std::string, std::string> Mapping(const std::vector<std::string>& block) {
  std::map<std::string, std::string> out;
  if (block.empty()) return out;
  size_t indent = std::string::npos;
  for (const auto& l : block) {
    if (!Trim(l).empty() && Trim(l)[0] != '#') indent = std::min(indent, Indent(l));
  }
  for (size_t i = 0; i < block.size(); ++i) {
    const std::string& l = block[i];
    if (Trim(l).empty() || Trim(l)[0] == '#' || Indent(l) != indent) continue;
    size_t colon = l.find(':');
    if (colon == std::string::npos) continue;
    std::string key = Trim(l.substr(0, colon));
    std::string value = Trim(l.substr(colon + 1));
    if (value.empty()) {
      for (size_t j = i + 1; j < block.size() && Indent(block[j]) > indent; ++j) {
        std::string inner = Trim(block[j]);
        if (inner.rfind("value:", 0) == 0) value = inner.substr(6);
      }
    }
    out[key] = ScalarValue(value);
  }
  return out;
}

struct Step {
  std::string name;
  std::string run;
};

struct GitHubJob {
  std::map<std::string, std::string> env;
  std::vector<Step> steps;
  std::string permissions;
  std::string text;
};

GitHubJob ParseGitHub(const std::string& path) {
  GitHubJob job;
  job.text = ReadFile(path);
  std::vector<std::string> lines = Lines(path);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string t = Trim(lines[i]);
    if (t == "permissions:") {
      for (const auto& l : BlockAfter(lines, i)) job.permissions += Trim(l) + "\n";
    } else if (t == "env:" && Indent(lines[i]) == 4) {
      job.env = Mapping(BlockAfter(lines, i));
    } else if (t.rfind("- name:", 0) == 0) {
      Step step;
      step.name = ScalarValue(t.substr(7));
      const size_t key_indent = Indent(lines[i]) + 2;
      for (size_t j = i + 1; j < lines.size() && (Trim(lines[j]).empty() ||
                                                  Indent(lines[j]) >= key_indent);
           ++j) {
        if (Indent(lines[j]) == key_indent && Trim(lines[j]) == "run: |") {
          step.run = Literal(BlockAfter(lines, j));
        } else if (Indent(lines[j]) == key_indent && Trim(lines[j]).rfind("run:", 0) == 0) {
          step.run = ScalarValue(Trim(lines[j]).substr(4)) + "\n";
        }
      }
      job.steps.push_back(step);
    }
  }
  return job;
}

struct GitLabJob {
  std::map<std::string, std::string> variables;
  std::vector<std::string> before_script;
  std::vector<std::string> script;
  std::string text;
};

std::vector<std::string> ScriptItems(const std::vector<std::string>& block) {
  std::vector<std::string> items;
  for (size_t i = 0; i < block.size(); ++i) {
    std::string t = Trim(block[i]);
    if (t.rfind("- ", 0) != 0) continue;
    if (t == "- |") {
      std::vector<std::string> body;
      for (size_t j = i + 1; j < block.size(); ++j) {
        if (!Trim(block[j]).empty() && Indent(block[j]) <= Indent(block[i])) break;
        body.push_back(block[j]);
      }
      items.push_back(Literal(body));
    } else {
      items.push_back(t.substr(2) + "\n");
    }
  }
  return items;
}

GitLabJob ParseGitLab(const std::string& path) {
  GitLabJob job;
  job.text = ReadFile(path);
  std::vector<std::string> lines = Lines(path);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string t = Trim(lines[i]);
    if (Indent(lines[i]) != 2) continue;
    if (t == "variables:") job.variables = Mapping(BlockAfter(lines, i));
    if (t == "before_script:") job.before_script = ScriptItems(BlockAfter(lines, i));
    if (t == "script:") job.script = ScriptItems(BlockAfter(lines, i));
  }
  return job;
}

std::string CliDir() {
  std::string cli = VECGATE_CLI;
  return cli.substr(0, cli.rfind('/'));
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// An old store with the fixture corpus, its snapshot, and a migration into
// a new store (with `inject` faults, if any).
struct Migration {
  TempDir dir;  // work dir, snapshot dir
  std::string old_uri;
  std::string new_uri;
  std::string snapshot_id;
  std::string snapshot_dir;

  explicit Migration(const std::string& hint, const std::string& inject = "") {
    old_uri = ChromaTestServer::Get().NewDatabaseUri(hint + "_old");
    new_uri = ChromaTestServer::Get().NewDatabaseUri(hint + "_new");
    snapshot_dir = dir.path() + "/snapshots";
    std::string out;
    const std::string vecgate = std::string(VECGATE_CLI);
    EXPECT_EQ(RunCommand(vecgate + " fixtures load --store " + old_uri +
                             " --scale 0.02 --dimension 8",
                         &out),
              0)
        << out;
    // RunCommand adds 2>&1 after the command: the subshell keeps progress
    // (stderr) out of the id.
    EXPECT_EQ(RunCommand("(SNAPSHOT_DIR=" + snapshot_dir + " " + vecgate +
                             " snapshot create --store " + old_uri + " --name ci_test 2>/dev/null)",
                         &out),
              0)
        << out;
    snapshot_id = Trim(out.substr(0, out.find('\n')));
    EXPECT_EQ(RunCommand(vecgate + " fixtures migrate --from " + old_uri + " --to " + new_uri +
                             (inject.empty() ? "" : " --inject " + inject),
                         &out),
              0)
        << out;
  }
};

struct ScriptRun {
  int exit_code = -1;
  std::string output;
};

// Runs `script` in `workdir` with `env` exported and vecgate on PATH.
ScriptRun RunScript(const std::string& workdir, const std::map<std::string, std::string>& env,
                    const std::string& script) {
  std::string prelude = "set -eo pipefail\ncd " + Quote(workdir) + "\nexport PATH=" +
                        Quote(CliDir()) + ":\"$PATH\"\n";
  for (const auto& [key, value] : env) prelude += "export " + key + "=" + Quote(value) + "\n";
  const std::string path = workdir + "/step_" + std::to_string(std::hash<std::string>()(script)) +
                           ".sh";
  std::ofstream(path) << prelude << script;
  ScriptRun run;
  run.exit_code = RunCommand("bash " + Quote(path) + " 2>&1", &run.output);
  return run;
}

// The job's environment with this test's store, snapshot and GitHub files.
std::map<std::string, std::string> GitHubEnv(const GitHubJob& job, const Migration& m,
                                             const std::string& new_uri) {
  std::map<std::string, std::string> env;
  for (const auto& [key, value] : job.env) {
    std::string v = value;
    if (v.find("${{ inputs.snapshot_id }}") != std::string::npos) v = m.snapshot_id;
    if (v.find("${{ secrets.") != std::string::npos) v = "";
    EXPECT_EQ(v.find("${{"), std::string::npos) << key << ": an expression the test cannot give";
    env[key] = v;
  }
  env["NEW_STORE"] = new_uri;
  env["SNAPSHOT_DIR"] = m.snapshot_dir;
  env["GITHUB_OUTPUT"] = m.dir.path() + "/github_output";
  env["GITHUB_STEP_SUMMARY"] = m.dir.path() + "/step_summary.md";
  return env;
}

void ExpectInstallInstallsTheDeb(const std::string& install) {
  EXPECT_THAT(install, HasSubstr("curl -fsSL -o /tmp/vecgate.deb \"$VECGATE_DEB_URL\""));
  // apt-get (not dpkg -i) so that the package's Depends are installed too.
  EXPECT_THAT(install, HasSubstr("apt-get install -y -qq --no-install-recommends /tmp/vecgate.deb"));
  EXPECT_THAT(install, HasSubstr("ca-certificates"));  // chromas:// and https:// stores
  EXPECT_THAT(install, HasSubstr("vecgate --version"));
  for (const char* build : {"cmake", "make ", "build-essential", "npm", "tools/setup.sh", "sudo"}) {
    EXPECT_THAT(install, Not(HasSubstr(build))) << "the job builds nothing: " << build;
  }
}

// Runs the GitHub job's shell steps as a runner would, in order, until one
// fails (later steps then skip unless `if: always()`, which only the upload
// steps use). Returns the exit code of the first failing step, or 0.
int RunGitHubJob(const GitHubJob& job, const std::map<std::string, std::string>& env,
                 const std::string& workdir, std::string* log) {
  for (const Step& step : job.steps) {
    if (step.run.empty() || step.name.rfind("Install", 0) == 0) continue;
    ScriptRun run = RunScript(workdir, env, step.run);
    *log += "== " + step.name + " (exit " + std::to_string(run.exit_code) + ")\n" + run.output;
    if (run.exit_code != 0) return run.exit_code;
  }
  return 0;
}

const char kGitHub[] = VECGATE_SOURCE_DIR "/docs/ci/github-actions.yml";
const char kGitLab[] = VECGATE_SOURCE_DIR "/docs/ci/gitlab-ci.yml";

TEST(CiExamplesTest, GitHubJobIsComplete) {
  GitHubJob job = ParseGitHub(kGitHub);
  EXPECT_THAT(job.permissions, HasSubstr("checks: write")) << "the JUnit publisher needs it";
  EXPECT_THAT(job.text, HasSubstr("runs-on: [self-hosted, linux]"))
      << "a runner that can reach the stores";
  EXPECT_THAT(job.text, HasSubstr("container:\n      image: debian:12\n"));
  EXPECT_THAT(job.text, HasSubstr("- /srv/vecgate_snapshots:/srv/vecgate_snapshots"))
      << "the snapshot folder outlives the container";
  EXPECT_THAT(job.text, Not(HasSubstr("actions/checkout"))) << "vecgate is not built here";
  EXPECT_TRUE(job.env.count("VECGATE_DEB_URL"));
  ASSERT_TRUE(job.env.count("SNAPSHOT_DIR"));
  EXPECT_EQ(job.env["SNAPSHOT_DIR"].rfind("/srv/", 0), 0u) << "a folder that outlives the job";
  bool install = false;
  for (const Step& s : job.steps) {
    if (s.name.rfind("Install", 0) != 0) continue;
    install = true;
    ExpectInstallInstallsTheDeb(s.run);
  }
  EXPECT_TRUE(install);
  // The upload and JUnit steps publish what the gate writes.
  EXPECT_THAT(job.text, HasSubstr("path: vecgate_reports/"));
  EXPECT_THAT(job.text, HasSubstr("report_paths: vecgate_reports/validation_report.junit.xml"));
  EXPECT_EQ(job.env["REPORT_DIR"], "vecgate_reports");
}

TEST(CiExamplesTest, GitHubJobPassesACleanMigration) {
  Migration m("ci_gh_clean");
  ASSERT_FALSE(m.snapshot_id.empty());
  GitHubJob job = ParseGitHub(kGitHub);
  auto env = GitHubEnv(job, m, m.new_uri);
  std::string log;
  ASSERT_EQ(RunGitHubJob(job, env, m.dir.path(), &log), 0) << log;
  EXPECT_THAT(log, HasSubstr("vecgate: PASSED"));
  EXPECT_THAT(ReadFile(m.dir.path() + "/github_output"), HasSubstr("exit_code=0"));
  EXPECT_THAT(ReadFile(m.dir.path() + "/step_summary.md"),
              HasSubstr("# Migration validation report: \xE2\x9C\x85 PASSED"));
  std::string out;
  EXPECT_EQ(RunCommand("xmllint --noout " + m.dir.path() +
                           "/vecgate_reports/validation_report.junit.xml",
                       &out),
            0)
      << out;
}

TEST(CiExamplesTest, GitHubJobFailsAFaultyMigrationAfterRollingItBack) {
  Migration m("ci_gh_faulty", "drop:0.1");
  GitHubJob job = ParseGitHub(kGitHub);
  auto env = GitHubEnv(job, m, m.new_uri);
  std::string log;
  EXPECT_EQ(RunGitHubJob(job, env, m.dir.path(), &log), 2) << log;
  EXPECT_THAT(log, HasSubstr("::error title=vecgate::FAILED: do not cut over"));
  EXPECT_THAT(log, HasSubstr("Rollback: performed"));
  EXPECT_THAT(ReadFile(m.dir.path() + "/github_output"), HasSubstr("exit_code=2"));
  nlohmann::json report = nlohmann::json::parse(
      ReadFile(m.dir.path() + "/vecgate_reports/validation_report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << log;
  EXPECT_EQ(report.value("overall_status", ""), "FAILED");
}

TEST(CiExamplesTest, GitLabJobIsComplete) {
  GitLabJob job = ParseGitLab(kGitLab);
  EXPECT_TRUE(job.variables.count("SNAPSHOT_ID")) << "SNAPSHOT_ID must be defined";
  EXPECT_EQ(job.variables["SNAPSHOT_DIR"].rfind("/srv/", 0), 0u);
  EXPECT_THAT(job.text, HasSubstr("allow_failure:\n    exit_codes: [1]"));
  EXPECT_THAT(job.text, HasSubstr("junit: vecgate_reports/validation_report.junit.xml"));
  EXPECT_THAT(job.text, HasSubstr("  image: debian:12\n"));
  EXPECT_TRUE(job.variables.count("VECGATE_DEB_URL"));
  ASSERT_EQ(job.before_script.size(), 1u);
  ExpectInstallInstallsTheDeb(job.before_script[0]);
}

std::map<std::string, std::string> GitLabEnv(const GitLabJob& job, const Migration& m,
                                             const std::string& new_uri) {
  std::map<std::string, std::string> env = job.variables;
  env["SNAPSHOT_ID"] = m.snapshot_id;
  env["SNAPSHOT_DIR"] = m.snapshot_dir;
  env["NEW_STORE"] = new_uri;
  return env;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string script;
  for (const auto& item : items) script += item;
  return script;
}

TEST(CiExamplesTest, GitLabJobPassesACleanMigrationAndRefusesAMissingSnapshotId) {
  Migration m("ci_gl_clean");
  GitLabJob job = ParseGitLab(kGitLab);
  ScriptRun run = RunScript(m.dir.path(), GitLabEnv(job, m, m.new_uri), Joined(job.script));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("vecgate: PASSED"));
  EXPECT_THAT(ReadFile(m.dir.path() + "/vecgate_reports/validation_report.md"),
              HasSubstr("PASSED"));

  auto env = GitLabEnv(job, m, m.new_uri);
  env["SNAPSHOT_ID"] = "";
  run = RunScript(m.dir.path(), env, Joined(job.script));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_THAT(run.output, HasSubstr("SNAPSHOT_ID is not set"));
}

TEST(CiExamplesTest, GitLabJobOnAnUnreachableStoreExitsThreeWithAnErrorReport) {
  Migration m("ci_gl_unreachable");
  GitLabJob job = ParseGitLab(kGitLab);
  ScriptRun run = RunScript(m.dir.path(),
                            GitLabEnv(job, m, "chroma://127.0.0.1:1/default_tenant/gone"),
                            Joined(job.script));
  EXPECT_EQ(run.exit_code, 3) << run.output;
  nlohmann::json report = nlohmann::json::parse(
      ReadFile(m.dir.path() + "/vecgate_reports/validation_report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << run.output;
  EXPECT_EQ(report.value("overall_status", ""), "ERROR");
  std::string out;
  EXPECT_EQ(RunCommand("xmllint --noout " + m.dir.path() +
                           "/vecgate_reports/validation_report.junit.xml",
                       &out),
            0)
      << out;
}

}  // namespace
}  // namespace vecgate
