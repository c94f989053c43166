// Unit tests of the exact top-k kernel and the vector spool: agreement with
// a brute-force reference in every space, deterministic ties, threads, and
// replay after spilling to a temporary file.
#include "validators/topk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace vecgate {
namespace {

// Independent reference distance in long double.
long double Reference(const float* a, const float* b, size_t d, DistanceSpace space) {
  long double ab = 0, aa = 0, bb = 0, l2 = 0;
  for (size_t i = 0; i < d; ++i) {
    ab += static_cast<long double>(a[i]) * b[i];
    aa += static_cast<long double>(a[i]) * a[i];
    bb += static_cast<long double>(b[i]) * b[i];
    l2 += (static_cast<long double>(a[i]) - b[i]) * (static_cast<long double>(a[i]) - b[i]);
  }
  switch (space) {
    case DistanceSpace::kL2: return l2;
    case DistanceSpace::kIp: return 1 - ab;
    case DistanceSpace::kCosine: return 1 - ab / (std::sqrt(aa) * std::sqrt(bb));
  }
  return l2;
}

class TopKSpaceTest : public ::testing::TestWithParam<std::tuple<DistanceSpace, unsigned>> {};

TEST_P(TopKSpaceTest, MatchesBruteForce) {
  const DistanceSpace space = std::get<0>(GetParam());
  const unsigned threads = std::get<1>(GetParam());
  const size_t nq = 70, n = 2500, d = 48, k = 10;
  std::mt19937 rng(42);
  std::normal_distribution<float> g;
  std::vector<float> q(nq * d), x(n * d);
  for (auto& v : q) v = g(rng);
  for (auto& v : x) v = g(rng) * (space == DistanceSpace::kCosine ? 3.0f : 1.0f);
  std::vector<std::string> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = "r" + std::to_string(i);

  ExactTopK topk(q.data(), nq, d, k, space, threads);
  // Uneven blocks, one larger than kBlockRows.
  size_t sizes[] = {1, 13, 1500, 7, 979};
  size_t start = 0;
  for (size_t s : sizes) {
    topk.AddBlock(x.data() + start * d, s, ids.data() + start);
    start += s;
  }
  ASSERT_EQ(start, n);
  EXPECT_EQ(topk.rows_added(), n);

  for (size_t qi = 0; qi < nq; ++qi) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::vector<long double> dist(n);
    for (size_t i = 0; i < n; ++i) dist[i] = Reference(&q[qi * d], &x[i * d], d, space);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](size_t a, size_t b) { return dist[a] < dist[b]; });
    auto got = topk.Results(qi);
    ASSERT_EQ(got.size(), k);
    for (size_t j = 0; j < k; ++j) {
      EXPECT_EQ(got[j].index, order[j]) << "query " << qi << " rank " << j;
      EXPECT_EQ(got[j].id, ids[order[j]]);
      EXPECT_NEAR(got[j].distance, static_cast<double>(dist[order[j]]),
                  1e-9 * std::max(1.0L, std::fabs(dist[order[j]])));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllSpaces, TopKSpaceTest,
    ::testing::Combine(::testing::Values(DistanceSpace::kCosine, DistanceSpace::kL2,
                                         DistanceSpace::kIp),
                       ::testing::Values(1u, 3u)));

TEST(TopKTest, TiesAreBrokenByRowOrderAndDistancesAreIdentical) {
  const size_t d = 8;
  std::vector<float> q(d, 0.5f);
  std::vector<float> rows;
  std::vector<float> same = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 5; ++i) rows.insert(rows.end(), same.begin(), same.end());
  ExactTopK topk(q.data(), 1, d, 3, DistanceSpace::kL2);
  topk.AddBlock(rows.data(), 2);
  topk.AddBlock(rows.data() + 2 * d, 3);
  auto r = topk.Results(0);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].index, 0u);
  EXPECT_EQ(r[1].index, 1u);
  EXPECT_EQ(r[2].index, 2u);
  EXPECT_EQ(r[0].distance, r[2].distance);
}

TEST(TopKTest, FewerRowsThanKAndZeroVectors) {
  const size_t d = 4;
  std::vector<float> q = {1, 0, 0, 0};
  std::vector<float> rows = {0, 0, 0, 0, 2, 0, 0, 0};
  ExactTopK topk(q.data(), 1, d, 10, DistanceSpace::kCosine);
  topk.AddBlock(rows.data(), 2);
  auto r = topk.Results(0);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].index, 1u);
  EXPECT_DOUBLE_EQ(r[0].distance, 0.0);
  EXPECT_DOUBLE_EQ(r[1].distance, 1.0);  // a zero vector has cosine 0
}

TEST(VectorSpoolTest, SpillsBeyondBudgetAndReplaysInOrder) {
  const size_t d = 5, n = 10000;
  std::vector<float> x(n * d);
  std::vector<std::string> ids(n);
  for (size_t i = 0; i < n * d; ++i) x[i] = static_cast<float>(i);
  for (size_t i = 0; i < n; ++i) ids[i] = std::to_string(i);
  VectorSpool spool(d, 1000 * d * sizeof(float));  // 1,000 rows in memory
  for (size_t s = 0; s < n; s += 333) {
    ASSERT_TRUE(spool.Append(x.data() + s * d, std::min<size_t>(333, n - s), ids.data() + s).ok());
  }
  EXPECT_EQ(spool.rows(), n);
  EXPECT_LE(spool.rows_in_memory(), 1000u);
  EXPECT_GT(spool.rows_spilled(), 8000u);
  size_t seen = 0;
  bool same = true;
  ASSERT_TRUE(spool.Replay([&](const float* rows, size_t m, const std::string* block_ids) {
    for (size_t r = 0; r < m; ++r) {
      same &= block_ids[r] == ids[seen + r];
      same &= std::equal(rows + r * d, rows + (r + 1) * d, x.data() + (seen + r) * d);
    }
    seen += m;
  }).ok());
  EXPECT_EQ(seen, n);
  EXPECT_TRUE(same);
}

}  // namespace
}  // namespace vecgate
