#include "core/text.h"

#include <gtest/gtest.h>

namespace vecgate {
namespace {

TEST(TextTest, InvalidUtf8IsReplacedNotThrown) {
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_EQ(ToValidUtf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(ToValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
  nlohmann::json j = {{"name", std::string("\xFF")}};
  EXPECT_EQ(DumpJson(j), "{\"name\":\"\xEF\xBF\xBD\"}");
}

TEST(TextTest, TerminalEscapesAreShownNotSent) {
  EXPECT_EQ(Printable("\x1B]0;pwned\x07title"), "\\x1B]0;pwned\\x07title");
  EXPECT_EQ(Printable("\x1B[31mred"), "\\x1B[31mred");
  EXPECT_EQ(Printable("a\nb\tc\r"), "a\nb\tc\\x0D");
  EXPECT_EQ(Printable("a\nb", /*one_line=*/true), "a\\x0Ab");
  EXPECT_EQ(Printable("\xC2\x9B" "2J"), "\\u009B2J");  // C1 CSI
  EXPECT_EQ(Printable("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(TextTest, SecretsAreRedactedEverywhere) {
  EXPECT_EQ(Redact("x-chroma-token: s3cret; again s3cret", {"s3cret", ""}),
            "x-chroma-token: ***; again ***");
  EXPECT_EQ(Redact("nothing here", {"s3cret"}), "nothing here");
}

}  // namespace
}  // namespace vecgate

namespace vecgate {
namespace {

TEST(FirstDifferenceTest, NamesTheCharacterAndShowsBothSidesInContext) {
  const std::string before = "The migration kept every record of the manual intact.";
  const std::string after = "The migration kept every record of the manuel intact.";
  TextDifference d = FirstDifference(before, after, 10);
  EXPECT_EQ(d.offset, 43u);
  EXPECT_EQ(d.old_snippet, "...f the manual intact.");
  EXPECT_EQ(d.new_snippet, "...f the manuel intact.");
  EXPECT_EQ(FirstDifference(before, before).offset, std::string::npos);
}

TEST(FirstDifferenceTest, CountsCharactersNotBytesAndKeepsSnippetsPrintable) {
  TextDifference d = FirstDifference("caf\xc3\xa9 \x1b[31mred", "caf\xc3\xa9 \x1b[32mred", 3);
  EXPECT_EQ(d.offset, 8u);  // c a f é space ESC [ 3 -> the digit
  EXPECT_EQ(d.old_snippet.find('\x1b'), std::string::npos) << d.old_snippet;
  EXPECT_NE(d.old_snippet.find("1"), std::string::npos) << d.old_snippet;
  EXPECT_NE(d.new_snippet.find("2"), std::string::npos) << d.new_snippet;
}

}  // namespace
}  // namespace vecgate
