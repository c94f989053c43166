// Unit tests of the count check: missing and extra ids, tolerance, data
// loss, misrouted records and a missing target collection.
#include <gtest/gtest.h>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::FindingIds;
using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

RecordBatch Without(const RecordBatch& b, const std::set<std::string>& drop) {
  RecordBatch out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (!drop.count(b.id(i))) out.AddFrom(b, i);
  }
  return out;
}

TEST(CountTest, IdenticalStoresPass) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("c", DistanceSpace::kCosine, 4, MakeBatch("c", 20, 4));
  new_store.AddCollection("c", DistanceSpace::kCosine, 4, MakeBatch("c", 20, 4));
  Suite suite;
  auto v = NewCountValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->metrics["old_count"], 20);
  EXPECT_EQ(r->metrics["new_count"], 20);
  EXPECT_EQ(r->metrics["missing_ids"], 0);
  EXPECT_EQ(r->metrics["data_loss_percentage"], 0.0);
  EXPECT_TRUE(r->findings.empty());
}

TEST(CountTest, MissingIdsFailWithIdsAndDataLoss) {
  MemoryStore old_store, new_store;
  RecordBatch all = MakeBatch("c", 20, 4);
  old_store.AddCollection("c", DistanceSpace::kL2, 4, all);
  new_store.AddCollection("c", DistanceSpace::kL2, 4, Without(all, {"c-3", "c-17"}));
  Suite suite;
  auto v = NewCountValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["missing_ids"], 2);
  EXPECT_DOUBLE_EQ(r->metrics["data_loss_percentage"].get<double>(), 10.0);
  EXPECT_EQ(FindingIds(*r, "missing_in_new"), (std::vector<std::string>{"c-17", "c-3"}));
  EXPECT_EQ(r->findings_total, 2);
  EXPECT_EQ(r->failed_collections, std::vector<std::string>{"c"});
}

TEST(CountTest, ToleranceAllowsFewMissingBelowDataLossLimit) {
  MemoryStore old_store, new_store;
  RecordBatch all = MakeBatch("c", 200, 4);
  old_store.AddCollection("c", DistanceSpace::kL2, 4, all);
  new_store.AddCollection("c", DistanceSpace::kL2, 4, Without(all, {"c-1", "c-2"}));
  Suite suite;
  suite.count.tolerance = 5;
  auto v = NewCountValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass);
  EXPECT_DOUBLE_EQ(r->metrics["data_loss_percentage"].get<double>(), 1.0);

  // Data loss above 5 % fails whatever the tolerance.
  suite.count.tolerance = 1000;
  std::set<std::string> drop;
  for (int i = 0; i < 11; ++i) drop.insert("c-" + std::to_string(i));
  new_store.batch("c") = Without(all, drop);
  auto v2 = NewCountValidator();
  auto r2 = RunCheck(*v2, suite, old_store, new_store);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, CheckStatus::kFail);
}

TEST(CountTest, ExtraIdsWarnOrFail) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("c", DistanceSpace::kL2, 4, MakeBatch("c", 10, 4));
  RecordBatch with_extra = MakeBatch("c", 10, 4);
  float v4[4] = {1, 2, 3, 4};
  with_extra.Add("intruder", std::nullopt, std::nullopt, v4, 4);
  new_store.AddCollection("c", DistanceSpace::kL2, 4, with_extra);
  Suite suite;
  auto v = NewCountValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn);
  EXPECT_EQ(FindingIds(*r, "extra_in_new"), std::vector<std::string>{"intruder"});
  suite.count.extra_ids_fail = true;
  auto v2 = NewCountValidator();
  auto r2 = RunCheck(*v2, suite, old_store, new_store);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, CheckStatus::kFail);
}

TEST(CountTest, MisroutedRecordIsMissingInItsSourceAndExtraInTheOtherTarget) {
  MemoryStore old_store, new_store;
  RecordBatch a = MakeBatch("a", 10, 4, 1), b = MakeBatch("b", 10, 4, 2);
  old_store.AddCollection("a", DistanceSpace::kL2, 4, a);
  old_store.AddCollection("b", DistanceSpace::kL2, 4, b);
  RecordBatch new_b = b;
  new_b.AddFrom(a, 4);
  new_store.AddCollection("A", DistanceSpace::kL2, 4, Without(a, {"a-4"}));
  new_store.AddCollection("B", DistanceSpace::kL2, 4, new_b);
  Suite suite;
  suite.mappings = {{{"a"}, "A", {}}, {{"b"}, "B", {}}};
  auto v = NewCountValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  ASSERT_EQ(FindingIds(*r, "missing_in_new"), std::vector<std::string>{"a-4"});
  ASSERT_EQ(FindingIds(*r, "extra_in_new"), std::vector<std::string>{"a-4"});
  EXPECT_EQ(r->failed_collections, std::vector<std::string>{"a"});
  for (const auto& f : r->findings) {
    EXPECT_EQ(f.collection, f.problem == "missing_in_new" ? "a" : "B");
  }
}

TEST(CountTest, MissingTargetLosesEverythingAndFindingsAreCapped) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("c", DistanceSpace::kL2, 4, MakeBatch("c", 30, 4));
  Suite suite;
  suite.max_findings = 5;
  auto v = NewCountValidator();
  auto r = RunCheck(*v, suite, old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_DOUBLE_EQ(r->metrics["data_loss_percentage"].get<double>(), 100.0);
  EXPECT_EQ(r->findings.size(), 5u);
  EXPECT_EQ(r->findings_total, 30);
  // The smallest ids, in order.
  EXPECT_EQ(r->findings[0].id, "c-0");
  EXPECT_EQ(r->findings[1].id, "c-1");
  EXPECT_EQ(r->findings[2].id, "c-10");
}

}  // namespace
}  // namespace vecgate
