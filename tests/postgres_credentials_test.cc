// Credentials against a PostgreSQL that checks them: Debian's PostgreSQL 15
// (tools/postgres/start.sh), started by this test on a free port with
// scram-sha-256 password authentication. PGlite, the other tests' server,
// accepts any password, so only here can a wrong or missing password be
// refused for real. The password is given the ways libpq takes it
// (PGPASSWORD, ~/.pgpass) and never in the URI; whatever happens, it must not
// appear in vecgate's output or reports.
//
// This server has no pgvector (Debian 12 does not package it), so its table
// holds real[] embeddings: the plain-PostgreSQL path, on a real server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::RunCommand;
using testutil::TempDir;

constexpr char kPassword[] = "Corr3ct-horse-7731";
constexpr char kWrongPassword[] = "Wr0ng-battery-4412";

std::string Shell(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PostgresCredentialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string out;
    const std::string cmd = "WATCH_PID=" + std::to_string(::getpid()) + " " +
                            std::string(VECGATE_SOURCE_DIR) + "/tools/postgres/start.sh " +
                            dir_->path() + "/pg " + Shell(kPassword);
    ASSERT_EQ(RunCommand(cmd, &out), 0) << out;
    std::istringstream in(out);
    in >> port_ >> pid_ >> cluster_;
    ASSERT_GT(port_, 0) << out;
    // A table of real[] embeddings, made with psql as the superuser.
    const std::string sql =
        "CREATE TABLE docs (id text PRIMARY KEY, document text, metadata jsonb, "
        "embedding real[]); INSERT INTO docs VALUES "
        "('a', 'first', '{\"n\": 1}', '{1,2,3}'), ('b', 'second', '{\"n\": 2.5}', '{3,2,1}'), "
        "('c', 'third', '{\"n\": 3}', '{0.5,0.25,0.125}');";
    ASSERT_EQ(RunCommand("PGPASSWORD=" + Shell(kPassword) + " psql -q -v ON_ERROR_STOP=1 -h "
                             "127.0.0.1 -p " + std::to_string(port_) + " -U postgres -d postgres -c " +
                             Shell(sql),
                         &out),
              0)
        << out;
  }
  static void TearDownTestSuite() {
    std::string out;
    if (pid_ > 0) {
      RunCommand(std::string(VECGATE_SOURCE_DIR) + "/tools/postgres/stop.sh " +
                     std::to_string(pid_) + " " + cluster_,
                 &out);
    }
    delete dir_;
    dir_ = nullptr;
  }

  static std::string Uri() {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

  // Runs the CLI with `env` (shell assignments) and HOME in a folder of its
  // own (no ~/.pgpass unless the test writes one); output in *out.
  int Run(const std::string& env, const std::string& args, std::string* out) {
    return RunCommand("cd " + home_.path() + " && env -u PGPASSWORD -u PGPASSFILE HOME=" +
                          home_.path() + " " + env + " " + VECGATE_CLI + " " + args + " 2>&1",
                      out);
  }

  static TempDir* dir_;
  static int port_;
  static long pid_;
  static std::string cluster_;
  TempDir home_;
};

TempDir* PostgresCredentialsTest::dir_ = nullptr;
int PostgresCredentialsTest::port_ = 0;
long PostgresCredentialsTest::pid_ = 0;
std::string PostgresCredentialsTest::cluster_;

TEST_F(PostgresCredentialsTest, TheRightPasswordReadsTheRealArrayTable) {
  std::string out;
  EXPECT_EQ(Run("PGPASSWORD=" + Shell(kPassword), "inspect --store " + Uri(), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("docs"));
  EXPECT_THAT(out, Not(HasSubstr(kPassword)));
  // The store gated against itself on a real server: every check runs, and
  // the password is in no report.
  const std::string reports = home_.path() + "/reports";
  EXPECT_EQ(Run("PGPASSWORD=" + Shell(kPassword),
                "validate --old " + Uri() + " --new " + Uri() +
                    " --allow-same-store --report-dir " + reports,
                &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("PASSED"));
  EXPECT_THAT(out, Not(HasSubstr(kPassword)));
  std::string all;
  for (const char* name : {"/validation_report.md", "/validation_report.json",
                           "/validation_report.junit.xml"}) {
    all += ReadFile(reports + name);
  }
  EXPECT_THAT(all, HasSubstr("docs"));
  EXPECT_THAT(all, Not(HasSubstr(kPassword)));
}

TEST_F(PostgresCredentialsTest, AWrongPasswordIsRefusedWithExitThreeAndNeverShown) {
  std::string out;
  EXPECT_EQ(Run("PGPASSWORD=" + Shell(kWrongPassword), "inspect --store " + Uri(), &out), 3)
      << out;
  EXPECT_THAT(out, HasSubstr("refused the credentials"));
  EXPECT_THAT(out, HasSubstr("password authentication failed"));
  EXPECT_THAT(out, HasSubstr("PGPASSWORD or ~/.pgpass"));
  EXPECT_THAT(out, Not(HasSubstr(kWrongPassword)));
  // The same through validate, with --json: exit 3, no PASSED, no password.
  EXPECT_EQ(Run("PGPASSWORD=" + Shell(kWrongPassword),
                "--json validate --old " + Uri() + " --new " + Uri(), &out),
            3)
      << out;
  EXPECT_THAT(out, Not(HasSubstr("PASSED")));
  EXPECT_THAT(out, Not(HasSubstr(kWrongPassword)));
}

TEST_F(PostgresCredentialsTest, AMissingPasswordIsRefusedWithExitThree) {
  std::string out;
  EXPECT_EQ(Run("", "inspect --store " + Uri(), &out), 3) << out;
  EXPECT_THAT(out, HasSubstr("no password supplied"));
  EXPECT_THAT(out, HasSubstr("PGPASSWORD or ~/.pgpass"));
}

TEST_F(PostgresCredentialsTest, APasswordInTheUriIsRefusedBeforeConnecting) {
  std::string out;
  const std::string uri = "postgresql://postgres:" + std::string(kPassword) + "@127.0.0.1:" +
                          std::to_string(port_) + "/postgres";
  EXPECT_EQ(Run("", "inspect --store " + Shell(uri), &out), 3) << out;
  EXPECT_THAT(out, HasSubstr("PGPASSWORD"));
  EXPECT_THAT(out, Not(HasSubstr(kPassword)));
}

TEST_F(PostgresCredentialsTest, ThePasswordFileIsUsedAsLibpqDoes) {
  const std::string pgpass = home_.path() + "/.pgpass";
  std::ofstream(pgpass) << "127.0.0.1:" << port_ << ":*:postgres:" << kPassword << "\n";
  ASSERT_EQ(::chmod(pgpass.c_str(), 0600), 0);
  std::string out;
  EXPECT_EQ(Run("", "inspect --store " + Uri(), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("docs"));
  EXPECT_THAT(out, Not(HasSubstr(kPassword)));
}

}  // namespace
}  // namespace vecgate
