// Unit tests of embedding_integrity: each corruption is caught with its id,
// the decision table (WARN at a low rate, FAIL above 0.1 %), dimension by
// majority, and drift: a float round-trip is not drift, a new model is.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::FindingIds;
using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

Result<CheckResult> RunIntegrity(MemoryStore& old_store, MemoryStore& new_store,
                        const Suite& suite = Suite()) {
  auto v = NewEmbeddingIntegrityValidator();
  return RunCheck(*v, suite, old_store, new_store, 50);
}

TEST(EmbeddingIntegrityTest, CleanCopyPasses) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("c", DistanceSpace::kCosine, 16, MakeBatch("c", 100, 16));
  new_store.AddCollection("c", DistanceSpace::kCosine, 16, MakeBatch("c", 100, 16));
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->metrics["corrupt_count"], 0);
  EXPECT_EQ(r->metrics["drift_checked_count"], 0);
  EXPECT_EQ(r->metrics["dimension"], 16);
  EXPECT_EQ(old_store.get_calls(), 0);  // nothing changed, nothing fetched
}

TEST(EmbeddingIntegrityTest, EachCorruptionIsCaughtWithItsId) {
  MemoryStore old_store, new_store;
  RecordBatch old_batch = MakeBatch("c", 100, 8);
  RecordBatch bad = old_batch;
  bad.mutable_embedding(1)[3] = std::numeric_limits<float>::quiet_NaN();
  bad.mutable_embedding(2)[0] = std::numeric_limits<float>::infinity();
  std::vector<float> zeros(8, 0.0f), short_vec(6, 0.5f);
  bad.SetEmbedding(3, zeros.data(), 8);
  bad.SetEmbedding(4, nullptr, 0);
  bad.SetEmbedding(5, short_vec.data(), 6);
  old_store.AddCollection("c", DistanceSpace::kL2, 8, old_batch);
  new_store.AddCollection("c", DistanceSpace::kL2, 8, bad);
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kFail);  // 5 % > 0.1 %
  EXPECT_EQ(FindingIds(*r, "nan"), std::vector<std::string>{"c-1"});
  EXPECT_EQ(FindingIds(*r, "inf"), std::vector<std::string>{"c-2"});
  EXPECT_EQ(FindingIds(*r, "zero_norm"), std::vector<std::string>{"c-3"});
  EXPECT_EQ(FindingIds(*r, "missing_embedding"), std::vector<std::string>{"c-4"});
  EXPECT_EQ(FindingIds(*r, "dimension 6 != 8"), std::vector<std::string>{"c-5"});
  EXPECT_EQ(r->metrics["corrupt_count"], 5);
  EXPECT_EQ(r->metrics["nan_count"], 1);
  EXPECT_EQ(r->metrics["inf_count"], 1);
  EXPECT_EQ(r->metrics["zero_norm_count"], 1);
  EXPECT_EQ(r->metrics["missing_count"], 1);
  EXPECT_EQ(r->metrics["wrong_dimension_count"], 1);
  EXPECT_DOUBLE_EQ(r->metrics["corrupt_percentage"].get<double>(), 5.0);
  EXPECT_EQ(r->failed_collections, std::vector<std::string>{"c"});
  // Changed vectors with NaN are corrupt, not also drift.
  EXPECT_EQ(r->metrics["drifted_count"], 0);
}

TEST(EmbeddingIntegrityTest, OneNanInTwoThousandWarns) {
  MemoryStore old_store, new_store;
  RecordBatch b = MakeBatch("c", 2000, 4);
  old_store.AddCollection("c", DistanceSpace::kL2, 4, b);
  b.mutable_embedding(1234)[0] = std::numeric_limits<float>::quiet_NaN();
  new_store.AddCollection("c", DistanceSpace::kL2, 4, b);
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn);  // 0.05 %
  EXPECT_EQ(FindingIds(*r, "nan"), std::vector<std::string>{"c-1234"});
}

TEST(EmbeddingIntegrityTest, DimensionIsTheMajorityWhenTheStoreDoesNotKnow) {
  MemoryStore old_store, new_store;
  RecordBatch b = MakeBatch("c", 50, 8);
  old_store.AddCollection("c", DistanceSpace::kL2, 8, b);
  std::vector<float> v12(12, 0.25f);
  b.SetEmbedding(7, v12.data(), 12);
  b.SetEmbedding(9, v12.data(), 12);
  new_store.AddCollection("c", DistanceSpace::kL2, 0, b);
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metrics["dimension"], 8);
  EXPECT_EQ(r->metrics["wrong_dimension_count"], 2);
  EXPECT_EQ(FindingIds(*r, "dimension 12 != 8"), (std::vector<std::string>{"c-7", "c-9"}));
  EXPECT_EQ(r->status, CheckStatus::kFail);
}

TEST(EmbeddingIntegrityTest, RequiredAllowedDimensions) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("c", DistanceSpace::kL2, 8, MakeBatch("c", 10, 8));
  new_store.AddCollection("c", DistanceSpace::kL2, 8, MakeBatch("c", 10, 8));
  Suite suite;
  EXPECT_EQ(RunIntegrity(old_store, new_store, suite)->status, CheckStatus::kPass);
  suite.embedding.require_allowed_dimension = true;  // 384/768/1024/1536
  // The old store had the same vectors: judged only when asked to.
  suite.pre_existing = PreExistingPolicy::kFail;
  auto r = RunIntegrity(old_store, new_store, suite);
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["wrong_dimension_count"], 10);
}

TEST(EmbeddingIntegrityTest, FloatRoundTripIsNotDrift) {
  MemoryStore old_store, new_store;
  RecordBatch b = MakeBatch("c", 300, 32);
  old_store.AddCollection("c", DistanceSpace::kCosine, 32, b);
  for (size_t i = 0; i < b.size(); ++i) {
    float* v = b.mutable_embedding(i);
    for (size_t c = 0; c < 32; c += 3) v[c] = std::nextafter(v[c], 2.0f);  // 1 ulp
  }
  new_store.AddCollection("c", DistanceSpace::kCosine, 32, b);
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metrics["drift_checked_count"], 300);  // every vector changed bytes
  EXPECT_EQ(r->metrics["drifted_count"], 0);
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  // The old vectors come from the runner's spool: the old store is not asked twice.
  EXPECT_EQ(old_store.get_calls(), 0);
}

TEST(EmbeddingIntegrityTest, AnotherModelIsDrift) {
  MemoryStore old_store, new_store;
  old_store.AddCollection("c", DistanceSpace::kCosine, 32, MakeBatch("c", 600, 32, 1));
  RecordBatch other_model = MakeBatch("c", 600, 32, 99);  // same ids and dim
  // One record keeps its vector.
  old_store.batch("c");
  other_model.SetEmbedding(10, old_store.batch("c").embedding(10), 32);
  new_store.AddCollection("c", DistanceSpace::kCosine, 32, other_model);
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metrics["drift_checked_count"], 599);
  EXPECT_EQ(r->metrics["drifted_count"], 599);
  EXPECT_LT(r->metrics["min_cosine"].get<double>(), 0.5);
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->findings_total, 599);
  for (const auto& f : r->findings) {
    EXPECT_EQ(f.problem.rfind("drift(cosine ", 0), 0u) << f.problem;
    EXPECT_NE(f.id, "c-10");
  }
}

TEST(EmbeddingIntegrityTest, SmallPerturbationBeyondToleranceIsDrift) {
  MemoryStore old_store, new_store;
  RecordBatch b = MakeBatch("c", 1000, 16);
  old_store.AddCollection("c", DistanceSpace::kCosine, 16, b);
  b.mutable_embedding(500)[0] += 0.01f;  // cosine stays ~0.9999+, diff 1e-2
  new_store.AddCollection("c", DistanceSpace::kCosine, 16, b);
  auto r = RunIntegrity(old_store, new_store);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metrics["drifted_count"], 1);
  EXPECT_EQ(FindingIds(*r, "drift"), std::vector<std::string>{"c-500"});
  EXPECT_EQ(r->status, CheckStatus::kWarn);  // 0.1 % is not above 0.1 %
}

}  // namespace
}  // namespace vecgate
