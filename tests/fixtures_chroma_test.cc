// The fixture corpus and fault injection against the real Chroma server:
// the corpus loads with the seeds' collections and counts, a clean migration
// is an exact copy, and a fault-injected copy differs from the clean one
// exactly as asked (the ids in the fault log, in the way the log says, and
// nothing else).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using testing::ChromaTestServer;

CorpusOptions SmallCorpus() {
  CorpusOptions options;
  options.scale = 0.03;  // 30 + 15 + 24 + 226 records
  options.dimension = 16;
  return options;
}

struct Located {
  std::string collection;
  size_t row;
};

// Every record of every collection of a store, by id.
struct Snapshot {
  std::map<std::string, RecordBatch> by_collection;
  std::map<std::string, Located> where;

  static Snapshot Of(Store& store) {
    Snapshot s;
    auto list = store.ListCollections();
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    for (const auto& c : *list) {
      auto all = ReadAll(store, c.name);
      EXPECT_TRUE(all.ok()) << all.status().ToString();
      for (size_t i = 0; i < all->size(); ++i) s.where[all->id(i)] = {c.name, i};
      s.by_collection[c.name] = std::move(all).value();
    }
    return s;
  }
  const RecordBatch& batch(const Located& l) const { return by_collection.at(l.collection); }
};

// The corpus is in cosine space, and real Chroma (1.0.0) gives a cosine
// collection's embeddings back a few ulps off what was written (it normalises
// and scales back, and that is not idempotent), so "unchanged" means within
// 8 ulps per component here; every injected embedding fault is far larger.
bool SameEmbedding(const RecordBatch& a, size_t i, const RecordBatch& b, size_t j) {
  if (a.embedding_size(i) != b.embedding_size(j)) return false;
  for (size_t k = 0; k < a.embedding_size(i); ++k) {
    float x = a.embedding(i)[k], y = b.embedding(j)[k];
    if (x == y) continue;
    if (!std::isfinite(x) || !std::isfinite(y) || std::signbit(x) != std::signbit(y)) {
      return false;
    }
    int32_t ix, iy;
    std::memcpy(&ix, &x, 4);
    std::memcpy(&iy, &y, 4);
    if (std::abs(ix - iy) > 8) return false;
  }
  return true;
}

// Metadata equal, with doubles compared to a few ulps: Chroma's JSON parser
// is not correctly rounded for some doubles.
bool SameMetadata(const std::optional<Metadata>& a, const std::optional<Metadata>& b) {
  Metadata x = a.value_or(Metadata()), y = b.value_or(Metadata());
  if (x.size() != y.size()) return false;
  for (const auto& [key, value] : x) {
    auto it = y.find(key);
    if (it == y.end() || it->second.index() != value.index()) return false;
    if (value.index() == 3) {
      double p = std::get<double>(value), q = std::get<double>(it->second);
      if (std::abs(p - q) > 1e-15 * std::abs(p)) return false;
    } else if (value != it->second) {
      return false;
    }
  }
  return true;
}

class FixturesChromaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = ChromaTestServer::Get().NewDatabase("fixture_src").release();
    ASSERT_TRUE(LoadCorpus(SmallCorpus(), *source_).ok());
    clean_ = new Snapshot(Snapshot::Of(*source_));
  }
  static void TearDownTestSuite() {
    delete source_;
    delete clean_;
  }
  static Store* source_;
  static Snapshot* clean_;
};
Store* FixturesChromaTest::source_ = nullptr;
Snapshot* FixturesChromaTest::clean_ = nullptr;

TEST_F(FixturesChromaTest, CorpusHasTheSeedsCollectionsAndCounts) {
  std::map<std::string, int64_t> counts;
  for (const auto& [name, batch] : clean_->by_collection) {
    counts[name] = static_cast<int64_t>(batch.size());
    auto count = source_->Count(name);
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(*count, counts[name]) << name;
    EXPECT_EQ(counts[name], CorpusRecordCount(SmallCorpus(), name)) << name;
  }
  EXPECT_EQ(counts.size(), 4u);
  EXPECT_TRUE(counts.count("sergio_personality") && counts.count("sergio_rhetorical") &&
              counts.count("sergio_humor") && counts.count("sergio_corpus"));
  // At full scale the corpus is the seeds' 9,832 records.
  CorpusOptions full;
  int64_t total = 0;
  for (const auto& c : CorpusCollections(full)) total += CorpusRecordCount(full, c.name);
  EXPECT_EQ(total, 9832);
  // Every record carries the 12 required fields.
  for (const auto& [name, batch] : clean_->by_collection) {
    for (size_t i = 0; i < batch.size(); ++i) {
      ASSERT_TRUE(batch.metadata(i).has_value());
      for (const auto& field : RequiredFields()) {
        EXPECT_TRUE(batch.metadata(i)->count(field)) << batch.id(i) << " lacks " << field;
      }
    }
  }
}

TEST_F(FixturesChromaTest, CleanMigrationIsAnExactCopy) {
  auto dst = ChromaTestServer::Get().NewDatabase("fixture_clean");
  auto log = MigrateWithFaults(*source_, *dst, FaultSpec(), 1);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_TRUE(log->events.empty());
  Snapshot copy = Snapshot::Of(*dst);
  ASSERT_EQ(copy.where.size(), clean_->where.size());
  for (const auto& [id, at] : clean_->where) {
    auto it = copy.where.find(id);
    ASSERT_NE(it, copy.where.end()) << id;
    EXPECT_EQ(it->second.collection, at.collection);
    const RecordBatch& a = clean_->batch(at);
    const RecordBatch& b = copy.batch(it->second);
    EXPECT_TRUE(SameEmbedding(a, at.row, b, it->second.row)) << id;
    EXPECT_EQ(a.document(at.row), b.document(it->second.row)) << id;
    EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(it->second.row))) << id;
  }
}

class FaultInjectionChromaTest : public FixturesChromaTest,
                                 public ::testing::WithParamInterface<FaultKind> {};

TEST_P(FaultInjectionChromaTest, CopyDiffersExactlyAsLogged) {
  const FaultKind fault = GetParam();
  const double rate = 0.05;
  auto dst = ChromaTestServer::Get().NewDatabase(std::string("fault_") + FaultName(fault));
  FaultSpec spec;
  spec.rates[fault] = rate;
  auto log = MigrateWithFaults(*source_, *dst, spec, 11);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  Snapshot copy = Snapshot::Of(*dst);

  // The number of damaged records follows the rate in every collection.
  std::map<std::string, int64_t> per_collection;
  std::map<std::string, FaultEvent> by_id;
  for (const auto& e : log->events) {
    EXPECT_EQ(e.fault, fault);
    EXPECT_FALSE(e.skipped) << e.id << ": " << e.detail;
    ++per_collection[e.collection];
    by_id[e.id] = e;
  }
  for (const auto& [name, batch] : clean_->by_collection) {
    EXPECT_EQ(per_collection[name],
              FaultTargetCount(fault, rate, static_cast<int64_t>(batch.size())))
        << name;
  }

  // Every record not in the log is untouched; every logged one differs in
  // the way its fault says.
  for (const auto& [id, at] : clean_->where) {
    const RecordBatch& a = clean_->batch(at);
    auto it = copy.where.find(id);
    auto ev = by_id.find(id);
    if (ev == by_id.end()) {
      ASSERT_NE(it, copy.where.end()) << id << " vanished without a logged fault";
      const RecordBatch& b = copy.batch(it->second);
      EXPECT_EQ(it->second.collection, at.collection) << id;
      EXPECT_TRUE(SameEmbedding(a, at.row, b, it->second.row)) << id;
      EXPECT_EQ(a.document(at.row), b.document(it->second.row)) << id;
      EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(it->second.row))) << id;
      continue;
    }
    const FaultEvent& e = ev->second;
    if (fault == FaultKind::kDrop ||
        (fault == FaultKind::kWrongDimension && e.refused_by_store)) {
      EXPECT_EQ(it, copy.where.end()) << id << " should be missing";
      continue;
    }
    ASSERT_NE(it, copy.where.end()) << id;
    const RecordBatch& b = copy.batch(it->second);
    size_t j = it->second.row;
    switch (fault) {
      case FaultKind::kMisroutedCollection:
        EXPECT_NE(it->second.collection, at.collection) << id;
        EXPECT_EQ(it->second.collection, e.target_collection) << id;
        EXPECT_TRUE(SameEmbedding(a, at.row, b, j)) << id;
        break;
      case FaultKind::kNan: {
        bool non_finite = false;
        for (size_t k = 0; k < b.embedding_size(j); ++k) {
          non_finite |= !std::isfinite(b.embedding(j)[k]);
        }
        EXPECT_TRUE(non_finite) << id;
        break;
      }
      case FaultKind::kWrongDimension:
        EXPECT_NE(b.embedding_size(j), a.embedding_size(at.row)) << id;
        break;
      case FaultKind::kPerturbedEmbedding:
      case FaultKind::kSwappedEmbeddings:
        EXPECT_FALSE(SameEmbedding(a, at.row, b, j)) << id;
        EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(j))) << id;
        break;
      case FaultKind::kDuplicateContent: {
        const Located& partner = clean_->where.at(e.partner_id);
        EXPECT_EQ(b.document(j), clean_->batch(partner).document(partner.row)) << id;
        EXPECT_TRUE(SameEmbedding(clean_->batch(partner), partner.row, b, j)) << id;
        break;
      }
      case FaultKind::kMissingField:
        EXPECT_TRUE(a.metadata(at.row)->count(e.field)) << id;
        EXPECT_FALSE(b.metadata(j)->count(e.field)) << id << " still has " << e.field;
        break;
      case FaultKind::kWrongType:
      case FaultKind::kOutOfRange:
      case FaultKind::kBrokenCitation:
        ASSERT_TRUE(b.metadata(j)->count(e.field)) << id;
        EXPECT_NE(a.metadata(at.row)->at(e.field), b.metadata(j)->at(e.field)) << id;
        if (fault == FaultKind::kWrongType) {
          EXPECT_NE(a.metadata(at.row)->at(e.field).index(),
                    b.metadata(j)->at(e.field).index())
              << id;
        }
        break;
      case FaultKind::kDrop:
        break;
    }
  }
  // Nothing appears that was not in the source.
  for (const auto& [id, at] : copy.where) {
    EXPECT_TRUE(clean_->where.count(id)) << "unexpected record " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFault, FaultInjectionChromaTest,
                         ::testing::ValuesIn(AllFaultKinds()),
                         [](const ::testing::TestParamInfo<FaultKind>& info) {
                           return std::string(FaultName(info.param));
                         });

}  // namespace
}  // namespace vecgate
