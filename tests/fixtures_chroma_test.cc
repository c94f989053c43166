// The fixture corpus and fault injection against the real Chroma server:
// the (real-shaped) corpus loads with its four collections and counts and
// its quirks survive the server (empty, huge and odd-unicode documents,
// natural duplicates, pre-existing dirt), a clean migration is an exact
// copy, and a fault-injected copy differs from the clean one exactly as
// asked (the ids in the fault log, in the way the log says, and nothing
// else), for every fault including the content faults; the CLI spellings
// `fixtures load --clean` and `fixtures migrate --fault K --fault-rate R`
// work end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

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
  // At full scale the corpus is 9,832 records.
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
  int64_t whole_collections = 0;
  for (const auto& [name, batch] : clean_->by_collection) {
    const int64_t n = static_cast<int64_t>(batch.size());
    if (fault == FaultKind::kChangeDimension) {
      EXPECT_TRUE(per_collection[name] == 0 || per_collection[name] == n) << name;
      whole_collections += per_collection[name] == n;
      continue;
    }
    EXPECT_EQ(per_collection[name], FaultTargetCount(fault, rate, n)) << name;
  }
  if (fault == FaultKind::kChangeDimension) {
    EXPECT_EQ(whole_collections, FaultTargetCount(fault, rate, 4));
    for (const auto& [name, dims] : log->changed_dimensions) {
      EXPECT_EQ(dims.second, ChangedDimension(SmallCorpus().dimension));
      EXPECT_EQ(copy.by_collection.at(name).UniformDimension(),
                static_cast<size_t>(dims.second))
          << name;
    }
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
      case FaultKind::kTruncateDocument:
        ASSERT_TRUE(b.document(j).has_value()) << id;
        EXPECT_LT(b.document(j)->size(), a.document(at.row)->size()) << id;
        EXPECT_EQ(a.document(at.row)->compare(0, b.document(j)->size(), *b.document(j)), 0)
            << id;
        EXPECT_TRUE(SameEmbedding(a, at.row, b, j)) << id;
        EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(j))) << id;
        break;
      case FaultKind::kMisalignDocuments: {
        const Located& owner = clean_->where.at(e.partner_id);
        EXPECT_EQ(owner.collection, at.collection) << id;
        EXPECT_EQ(b.document(j), clean_->batch(owner).document(owner.row)) << id;
        EXPECT_NE(b.document(j), a.document(at.row)) << id;
        EXPECT_TRUE(SameEmbedding(a, at.row, b, j)) << id;
        EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(j))) << id;
        break;
      }
      case FaultKind::kDropDocument:
        EXPECT_TRUE(a.document(at.row).has_value()) << id;
        EXPECT_FALSE(b.document(j).has_value()) << id << " still has a document";
        EXPECT_TRUE(SameEmbedding(a, at.row, b, j)) << id;
        EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(j))) << id;
        break;
      case FaultKind::kChangeMetadataValue: {
        ASSERT_TRUE(b.metadata(j)->count(e.field)) << id;
        const MetadataValue& before = a.metadata(at.row)->at(e.field);
        const MetadataValue& after = b.metadata(j)->at(e.field);
        EXPECT_EQ(before.index(), after.index()) << id << " " << e.field;
        EXPECT_FALSE(SameMetadata(a.metadata(at.row), b.metadata(j))) << id;
        Metadata rest_a = *a.metadata(at.row), rest_b = *b.metadata(j);
        rest_a.erase(e.field);
        rest_b.erase(e.field);
        EXPECT_TRUE(SameMetadata(rest_a, rest_b)) << id;
        EXPECT_EQ(a.document(at.row), b.document(j)) << id;
        EXPECT_TRUE(SameEmbedding(a, at.row, b, j)) << id;
        break;
      }
      case FaultKind::kChangeDimension:
        EXPECT_EQ(b.embedding_size(j),
                  static_cast<size_t>(ChangedDimension(
                      static_cast<int64_t>(a.embedding_size(at.row)))))
            << id;
        EXPECT_EQ(a.document(at.row), b.document(j)) << id;
        EXPECT_TRUE(SameMetadata(a.metadata(at.row), b.metadata(j))) << id;
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

// The realistic corpus's quirks are what Chroma holds: empty, huge and
// odd-unicode documents byte for byte, natural duplicates still identical to
// each other, the optional field absent where it should be, and the
// pre-existing dirt with its wrong types and values.
TEST_F(FixturesChromaTest, RealisticQuirksSurviveTheServer) {
  const CorpusOptions options = SmallCorpus();
  std::map<std::string, RecordBatch> generated;
  for (const auto& info : CorpusCollections(options)) {
    ASSERT_TRUE(GenerateCollection(options, info.name, 1000, [&](RecordBatch& page) {
                  for (size_t i = 0; i < page.size(); ++i) {
                    generated[info.name].AddFrom(page, i);
                  }
                  return Status::Ok();
                }).ok());
  }
  std::map<CorpusQuirk, int> seen;
  for (const auto& q : CorpusQuirks(options)) {
    SCOPED_TRACE(std::string(CorpusQuirkName(q.quirk)) + " " + q.id);
    ++seen[q.quirk];
    const Located& at = clean_->where.at(q.id);
    const RecordBatch& stored = clean_->batch(at);
    const RecordBatch& want = generated.at(q.collection);
    const size_t w = static_cast<size_t>(q.index);
    ASSERT_EQ(want.id(w), q.id);
    EXPECT_EQ(stored.document(at.row), want.document(w));
    switch (q.quirk) {
      case CorpusQuirk::kEmptyDocument:
        ASSERT_TRUE(stored.document(at.row).has_value());
        EXPECT_EQ(*stored.document(at.row), "");
        break;
      case CorpusQuirk::kHugeDocument:
        EXPECT_GE(stored.document(at.row)->size(), kHugeDocumentBytes);
        break;
      case CorpusQuirk::kMissingOptionalField:
        EXPECT_EQ(stored.metadata(at.row)->count(kOptionalField), 0u);
        break;
      case CorpusQuirk::kPreexistingWrongType:
      case CorpusQuirk::kPreexistingOutOfRange:
      case CorpusQuirk::kPreexistingBadCitation: {
        const MetadataValue& value = stored.metadata(at.row)->at(q.field);
        const MetadataValue& written = want.metadata(w)->at(q.field);
        EXPECT_STREQ(MetadataTypeName(value), MetadataTypeName(written));
        EXPECT_EQ(MetadataValueToString(value), MetadataValueToString(written));
        break;
      }
      default:
        break;
    }
    EXPECT_TRUE(SameMetadata(stored.metadata(at.row), want.metadata(w)));
  }
  EXPECT_EQ(seen.size(), AllCorpusQuirks().size());
  // Natural duplicates: the same bytes within each group after the round
  // trip (Chroma normalises identical input identically).
  const auto groups = NaturalDuplicateGroups(options);
  ASSERT_FALSE(groups.empty());
  for (const auto& g : groups) {
    const Located& first = clean_->where.at(g[0]);
    for (const auto& id : g) {
      const Located& at = clean_->where.at(id);
      EXPECT_EQ(clean_->batch(at).document(at.row), clean_->batch(first).document(first.row));
      const RecordBatch& a = clean_->batch(at);
      const RecordBatch& b = clean_->batch(first);
      ASSERT_EQ(a.embedding_size(at.row), b.embedding_size(first.row));
      EXPECT_EQ(std::memcmp(a.embedding(at.row), b.embedding(first.row),
                            a.embedding_size(at.row) * sizeof(float)),
                0)
          << id << " vs " << g[0];
    }
  }
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// `fixtures load --clean` loads the clean corpus, and `fixtures migrate
// --fault KIND --fault-rate R` injects content faults whose log names ids
// that are in the store, changed.
TEST(FixturesCliChromaTest, LoadCleanAndMigrateWithContentFaults) {
  TempDir dir;
  const std::string old_uri = ChromaTestServer::Get().NewDatabaseUri("cli_fixtures_old");
  const std::string new_uri = ChromaTestServer::Get().NewDatabaseUri("cli_fixtures_new");
  const std::string cli = std::string(VECGATE_CLI);
  std::string out;
  ASSERT_EQ(RunCommand(cli + " fixtures load --store " + old_uri +
                           " --create-database --clean --scale 0.02 --dimension 12",
                       &out),
            0)
      << out;
  auto old_store = OpenStore(old_uri, OpenOptions{});
  ASSERT_TRUE(old_store.ok()) << old_store.status().ToString();
  CorpusOptions clean;
  clean.clean = true;
  clean.scale = 0.02;
  clean.dimension = 12;
  auto humor = ReadAll(**old_store, "sergio_humor");
  ASSERT_TRUE(humor.ok());
  ASSERT_EQ(static_cast<int64_t>(humor->size()), CorpusRecordCount(clean, "sergio_humor"));
  for (size_t i = 0; i < humor->size(); ++i) {
    EXPECT_EQ(humor->metadata(i)->count(kOptionalField), 0u) << "not the clean corpus";
    EXPECT_EQ(humor->metadata(i)->size(), 12u);
  }

  const std::string log_path = dir.path() + "/faults.json";
  ASSERT_EQ(RunCommand(cli + " fixtures migrate --from " + old_uri + " --to " + new_uri +
                           " --create-database --fault truncate_document,drop_document"
                           " --fault change_metadata_value --fault-rate 0.1 --fault-log " +
                           log_path,
                       &out),
            0)
      << out;
  auto log = FaultLog::FromJson(ReadText(log_path));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log->spec, "truncate_document:0.1,drop_document:0.1,change_metadata_value:0.1");
  auto new_store = OpenStore(new_uri, OpenOptions{});
  ASSERT_TRUE(new_store.ok());
  for (FaultKind f : {FaultKind::kTruncateDocument, FaultKind::kDropDocument,
                      FaultKind::kChangeMetadataValue}) {
    const auto ids = log->InjectedIds(f);
    EXPECT_FALSE(ids.empty()) << FaultName(f);
    for (const auto& e : log->Of(f)) {
      auto got = (*new_store)->Get(e.collection, {e.id}, Include{});
      ASSERT_TRUE(got.ok() && got->size() == 1) << e.id;
      if (f == FaultKind::kDropDocument) EXPECT_FALSE(got->document(0).has_value()) << e.id;
      if (f == FaultKind::kTruncateDocument) {
        ASSERT_TRUE(got->document(0).has_value());
        EXPECT_LE(got->document(0)->size(), 4 * kTruncatedDocumentChars) << e.id;
      }
    }
  }
  // A bad fault name is refused with the list of names, exit 3.
  EXPECT_EQ(RunCommand(cli + " fixtures migrate --from " + old_uri + " --to " + new_uri +
                           " --fault truncate_documents",
                       &out),
            3);
  EXPECT_NE(out.find("truncate_documents"), std::string::npos) << out;
  EXPECT_NE(out.find("misalign_documents"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(cli + " fixtures migrate --from " + old_uri + " --to " + new_uri +
                           " --fault drop_document --fault-rate 2",
                       &out),
            3);
  EXPECT_NE(out.find("[0, 1]"), std::string::npos) << out;
}

// The pinned Chroma 1.0 holds no lists: the list faults run against
// Chroma 1.5 (tests/chroma15_test.cc) and jsonl: (fixtures_test.cc).
INSTANTIATE_TEST_SUITE_P(EveryFault, FaultInjectionChromaTest,
                         ::testing::ValuesIn(FaultKindsWithoutLists()),
                         [](const ::testing::TestParamInfo<FaultKind>& info) {
                           return std::string(FaultName(info.param));
                         });

}  // namespace
}  // namespace vecgate
