// Unit tests of field_types: type (int accepted as float, bool is not int),
// range, enumeration and pattern, with WARN at a low rate and FAIL above.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

Suite RulesSuite() {
  Suite s;
  s.field_rules = {
      {"authenticity_score", "float", 0.0, 1.0, {}, ""},
      {"confidence_level", "string", std::nullopt, std::nullopt, {"high", "medium", "low"}, ""},
      {"language", "string", std::nullopt, std::nullopt, {}, "[a-z]{2}"},
      {"source_line", "int", 1.0, std::nullopt, {}, ""},
  };
  return s;
}

Metadata Good() {
  return {{"authenticity_score", 0.9}, {"confidence_level", std::string("high")},
          {"language", std::string("en")}, {"source_line", int64_t{12}}};
}

Result<CheckResult> RunTypes(size_t n, const std::vector<std::pair<size_t, Metadata>>& edits,
                             Suite suite = RulesSuite()) {
  MemoryStore o, nw;
  RecordBatch b = MakeBatch("c", n, 4, 1, Good());
  o.AddCollection("c", DistanceSpace::kL2, 4, b);
  for (const auto& [i, m] : edits) b.mutable_metadatas()[i] = m;
  nw.AddCollection("c", DistanceSpace::kL2, 4, b);
  auto v = NewFieldTypesValidator();
  return RunCheck(*v, suite, o, nw, 100);
}

Metadata With(const std::string& key, MetadataValue value) {
  Metadata m = Good();
  m[key] = std::move(value);
  return m;
}

TEST(FieldTypesTest, ConformingValuesPassAndIntIsAFloat) {
  auto r = RunTypes(50, {{7, With("authenticity_score", int64_t{1})}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->findings_total, 0);
}

TEST(FieldTypesTest, EachViolationIsNamed) {
  auto r = RunTypes(100, {{1, With("authenticity_score", std::string("0.5"))},
                          {2, With("authenticity_score", 1.7)},
                          {3, With("confidence_level", std::string("maybe"))},
                          {4, With("language", std::string("english"))},
                          {5, With("source_line", true)},
                          {6, With("source_line", int64_t{0})}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  std::map<std::string, std::string> got;
  for (const auto& f : r->findings) got[f.id] = f.problem;
  EXPECT_EQ(got["c-1"], "authenticity_score:wrong_type(float expected, got string)");
  EXPECT_EQ(got["c-2"], "authenticity_score:out_of_range(1.7)");
  EXPECT_EQ(got["c-3"], "confidence_level:not_allowed(\"maybe\")");
  EXPECT_EQ(got["c-4"], "language:pattern");
  EXPECT_EQ(got["c-5"], "source_line:wrong_type(int expected, got bool)");
  EXPECT_EQ(got["c-6"], "source_line:out_of_range(0)");
  EXPECT_EQ(r->metrics["violating_records"], 6);
}

// Rules for lists: every element has the type and keeps to the range,
// the allowed values and the pattern.
TEST(FieldTypesTest, ListRulesJudgeEachElement) {
  Suite suite = RulesSuite();
  suite.field_rules.push_back(
      {"tags", "array<string>", std::nullopt, std::nullopt, {"a", "b"}, ""});
  suite.field_rules.push_back({"scores", "array<float>", 0.0, 1.0, {}, ""});
  auto with_lists = [](MetadataValue tags, MetadataValue scores) {
    Metadata m = Good();
    m["tags"] = std::move(tags);
    m["scores"] = std::move(scores);
    return m;
  };
  const MetadataValue good_tags = MetadataArray{std::string("a"), std::string("b")};
  const MetadataValue good_scores = MetadataArray{int64_t{1}, 0.5};
  MemoryStore o, nw;
  RecordBatch b = MakeBatch("c", 20, 4, 1, with_lists(good_tags, good_scores));
  o.AddCollection("c", DistanceSpace::kL2, 4, b);
  b.mutable_metadatas()[1] = with_lists(std::string("a,b"), good_scores);
  b.mutable_metadatas()[2] =
      with_lists(MetadataArray{std::string("a"), std::string("z")}, good_scores);
  b.mutable_metadatas()[3] = with_lists(good_tags, MetadataArray{0.5, 1.5});
  b.mutable_metadatas()[4] = with_lists(MetadataArray{std::string("a"), int64_t{1}}, good_scores);
  b.mutable_metadatas()[5] = with_lists(MetadataArray{}, good_scores);  // empty: any list
  nw.AddCollection("c", DistanceSpace::kL2, 4, b);
  auto v = NewFieldTypesValidator();
  auto r = RunCheck(*v, suite, o, nw, 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  std::map<std::string, std::string> problems;
  for (const auto& f : r->findings) problems[f.id] = f.problem;
  EXPECT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[b.id(1)], "tags:wrong_type(array<string> expected, got string)");
  EXPECT_EQ(problems[b.id(2)], "tags:not_allowed(\"z\")");
  EXPECT_EQ(problems[b.id(3)], "scores:out_of_range(1.5)");
  EXPECT_EQ(problems[b.id(4)], "tags:wrong_type(array<string> expected, got array<mixed>)");
}

// An object in the metadata does not stop the run: it is a finding of its
// own where no rule covers the field.
TEST(FieldTypesTest, NestedValuesAreFindings) {
  auto r = RunTypes(40, {{3, With("extra", NestedJson{R"({"a":1})"})},
                         {4, With("language", NestedJson{"[null]"})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, std::string> problems;
  for (const auto& f : r->findings) problems[f.id] = f.problem;
  ASSERT_EQ(problems.size(), 2u) << r->summary;
  EXPECT_EQ(problems["c-3"], "extra:nested({\"a\":1})");
  EXPECT_EQ(problems["c-4"], "language:wrong_type(string expected, got nested)");
  EXPECT_EQ(r->metrics["fields"]["extra"]["nested"], 1);
}

TEST(FieldTypesTest, LowRateWarns) {
  auto r = RunTypes(2000, {{99, With("language", std::string("EN"))}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn);  // 0.05 %
}

TEST(FieldTypesTest, BadPatternIsRejected) {
  Suite s = RulesSuite();
  s.field_rules[2].pattern = "([a-z";
  auto r = RunTypes(5, {}, s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("language"), std::string::npos);
}

// Patterns match in linear time: a pattern that backtracks exponentially in
// a backtracking engine, and a 60 KB citation, get their verdict at once.
TEST(FieldTypesTest, BacktrackingPatternGetsItsVerdictAtOnce) {
  Suite s = RulesSuite();
  s.field_rules[2].pattern = "^(a+)+$";
  s.pre_existing = PreExistingPolicy::kFail;  // old holds the same values
  const auto start = std::chrono::steady_clock::now();
  auto r = RunTypes(10, {{3, With("language", std::string(34, 'a') + "b")},
                         {4, With("language", std::string(34, 'a'))}},
                    s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // "en" (8 records) and the a...ab value violate, as "en" did there in old:
  // pre-existing, judged here because the suite says "fail"; 34 a's conform.
  EXPECT_EQ(r->metrics["violating_records"], 0);
  EXPECT_EQ(r->metrics["preexisting_records"], 9);
  EXPECT_EQ(r->status, CheckStatus::kFail);
}

TEST(FieldTypesTest, SixtyKilobyteCitationGetsItsVerdictAtOnce) {
  Suite s;
  for (const FieldRule& rule : DefaultSuite().field_rules) {
    if (rule.field == "if_citation_uri") s.field_rules.push_back(rule);
  }
  ASSERT_EQ(s.field_rules.size(), 1u);
  const std::string long_path(60 * 1024, 'p');
  const auto start = std::chrono::steady_clock::now();
  auto r = RunTypes(10,
                    {{0, With("if_citation_uri", "if://doc/" + long_path)},
                     {1, With("if_citation_uri", "if://doc/" + long_path + " tail")},
                     {2, With("if_citation_uri", "if://doc/" + long_path)}},
                    s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metrics["violating_records"], 1);  // the one with a space
}

}  // namespace
}  // namespace vecgate
