// Unit tests of the POSIX Env (atomic writes, locks) and of the bad-sector
// Env that read-fault tests share.
#include "core/env.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil/bad_sector_env.h"
#include "testutil/temp_dir.h"

namespace vecgate {
namespace {

using testutil::TempDir;

TEST(EnvTest, WriteFileAtomicallyReplacesContentAndLeavesNoTemp) {
  Env* env = Env::Default();
  TempDir tmp;
  std::string dir = tmp.path();
  std::string path = dir + "/a.json";
  ASSERT_TRUE(WriteFileAtomically(env, path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(env, path, "second").ok());
  EXPECT_EQ(*env->ReadFile(path), "second");
  auto names = env->ListDir(dir);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"a.json"});
}

// The helper other tests prove read faults with: reads before the bad byte
// succeed, reads that reach it fail through both kinds of handle once armed,
// and other files are untouched.
TEST(EnvTest, BadSectorEnvFailsReadsThatReachTheBadByteOnceArmed) {
  TempDir tmp;
  std::string dir = tmp.path();
  const std::string path = dir + "/data", other = dir + "/other";
  ASSERT_TRUE(
      WriteFileAtomically(Env::Default(), path, std::string(100, 'x')).ok());
  ASSERT_TRUE(
      WriteFileAtomically(Env::Default(), other, std::string(100, 'y')).ok());
  testutil::BadSectorEnv bad(path, 50, /*armed=*/false);
  char buffer[100];
  size_t got = 0;

  auto random = bad.NewRandomAccessFile(path);
  ASSERT_TRUE(random.ok());
  EXPECT_TRUE((*random)->Read(0, 100, buffer, &got).ok()) << "not armed yet";
  bad.Arm();
  EXPECT_TRUE((*random)->Read(0, 50, buffer, &got).ok());
  EXPECT_EQ((*random)->Read(40, 20, buffer, &got).code(), StatusCode::kIoError);

  auto sequential = bad.NewSequentialFile(path);
  ASSERT_TRUE(sequential.ok());
  EXPECT_TRUE((*sequential)->Read(30, buffer, &got).ok());
  EXPECT_EQ((*sequential)->Read(30, buffer, &got).code(), StatusCode::kIoError);
  EXPECT_EQ(bad.failed_reads(), 2);
  EXPECT_EQ(bad.sequential_opens(), 1);

  auto untouched = bad.NewRandomAccessFile(other);
  ASSERT_TRUE(untouched.ok());
  EXPECT_TRUE((*untouched)->Read(0, 100, buffer, &got).ok());
  EXPECT_EQ(bad.failed_reads(), 2);
}

TEST(EnvTest, MissingFileIsNotFoundWithItsPath) {
  auto r = Env::Default()->ReadFile("/nonexistent/vecgate/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/vecgate/file"), std::string::npos);
}

TEST(EnvTest, SecondLockerWaitsThenIsRefusedWithTheHolder) {
  Env* env = Env::Default();
  TempDir tmp;
  std::string path = tmp.File("LOCK");
  auto held = env->LockFile(path, 0);
  ASSERT_TRUE(held.ok());
  pid_t child = ::fork();
  if (child == 0) {
    auto again = Env::Default()->LockFile(path, 0.2);
    bool refused = !again.ok() && again.status().code() == StatusCode::kAborted &&
                   again.status().message().find(std::to_string(::getppid())) !=
                       std::string::npos;
    ::_exit(refused ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(EnvTest, LockOfAKilledProcessIsReleased) {
  TempDir tmp;
  std::string path = tmp.File("LOCK");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    auto held = Env::Default()->LockFile(path, 0);
    char c = held.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  EXPECT_FALSE(Env::Default()->LockFile(path, 0).ok());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(Env::Default()->LockFile(path, 1.0).ok());
}

}  // namespace
}  // namespace vecgate
