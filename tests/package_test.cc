// The Debian package as a user gets it: CPack builds the .deb from this
// build (the same install rules `make package` uses), its Depends are the
// packages of the libraries the binary is linked against (dpkg-shlibdeps,
// compared here with readelf/ldd and dpkg -S), and the binary unpacked from
// it (dpkg-deb -x into a scratch root) runs the README's Chroma walkthrough
// against the real Chroma server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n") - b + 1);
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) {
    if (!Trim(part).empty()) parts.push_back(Trim(part));
  }
  return parts;
}

// Builds the .deb into `dir` with the build's CPack configuration; returns
// its path.
std::string BuildDeb(const std::string& dir) {
  std::string out;
  const int rc = RunCommand("cpack -G DEB --config " VECGATE_BINARY_DIR "/CPackConfig.cmake -B " +
                                dir,
                            &out);
  EXPECT_EQ(rc, 0) << out;
  std::string deb;
  RunCommand("ls " + dir + "/*.deb", &deb);
  return Trim(deb);
}

// "libc6 (>= 2.34), libcurl4 (>= 7.16.2) | libcurl4-gnutls" -> {libc6, libcurl4, ...}
std::set<std::string> DependsPackages(const std::string& depends) {
  std::set<std::string> names;
  for (const std::string& clause : Split(depends, ',')) {
    for (const std::string& alternative : Split(clause, '|')) {
      names.insert(alternative.substr(0, alternative.find_first_of(" (")));
    }
  }
  return names;
}

// The Debian package that ships `path` ("libcurl4" for its libcurl.so.4),
// or "" when dpkg knows no owner.
std::string OwnerOf(const std::string& path) {
  std::string out;
  std::vector<std::string> candidates{path};
  // With merged /usr a library is found as /lib/... but shipped as /usr/lib/...
  // or the other way round.
  if (path.rfind("/usr/", 0) == 0) {
    candidates.push_back(path.substr(4));
  } else {
    candidates.push_back("/usr" + path);
  }
  char* real = ::realpath(path.c_str(), nullptr);
  if (real != nullptr) {
    candidates.push_back(real);
    std::free(real);
  }
  for (const std::string& candidate : candidates) {
    if (RunCommand("dpkg -S " + candidate + " 2>/dev/null", &out) == 0) {
      return out.substr(0, out.find_first_of(":,"));
    }
  }
  return "";
}

TEST(PackageTest, DependsAreThePackagesOfTheLibrariesTheBinaryNeeds) {
  TempDir dir;
  const std::string deb = BuildDeb(dir.path());
  ASSERT_THAT(deb, HasSubstr("vecgate_" VECGATE_VERSION "_"));
  std::string depends;
  ASSERT_EQ(RunCommand("dpkg-deb -f " + deb + " Depends", &depends), 0) << depends;
  const std::set<std::string> declared = DependsPackages(depends);

  // The libraries the binary names itself (NEEDED), found where the loader
  // finds them (ldd), mapped to their packages.
  std::string needed_text, ldd;
  ASSERT_EQ(RunCommand("readelf -d " VECGATE_CLI " | sed -n 's/.*Shared library: \\[\\(.*\\)\\]/\\1/p'",
                       &needed_text),
            0);
  ASSERT_EQ(RunCommand("ldd " VECGATE_CLI, &ldd), 0) << ldd;
  std::set<std::string> needed_packages, all_packages;
  for (const std::string& line : Split(ldd, '\n')) {
    const size_t arrow = line.find(" => ");
    if (arrow == std::string::npos) continue;
    const std::string soname = Trim(line.substr(0, arrow));
    std::string path = line.substr(arrow + 4);
    path = path.substr(0, path.find(" ("));
    const std::string owner = OwnerOf(path);
    ASSERT_FALSE(owner.empty()) << "no Debian package ships " << path;
    all_packages.insert(owner);
    if (needed_text.find(soname + "\n") != std::string::npos) needed_packages.insert(owner);
  }
  ASSERT_FALSE(needed_packages.empty()) << ldd;
  // Every library the binary needs is depended on ...
  for (const std::string& package : needed_packages) {
    EXPECT_TRUE(declared.count(package)) << package << " is missing from Depends: " << depends;
  }
  // ... and nothing else: every Depends entry ships a library it loads.
  for (const std::string& package : declared) {
    EXPECT_TRUE(all_packages.count(package))
        << package << " is in Depends but ships no library the binary loads: " << depends;
  }
  EXPECT_TRUE(declared.count("libpq5")) << "postgresql:// stores need libpq: " << depends;
  EXPECT_TRUE(declared.count("libcurl4")) << "chroma:// stores need libcurl: " << depends;
}

// The README's walkthrough: its sh blocks from "## A walkthrough" up to
// the first one that needs PostgreSQL (they need only Chroma).
std::string ChromaWalkthrough() {
  std::ifstream in(std::string(VECGATE_SOURCE_DIR) + "/README.md");
  std::string script, line, block;
  bool in_walkthrough = false, open = false;
  while (std::getline(in, line)) {
    if (open) {
      if (line.rfind("```", 0) == 0) {
        open = false;
        if (block.find("postgresql://") != std::string::npos) break;
        script += block;
      } else {
        block += line + "\n";
      }
      continue;
    }
    if (line.rfind("## ", 0) == 0) {
      if (in_walkthrough && line != "## A walkthrough") break;
      in_walkthrough = line == "## A walkthrough";
    } else if (in_walkthrough && line == "```sh") {
      open = true;
      block.clear();
    }
  }
  return script;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

TEST(PackageTest, TheUnpackedBinaryRunsTheReadmeWalkthrough) {
  TempDir dir;
  const std::string deb = BuildDeb(dir.path() + "/out");
  ASSERT_FALSE(deb.empty());
  const std::string root = dir.path() + "/root";
  std::string out;
  ASSERT_EQ(RunCommand("dpkg-deb -x " + deb + " " + root, &out), 0) << out;
  ASSERT_EQ(RunCommand("test -x " + root + "/usr/bin/vecgate && test -f " + root +
                           "/usr/share/vecgate/suites/seeds.json && test -f " + root +
                           "/usr/share/vecgate/schemas/manifest.schema.json",
                       &out),
            0)
      << "the package holds /usr/bin/vecgate, the suites and the schemas";

  std::string script = ChromaWalkthrough();
  ASSERT_THAT(script, HasSubstr("vecgate validate"));
  ASSERT_THAT(script, Not(HasSubstr("postgresql://")));
  ReplaceAll(script, "127.0.0.1:8000", ChromaTestServer::Get().HostPort());
  ReplaceAll(script, "default_tenant", "package_" + std::to_string(::getpid()));
  const std::string work = dir.path() + "/work";
  ASSERT_EQ(RunCommand("mkdir -p " + work, &out), 0);
  std::ofstream(work + "/walkthrough.sh")
      << "set -euo pipefail\n"
      << "test \"$(command -v vecgate)\" = " << root << "/usr/bin/vecgate\n"
      << script;
  // Only the unpacked package's vecgate on PATH, in an empty folder.
  const int rc = RunCommand("cd " + work + " && PATH=" + root + "/usr/bin:/usr/bin:/bin bash " +
                                "walkthrough.sh",
                            &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("gate exit code 2")) << out;  // the faulty migration FAILED
  EXPECT_THAT(out, HasSubstr("Rollback: performed")) << out;
  EXPECT_THAT(out, HasSubstr("\"overall_status\": \"PASSED\"")) << out;
}

}  // namespace
}  // namespace vecgate
