// Unit tests of the ustar subset and the archive reader's refusals: unsafe
// member names never get through, in either direction.
#include "snapshot/tar_format.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "snapshot/archive.h"
#include "snapshot/sha256.h"

namespace vecgate {
namespace {

TEST(TarFormatTest, UnsafeMemberNamesAreRefused) {
  for (const char* bad : {"/etc/passwd", "../evil", "a/../../b", "a/..", "a//b",
                          "./a", "a\\b", "a\nb", "a\x01", ""}) {
    EXPECT_EQ(ValidateMemberName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ValidateMemberName(std::string(101, 'a')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateMemberName("snap/collections/0001/records_000000.jsonl").ok());
  std::string out;
  EXPECT_FALSE(AppendTarHeader("../evil", 1, 0, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(TarFormatTest, HeaderRoundTripsAndDamageIsDetected) {
  std::string block;
  ASSERT_TRUE(AppendTarHeader("id/index.json", 12345, 1700000000, &block).ok());
  ASSERT_EQ(block.size(), kTarBlockSize);
  TarHeader h;
  bool end = false;
  ASSERT_TRUE(ParseTarHeader(block.data(), "test", &h, &end).ok());
  EXPECT_FALSE(end);
  EXPECT_EQ(h.name, "id/index.json");
  EXPECT_EQ(h.size, 12345u);
  std::string damaged = block;
  damaged[130] ^= 1;  // inside the size field
  EXPECT_EQ(ParseTarHeader(damaged.data(), "test", &h, &end).code(),
            StatusCode::kCorruption);
  std::string zeros(kTarBlockSize, '\0');
  ASSERT_TRUE(ParseTarHeader(zeros.data(), "test", &h, &end).ok());
  EXPECT_TRUE(end);
}

// A header with a forged name and a correct checksum: what a hostile
// archive would contain.
std::string ForgedHeader(const std::string& name, char type) {
  std::string block;
  EXPECT_TRUE(AppendTarHeader("placeholder", 0, 0, &block).ok());
  std::memset(&block[0], 0, 100);
  std::memcpy(&block[0], name.data(), name.size());
  block[156] = type;
  std::memset(&block[148], ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  std::snprintf(&block[148], 7, "%06o", sum);
  return block;
}

TEST(TarFormatTest, ForgedHeadersAreRefused) {
  TarHeader h;
  bool end = false;
  for (const char* name : {"../../etc/cron.d/x", "/abs/path", "ok\x07name"}) {
    std::string block = ForgedHeader(name, '0');
    EXPECT_EQ(ParseTarHeader(block.data(), "test", &h, &end).code(),
              StatusCode::kCorruption)
        << name;
  }
  std::string link = ForgedHeader("a/link", '2');  // a symlink
  EXPECT_EQ(ParseTarHeader(link.data(), "test", &h, &end).code(),
            StatusCode::kCorruption);
}

TEST(TarFormatTest, ScanArchiveRefusesATraversingMember) {
  std::string tar = ForgedHeader("../evil.txt", '0');
  tar += std::string(2 * kTarBlockSize, '\0');
  // gzip it with zlib.
  std::string gz(compressBound(tar.size()) + 64, '\0');
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(tar.data());
  zs.avail_in = tar.size();
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = gz.size();
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  const std::string path = ::testing::TempDir() + "/evil.tar.gz";
  std::ofstream(path, std::ios::binary) << gz;
  Status s = ScanArchive(Env::Default(), path, [](const MemberEntry&, std::string_view) {
    ADD_FAILURE() << "a member with '..' reached the visitor";
    return Status::Ok();
  });
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find(".."), std::string::npos) << s.message();
}

TEST(Sha256Test, KnownVector) {
  EXPECT_EQ(Sha256::Of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace vecgate
