// Unit tests of duplicates: duplicate ids always fail, duplicate documents
// and identical embeddings warn at a low rate and fail above 1 %, and
// near-duplicates are reported when enabled.
#include <gtest/gtest.h>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::FindingIds;
using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

Result<CheckResult> RunDuplicates(MemoryStore& old_store, MemoryStore& new_store,
                                  const Suite& suite = Suite()) {
  auto v = NewDuplicatesValidator();
  return RunCheck(*v, suite, old_store, new_store, 64);
}

TEST(DuplicatesTest, DistinctRecordsPass) {
  MemoryStore o, n;
  o.AddCollection("c", DistanceSpace::kL2, 8, MakeBatch("c", 300, 8));
  n.AddCollection("c", DistanceSpace::kL2, 8, MakeBatch("c", 300, 8));
  auto r = RunDuplicates(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
}

TEST(DuplicatesTest, SameIdInTwoTargetsFails) {
  MemoryStore o, n;
  o.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 20, 8, 1));
  o.AddCollection("b", DistanceSpace::kL2, 8, MakeBatch("b", 20, 8, 2));
  RecordBatch b = MakeBatch("b", 20, 8, 2);
  float v[8] = {9, 9, 9, 9, 9, 9, 9, 1};
  b.Add("a-5", "another text", std::nullopt, v, 8);
  n.AddCollection("a", DistanceSpace::kL2, 8, MakeBatch("a", 20, 8, 1));
  n.AddCollection("b", DistanceSpace::kL2, 8, b);
  auto r = RunDuplicates(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["duplicate_id_count"], 1);
  ASSERT_EQ(FindingIds(*r, "duplicate_id"), std::vector<std::string>{"a-5"});
  EXPECT_EQ(r->findings[0].collection, "b");
}

TEST(DuplicatesTest, DuplicateDocumentsWarnAtLowRateAndFailAbove) {
  MemoryStore o, n;
  RecordBatch b = MakeBatch("c", 1000, 8);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  b.mutable_documents()[700] = b.document(3);  // 2 of 1000 records: 0.2 %
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunDuplicates(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn);
  EXPECT_EQ(FindingIds(*r, "duplicate_document_of:c-3"), std::vector<std::string>{"c-700"});
  EXPECT_DOUBLE_EQ(r->metrics["duplicate_document_percentage"].get<double>(), 0.2);
  for (int i = 0; i < 10; ++i) b.mutable_documents()[800 + i] = b.document(3);  // 1.2 %
  n.batch("c") = b;
  auto r2 = RunDuplicates(o, n);
  EXPECT_EQ(r2->status, CheckStatus::kFail);
  Suite off;
  off.duplicates.check_documents = false;
  EXPECT_EQ(RunDuplicates(o, n, off)->status, CheckStatus::kPass);
}

TEST(DuplicatesTest, IdenticalEmbeddingsAreReported) {
  MemoryStore o, n;
  RecordBatch b = MakeBatch("c", 100, 8);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  b.SetEmbedding(50, b.embedding(10), 8);
  b.SetEmbedding(51, b.embedding(10), 8);
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunDuplicates(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);  // 3 % of records
  EXPECT_EQ(FindingIds(*r, "duplicate_embedding_of:c-10"),
            (std::vector<std::string>{"c-50", "c-51"}));
  EXPECT_EQ(r->metrics["duplicate_embedding_records"], 3);
}

TEST(DuplicatesTest, NearDuplicatesWarnWhenEnabled) {
  MemoryStore o, n;
  RecordBatch b = MakeBatch("c", 200, 8);
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  std::vector<float> v(b.embedding(4), b.embedding(4) + 8);
  v[0] += 1e-4f;
  b.SetEmbedding(120, v.data(), 8);
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  Suite suite;
  EXPECT_EQ(RunDuplicates(o, n, suite)->status, CheckStatus::kPass);
  suite.duplicates.near_duplicate_cosine = 0.9999;
  auto r = RunDuplicates(o, n, suite);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn);
  EXPECT_EQ(r->metrics["near_duplicate_pairs"], 1);
  EXPECT_EQ(r->metrics["near_duplicate_sampled"], 200);
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].problem.rfind("near_duplicate_of:", 0), 0u);
}

}  // namespace
}  // namespace vecgate
