// Tests of the text helpers behind every report: damaged UTF-8, characters
// XML cannot carry, Markdown table cells, and the number formats.
#include "reports/report_text.h"

#include "core/exit_code.h"

#include <gtest/gtest.h>

namespace vecgate {
namespace report_text {
namespace {

TEST(ValidUtf8Test, KeepsValidTextAndReplacesEveryBadByte) {
  EXPECT_EQ(ValidUtf8("plain"), "plain");
  EXPECT_EQ(ValidUtf8("文档 · ü 😀"), "文档 · ü 😀");
  EXPECT_EQ(ValidUtf8("a\xff"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xE6\x96"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // truncated
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"),                           // surrogate
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(XmlEscapeTest, EscapesMarkupAndDropsWhatXmlCannotCarry) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'", false), "a&lt;b&gt;&amp;\"c'");
  EXPECT_EQ(XmlEscape("a<b>&\"c'", true), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlEscape(std::string("x\x00y\x01z\x1b", 6), false), "xyz");
  EXPECT_EQ(XmlEscape("\xEF\xBF\xBE", false), "");  // U+FFFE
  EXPECT_EQ(XmlEscape("l1\nl2\tt", false), "l1\nl2\tt");
  EXPECT_EQ(XmlEscape("l1\nl2\tt\r", true), "l1&#10;l2&#9;t&#13;");
  EXPECT_EQ(XmlEscape("id\xff", true), "id\xEF\xBF\xBD");
}

TEST(MarkdownTest, CellsEscapePipesAndLineBreaks) {
  EXPECT_EQ(MarkdownCell("a | b"), "a \\| b");
  EXPECT_EQ(MarkdownCell("one\ntwo\r\nthree"), "one<br>two<br>three");
  EXPECT_EQ(MarkdownCell("bell\x07"), "bell\\x07");
}

TEST(MarkdownTest, CellsEscapeHtmlSoIdsAreShownNotInterpreted) {
  EXPECT_EQ(MarkdownCell("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(MarkdownCell("a & b | <c>"), "a &amp; b \\| &lt;c&gt;");
  // Terminal escapes and C1 controls never reach a report raw.
  EXPECT_EQ(MarkdownCell("red\x1b[31m"), "red\\x1B[31m");
  EXPECT_EQ(MarkdownCell("csi\xC2\x9B"), "csi\\u009B");
  EXPECT_EQ(MarkdownCell("bad\xff"), "bad\xEF\xBF\xBD");
}

TEST(FindingGroupsTest, LargestProblemFirstWithItsRecords) {
  std::vector<Finding> findings = {
      {"c", "a", "nan"}, {"c", "b", "missing"}, {"d", "e", "nan"}, {"c", "f", "nan"}};
  auto groups = GroupByProblem(findings);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].problem, "nan");
  ASSERT_EQ(groups[0].findings.size(), 3u);
  EXPECT_EQ(groups[0].findings[1]->id, "e");
  EXPECT_EQ(groups[1].problem, "missing");
}

TEST(MarkdownTest, CodeSpansHoldAnyId) {
  EXPECT_EQ(MarkdownCode("doc_1"), "`doc_1`");
  EXPECT_EQ(MarkdownCode("a|b"), "`a\\|b`");
  // CommonMark strips one space from both ends, so both ends are padded.
  EXPECT_EQ(MarkdownCode("has `tick`"), "`` has `tick` ``");
  EXPECT_EQ(MarkdownCode("x``y"), "```x``y```");
  EXPECT_EQ(MarkdownCode("line\nbreak\x07"), "`line\\nbreak\\x07`");
  EXPECT_EQ(MarkdownCode(""), "` `");
}

TEST(FormatTest, NumbersReadLikeTheSeeds) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(9832), "9,832");
  EXPECT_EQ(FormatCount(-1234567), "-1,234,567");
  EXPECT_EQ(FormatSeconds(32.451), "32.45s");
  EXPECT_EQ(FormatPercent(0), "0 %");
  EXPECT_EQ(FormatPercent(4.2), "4.2 %");
  EXPECT_EQ(FormatPercent(100.0 * 3 / 9832), "0.03 %");
  EXPECT_EQ(FormatPercent(0.0031), "0.0031 %");
  EXPECT_EQ(FormatPercent(25), "25 %");
  // Rounding never shows a fraction as a whole number.
  EXPECT_EQ(FormatPercent(99.9996), "99.9996 %");
  EXPECT_EQ(FormatDecimal(0.99999994, 4), "0.9999999");
  EXPECT_EQ(FormatDecimal(99.877912, 4), "99.8779");
}

TEST(FormatTest, ExitCodesAndBadges) {
  EXPECT_STREQ(ExitCodeMeaning(0), "passed");
  EXPECT_STREQ(ExitCodeMeaning(4),
               "failed and the rollback failed: manual intervention needed");
  EXPECT_EQ(StatusBadge(CheckStatus::kFail), "\xE2\x9D\x8C FAIL");
}

}  // namespace
}  // namespace report_text
}  // namespace vecgate
