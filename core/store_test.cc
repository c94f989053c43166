// The aside-name format, made and recognised in one place (core/store.h).
#include "core/store.h"

#include <gtest/gtest.h>

namespace vecgate {
namespace {

TEST(RollbackAsideNameTest, MadeNamesAreRecognisedAndCollisionsNumbered) {
  const std::string stamp = "2026-12-01T05:02:03Z";
  std::set<std::string> taken;
  const std::string first = RollbackAsideName("docs", stamp, taken);
  EXPECT_EQ(first, "docs_failed_20261201050203");
  EXPECT_TRUE(IsRollbackAsideName(first));
  taken.insert(first);
  const std::string second = RollbackAsideName("docs", stamp, taken);
  EXPECT_EQ(second, "docs_failed_20261201050203_2");
  EXPECT_TRUE(IsRollbackAsideName(second));
}

TEST(RollbackAsideNameTest, LongNamesAreCutToFitChroma) {
  const std::string name = RollbackAsideName(std::string(600, 'x'), "20261201050203", {});
  EXPECT_LE(name.size() + 4, 512u);  // room left for a "_N" counter
  EXPECT_TRUE(IsRollbackAsideName(name));
}

TEST(RollbackAsideNameTest, LongNamesFitAStoresLimitAndStayApart) {
  // PostgreSQL's 63 bytes: a 42-byte name plus "_failed_" and 14 digits
  // would not fit.
  const std::string a = RollbackAsideName(std::string(42, 'a') + "_one", "20261201050203", {}, 63);
  const std::string b = RollbackAsideName(std::string(42, 'a') + "_two", "20261201050203", {}, 63);
  EXPECT_LE(a.size() + 4, 63u);
  EXPECT_TRUE(IsRollbackAsideName(a)) << a;
  EXPECT_NE(a, b);  // the hash of the whole name tells them apart
  EXPECT_EQ(RollbackAsideName("docs", "20261201050203", {}, 63), "docs_failed_20261201050203");
}

TEST(RollbackAsideNameTest, OtherNamesAreNotAside) {
  for (const char* name : {"docs", "docs_failed_", "docs_failed_2026120105020",
                           "docs_failed_20261201050203_", "docs_failed_20261201050203_x",
                           "docs_failed_20261201050203x"}) {
    EXPECT_FALSE(IsRollbackAsideName(name)) << name;
  }
}

}  // namespace
}  // namespace vecgate
