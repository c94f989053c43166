// Unit tests of metadata_completeness: 100 % passes, one missing value in a
// thousand warns, more fails; wrong types, nulls and absent metadata count
// as missing.
#include <gtest/gtest.h>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::FindingIds;
using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

Suite SchemaSuite() {
  Suite s;
  s.required_fields = {"source", "score"};
  s.field_rules = {{"score", "float", 0.0, 1.0, {}, ""}};
  return s;
}

Result<CheckResult> RunCompleteness(size_t n, const std::vector<std::pair<size_t, std::optional<Metadata>>>& edits) {
  Metadata good = {{"source", std::string("a.md")}, {"score", 0.5}};
  MemoryStore old_store, new_store;
  RecordBatch b = MakeBatch("c", n, 4, 1, good);
  old_store.AddCollection("c", DistanceSpace::kL2, 4, b);
  for (const auto& [i, m] : edits) b.mutable_metadatas()[i] = m;
  new_store.AddCollection("c", DistanceSpace::kL2, 4, b);
  auto v = NewMetadataCompletenessValidator();
  Suite suite = SchemaSuite();
  return RunCheck(*v, suite, old_store, new_store, 100);
}

TEST(MetadataCompletenessTest, CompleteRecordsPass) {
  auto r = RunCompleteness(50, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass);
  EXPECT_EQ(r->metrics["min_completeness_percentage"], 100.0);
}

TEST(MetadataCompletenessTest, OneMissingInAThousandWarns) {
  auto r = RunCompleteness(1000, {{321, Metadata{{"score", 0.1}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn);
  EXPECT_DOUBLE_EQ(r->metrics["field_completeness_percentage"]["source"].get<double>(), 99.9);
  EXPECT_EQ(r->metrics["field_completeness_percentage"]["score"], 100.0);
  EXPECT_EQ(FindingIds(*r, "missing_field:source"), std::vector<std::string>{"c-321"});
}

TEST(MetadataCompletenessTest, WrongTypeNullAndNoMetadataAreMissingAndFail) {
  auto r = RunCompleteness(100, {{1, Metadata{{"source", std::string("x")}, {"score", std::string("high")}}},
                                 {2, Metadata{{"source", std::monostate()}, {"score", int64_t{1}}}},
                                 {3, std::nullopt}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);  // 97 % < 99 %
  // An int is a float for the rule, a string is not.
  EXPECT_EQ(FindingIds(*r, "missing_field:score"), (std::vector<std::string>{"c-1", "c-3"}));
  EXPECT_EQ(FindingIds(*r, "missing_field:source"), (std::vector<std::string>{"c-2", "c-3"}));
  EXPECT_EQ(r->findings_total, 4);
  EXPECT_EQ(r->failed_collections, std::vector<std::string>{"c"});
}

}  // namespace
}  // namespace vecgate
