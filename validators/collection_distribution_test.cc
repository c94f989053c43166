// Unit tests of collection_distribution: expected targets, exact and summed
// expected counts, and unexpected collections (WARN, or FAIL when asked).
#include <gtest/gtest.h>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

class DistributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_store_.AddCollection("a", DistanceSpace::kL2, 4, MakeBatch("a", 10, 4));
    old_store_.AddCollection("b", DistanceSpace::kL2, 4, MakeBatch("b", 5, 4));
    RecordBatch merged = MakeBatch("a", 10, 4);
    RecordBatch b = MakeBatch("b", 5, 4);
    for (size_t i = 0; i < b.size(); ++i) merged.AddFrom(b, i);
    new_store_.AddCollection("ab", DistanceSpace::kL2, 4, merged);
    suite_.mappings = {{{"a", "b"}, "ab", {}}};
  }
  Result<CheckResult> RunDistribution() {
    auto v = NewCollectionDistributionValidator();
    return RunCheck(*v, suite_, old_store_, new_store_);
  }
  MemoryStore old_store_, new_store_;
  Suite suite_;
};

TEST_F(DistributionTest, MergedTargetHoldingItsSourcesPasses) {
  auto r = RunDistribution();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
}

TEST_F(DistributionTest, ExpectedCountFromTheSuiteIsExact) {
  suite_.mappings[0].expected_count = 16;
  auto r = RunDistribution();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].collection, "ab");
  EXPECT_EQ(r->findings[0].problem, "count 15 != expected 16 (suite)");
  EXPECT_EQ(r->failed_collections, (std::vector<std::string>{"a", "b"}));
}

TEST_F(DistributionTest, ShortTargetFails) {
  RecordBatch shorter;
  for (size_t i = 0; i + 1 < 15; ++i) shorter.AddFrom(MakeBatch("x", 15, 4), i);
  new_store_.batch("ab") = shorter;
  auto r = RunDistribution();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["count_mismatches"], 1);
}

TEST_F(DistributionTest, MissingTargetFails) {
  suite_.mappings = {{{"a", "b"}, "nowhere", {}}};
  auto r = RunDistribution();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["missing_collections"], 1);
  // "ab" is now unexpected as well.
  EXPECT_EQ(r->metrics["unexpected_collections"], 1);
}

TEST_F(DistributionTest, UnexpectedCollectionWarnsOrFails) {
  new_store_.AddCollection("stray", DistanceSpace::kL2, 4, MakeBatch("s", 2, 4));
  auto r = RunDistribution();
  EXPECT_EQ(r->status, CheckStatus::kWarn);
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].collection, "stray");
  EXPECT_EQ(r->findings[0].problem, "unexpected_collection");
  suite_.distribution.unexpected_collections_fail = true;
  EXPECT_EQ(RunDistribution()->status, CheckStatus::kFail);
  suite_.distribution.unexpected_collections_fail = false;
  suite_.strict_collections = false;
  EXPECT_EQ(RunDistribution()->status, CheckStatus::kPass);
}

TEST_F(DistributionTest, CollectionsKeptAsideByARollbackAreNotStray) {
  new_store_.AddCollection("ab_failed_20261122012708", DistanceSpace::kL2, 4,
                           MakeBatch("x", 2, 4));
  new_store_.AddCollection("ab_failed_2026", DistanceSpace::kL2, 4, MakeBatch("y", 2, 4));
  auto r = RunDistribution();
  EXPECT_EQ(r->metrics["rollback_aside_collections"], 1);
  EXPECT_EQ(r->metrics["unexpected_collections"], 1) << "not a rollback's name: stray";
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].collection, "ab_failed_2026");
}

}  // namespace
}  // namespace vecgate
