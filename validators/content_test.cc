// Unit tests of the content check and of how every check tells what the
// migration introduced from what the old store already had.
#include <gtest/gtest.h>

#include <cmath>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::FindingIds;
using testutil::MakeBatch;
using testutil::MemoryStore;
using testutil::RunCheck;

Metadata SampleMetadata(int i) {
  Metadata m;
  m["disputed"] = (i % 3 == 0);
  m["chunk_index"] = static_cast<int64_t>(i);
  m["authenticity_score"] = 0.1 + i / 1000.0;
  m["author"] = std::string("author ") + std::to_string(i % 7);
  return m;
}

// n records with long documents (300 chars), metadata and 8-d vectors.
RecordBatch Corpus(size_t n, uint32_t seed = 3) {
  RecordBatch b = MakeBatch("r", n, 8, seed);
  for (size_t i = 0; i < n; ++i) {
    b.mutable_documents()[i] = std::string(300, static_cast<char>('a' + i % 26)) +
                               " #" + std::to_string(i);
    b.mutable_metadatas()[i] = SampleMetadata(static_cast<int>(i));
  }
  return b;
}

Result<CheckResult> RunContent(MemoryStore& o, MemoryStore& n, const Suite& suite = Suite()) {
  auto v = NewContentValidator();
  return RunCheck(*v, suite, o, n, 16);
}

std::string ProblemOf(const CheckResult& r, const std::string& id) {
  for (const auto& f : r.findings) {
    if (f.id == id) return f.problem;
  }
  return "";
}

TEST(ContentTest, PerfectCopyPassesEvenWithDoublesAnUlpOff) {
  MemoryStore o, n;
  RecordBatch b = Corpus(200);
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  for (size_t i = 0; i < b.size(); ++i) {
    auto& m = *b.mutable_metadatas()[i];
    double& d = std::get<double>(m["authenticity_score"]);
    d = std::nextafter(d, 2.0);  // a JSON round trip's last digit
  }
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->metrics["records_compared"], 200);
  EXPECT_EQ(r->metrics["records_changed"], 0);
  EXPECT_TRUE(r->findings.empty());
}

TEST(ContentTest, TruncatedDocumentsAreNamedWithBothLengths) {
  MemoryStore o, n;
  RecordBatch b = Corpus(100);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  for (size_t i = 0; i < b.size(); ++i) {
    b.mutable_documents()[i] = b.document(i)->substr(0, 200);
  }
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["records_changed"], 100);
  EXPECT_EQ(r->metrics["document_changes"]["truncated"], 100);
  EXPECT_EQ(ProblemOf(*r, "r-7"), "document truncated 303 -> 200 chars");
  EXPECT_EQ(r->rollback_reason, "Content Changed");
  EXPECT_NE(r->summary.find("documents changed in 100 records"), std::string::npos)
      << r->summary;
}

TEST(ContentTest, DocumentsShiftedByOneRowNameTheRecordTheyCameFrom) {
  MemoryStore o, n;
  RecordBatch b = Corpus(50);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  RecordBatch shifted = b;
  for (size_t i = 0; i + 1 < b.size(); ++i) shifted.mutable_documents()[i] = b.document(i + 1);
  n.AddCollection("c", DistanceSpace::kL2, 8, shifted);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(ProblemOf(*r, "r-10"), "document differs (now equals record r-11's)");
  EXPECT_EQ(r->metrics["records_changed"], 49);  // the last row kept its own
}

TEST(ContentTest, LostDocumentsAndChangedValuesAreCountedPerField) {
  MemoryStore o, n;
  RecordBatch b = Corpus(1000);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  b.mutable_documents()[5] = std::nullopt;
  auto& m = *b.mutable_metadatas()[9];  // disputed: 9 % 3 == 0 -> true
  m["disputed"] = false;
  (*b.mutable_metadatas()[20])["chunk_index"] = int64_t{21};
  (*b.mutable_metadatas()[30])["author"] = std::string("someone else");
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  // 4 of 1,000 = 0.4 % > 0.1 %.
  EXPECT_EQ(r->status, CheckStatus::kFail) << r->summary;
  EXPECT_EQ(ProblemOf(*r, "r-5"), "document lost (was 303 chars)");
  EXPECT_EQ(ProblemOf(*r, "r-9"), "metadata.disputed true -> false");
  EXPECT_EQ(ProblemOf(*r, "r-20"), "metadata.chunk_index 20 -> 21");
  EXPECT_EQ(ProblemOf(*r, "r-30"), "metadata.author \"author 2\" -> \"someone else\"");
  EXPECT_EQ(r->metrics["metadata_field_changes"]["disputed"], 1);
  EXPECT_EQ(r->metrics["metadata_field_changes"]["author"], 1);
}

TEST(ContentTest, OneChangedRecordInAThousandWarns) {
  MemoryStore o, n;
  RecordBatch b = Corpus(1000);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  (*b.mutable_metadatas()[0])["authenticity_score"] = 0.9;
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kWarn) << r->summary;  // 0.1 % is not above 0.1 %
  EXPECT_EQ(ProblemOf(*r, "r-0"), "metadata.authenticity_score 0.1 -> 0.9");
}

TEST(ContentTest, TypeChangesLostAndAddedFieldsAreFindings) {
  MemoryStore o, n;
  RecordBatch b = Corpus(10);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  (*b.mutable_metadatas()[1])["chunk_index"] = std::string("1");
  b.mutable_metadatas()[2]->erase("author");
  (*b.mutable_metadatas()[3])["migrated_at"] = std::string("2026-12-01");
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ProblemOf(*r, "r-1"), "metadata.chunk_index type int -> string (1 -> \"1\")");
  EXPECT_EQ(ProblemOf(*r, "r-2"), "metadata.author lost (was a string)");
  // A key only the new record has, on a record that kept every old key and
  // value: counted per key (a warning), not a changed record.
  EXPECT_EQ(ProblemOf(*r, "r-3"), "");
  EXPECT_EQ(r->metrics["added_keys"]["migrated_at"], 1);
  EXPECT_EQ(r->metrics["records_changed"], 2);

  // Declared: the migration adds fields and may rewrite author.
  Suite suite;
  suite.content.new_fields_allowed = true;
  suite.content.ignore_fields = {"author"};
  auto declared = RunContent(o, n, suite);
  ASSERT_TRUE(declared.ok());
  EXPECT_EQ(FindingIds(*declared, ""), std::vector<std::string>{"r-1"});
}

TEST(ContentTest, DimensionChangeFailsWithBothValuesUnlessReembeddingIsDeclared) {
  MemoryStore o, n;
  o.AddCollection("c", DistanceSpace::kCosine, 8, Corpus(40));
  RecordBatch b = Corpus(40);
  RecordBatch reembedded;
  for (size_t i = 0; i < b.size(); ++i) {
    float v[4] = {1.0f + i, 2, 3, 4};
    reembedded.Add(b.id(i), b.document(i), b.metadata(i), v, 4);
  }
  n.AddCollection("c", DistanceSpace::kCosine, 4, reembedded);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  ASSERT_FALSE(r->findings.empty());
  EXPECT_EQ(r->findings[0].problem, "dimension 8 -> 4");
  EXPECT_EQ(r->rollback_reason, "Collection Structure Changed");

  Suite suite;
  suite.content.reembedding = true;
  auto declared = RunContent(o, n, suite);
  ASSERT_TRUE(declared.ok());
  EXPECT_EQ(declared->status, CheckStatus::kPass) << declared->summary;
}

// --- pre-existing problems ---------------------------------------------------

TEST(PreExistingTest, CopyOfACorpusWithNaturalDuplicatesPasses) {
  MemoryStore o, n;
  RecordBatch b = Corpus(500);
  // 10 % boilerplate: the same chunk (text and vector) under 50 ids.
  for (size_t i = 0; i < 50; ++i) {
    b.mutable_documents()[i * 10] = "Licensed under the Apache License, Version 2.0";
    float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    b.SetEmbedding(i * 10, v, 8);
  }
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto v = NewDuplicatesValidator();
  auto r = RunCheck(*v, Suite(), o, n, 64);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->metrics["preexisting_duplicate_document_records"], 50);
  EXPECT_EQ(r->preexisting_total, 98);  // 49 document + 49 embedding findings
  EXPECT_TRUE(r->findings.empty());

  Suite strict;
  strict.pre_existing = PreExistingPolicy::kFail;
  auto judged = RunCheck(*v, strict, o, n, 64);
  ASSERT_TRUE(judged.ok());
  EXPECT_EQ(judged->status, CheckStatus::kFail);  // 10 % > 1 %, as on the new store alone
  Suite warn;
  warn.pre_existing = PreExistingPolicy::kWarn;
  auto warned = RunCheck(*v, warn, o, n, 64);
  ASSERT_TRUE(warned.ok());
  EXPECT_EQ(warned->status, CheckStatus::kWarn);

  // The migration adds one duplicate: judged as before (2 records, 0.4 %).
  b.mutable_documents()[7] = b.document(8);
  MemoryStore n2;
  n2.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto added = RunCheck(*v, Suite(), o, n2, 64);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->status, CheckStatus::kWarn) << added->summary;
  EXPECT_EQ(added->metrics["duplicate_document_records"], 2);
  ASSERT_EQ(added->findings.size(), 1u);
  EXPECT_EQ(added->findings[0].problem, "duplicate_document_of:r-7");
}

TEST(PreExistingTest, ARecordThatJoinsOldCopiesIsNamedWhicheverComesFirst) {
  // Old: r-1, r-2, r-3 share a boilerplate text; r-0 is unique. The
  // migration gives r-0 the boilerplate (and r-1 r-0's text): r-0 is a new
  // duplicate although it is scanned before the old copies.
  MemoryStore o, n;
  RecordBatch b = Corpus(400);
  for (int i : {1, 2, 3}) b.mutable_documents()[i] = "Shared footer";
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  std::swap(b.mutable_documents()[0], b.mutable_documents()[1]);
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  Suite suite;
  suite.duplicates.check_embeddings = false;
  auto v = NewDuplicatesValidator();
  auto r = RunCheck(*v, suite, o, n, 64);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->metrics["duplicate_document_records"], 1);
  EXPECT_EQ(r->status, CheckStatus::kWarn) << r->summary;  // 0.25 %
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].id, "r-0");
  EXPECT_EQ(r->findings[0].problem, "duplicate_document_of:r-2");
  EXPECT_EQ(r->preexisting_total, 2);  // r-2 and r-3: still copies of each other
}

TEST(PreExistingTest, FieldRuleViolationsAlreadyInOldAreListedApart) {
  MemoryStore o, n;
  RecordBatch b = Corpus(100);
  for (int i : {3, 4, 5}) (*b.mutable_metadatas()[i])["chunk_index"] = int64_t{-1};
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  (*b.mutable_metadatas()[60])["chunk_index"] = int64_t{-5};  // the migration's
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  Suite suite;
  FieldRule rule;
  rule.field = "chunk_index";
  rule.type = "int";
  rule.min = 0;
  suite.field_rules = {rule};
  auto v = NewFieldTypesValidator();
  auto r = RunCheck(*v, suite, o, n, 16);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindingIds(*r, "chunk_index:out_of_range"), std::vector<std::string>{"r-60"});
  EXPECT_EQ(r->preexisting_total, 3);
  EXPECT_EQ(r->status, CheckStatus::kFail);  // 1 % > 0.1 %, the migration's own
  EXPECT_EQ(r->metrics["violating_records"], 1);
}

TEST(PreExistingTest, MissingFieldsAndNanVectorsAlreadyInOldDoNotFail) {
  MemoryStore o, n;
  RecordBatch b = Corpus(100);
  for (int i : {1, 2}) b.mutable_metadatas()[i]->erase("author");
  float nan_v[8] = {NAN, 0, 0, 0, 0, 0, 0, 0};
  b.SetEmbedding(9, nan_v, 8);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  Suite suite;
  suite.required_fields = {"author"};
  auto mc = NewMetadataCompletenessValidator();
  auto r = RunCheck(*mc, suite, o, n, 16);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->preexisting_total, 2);
  auto ei = NewEmbeddingIntegrityValidator();
  auto e = RunCheck(*ei, suite, o, n, 16);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status, CheckStatus::kPass) << e->summary;
  ASSERT_EQ(e->preexisting_findings.size(), 1u);
  EXPECT_EQ(e->preexisting_findings[0].id, "r-9");

  // The same NaN made by the migration on another record is its own.
  b.SetEmbedding(10, nan_v, 8);
  MemoryStore n2;
  n2.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto e2 = RunCheck(*ei, suite, o, n2, 16);
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ(e2->status, CheckStatus::kFail);
  EXPECT_EQ(FindingIds(*e2, "nan"), std::vector<std::string>{"r-10"});
}

TEST(LiveIndexTest, NewIsJudgedAgainstTheOldStoresOwnIndex) {
  // Both live indexes miss the same 5 % of records (an approximate index
  // at scale): new is as good as old, so no FAIL although 95 % < 99 %.
  MemoryStore o, n;
  RecordBatch b = MakeBatch("r", 400, 8, 5);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  o.set_can_query(true);
  n.set_can_query(true);
  for (int i = 0; i < 400; i += 20) {
    o.HideFromIndex("r-" + std::to_string(i));
    n.HideFromIndex("r-" + std::to_string(i));
  }
  Suite suite;
  suite.divergence.min_self_retrieval = 0.99;
  auto v = NewSemanticDivergenceValidator();
  auto r = RunCheck(*v, suite, o, n, 64);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->metrics["live_index_judged_against"], "old store");

  // New loses 10 % more than old: FAIL, and the criterion shows both.
  for (int i = 1; i < 400; i += 10) n.HideFromIndex("r-" + std::to_string(i));
  auto worse = RunCheck(*v, suite, o, n, 64);
  ASSERT_TRUE(worse.ok());
  EXPECT_EQ(worse->status, CheckStatus::kFail) << worse->summary;
  bool shown = false;
  for (const auto& c : worse->criteria) {
    if (c.what.find("self-retrieval") != std::string::npos && c.status == CheckStatus::kFail) {
      shown = c.observed.find("(old: ") != std::string::npos;
    }
  }
  EXPECT_TRUE(shown);

  // Without an old live index, the absolute floor decides.
  o.set_can_query(false);
  auto floors = RunCheck(*v, suite, o, n, 64);
  ASSERT_TRUE(floors.ok());
  EXPECT_EQ(floors->status, CheckStatus::kFail);
  EXPECT_EQ(floors->metrics["live_index_judged_against"], "floors");
}

TEST(LiveIndexTest, MoreIdenticalCopiesThanKAreNotLostRecords) {
  // 30 copies of one boilerplate vector, k = 10: a copy's own id may not be
  // among the ten tied answers, but an identical vector came first.
  MemoryStore o, n;
  RecordBatch b = MakeBatch("r", 200, 8, 5);
  float v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 30; ++i) b.SetEmbedding(i, v, 8);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  n.set_can_query(true);  // old has no live index: the absolute floor
  Suite suite;
  suite.divergence.min_self_retrieval = 0.99;
  auto sd = NewSemanticDivergenceValidator();
  auto r = RunCheck(*sd, suite, o, n, 64);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metrics["self_retrieval_rate"], 1.0) << r->summary;
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
}

TEST(LiveIndexTest, ChangedDimensionIsNotAnErrorForSemanticDivergence) {
  MemoryStore o, n;
  o.AddCollection("c", DistanceSpace::kL2, 8, MakeBatch("r", 100, 8, 5));
  n.AddCollection("c", DistanceSpace::kL2, 4, MakeBatch("r", 100, 4, 6));
  n.set_can_query(true);
  auto v = NewSemanticDivergenceValidator();
  auto r = RunCheck(*v, Suite(), o, n, 64);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->metrics.contains("not_comparable"));
  EXPECT_EQ(r->metrics["not_comparable"][0], "c: dimension 8 -> 4");

  Suite reembedding;
  reembedding.content.reembedding = true;
  auto own = RunCheck(*v, reembedding, o, n, 64);
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->status, CheckStatus::kPass) << own->summary;
  EXPECT_EQ(own->metrics["self_retrieval_checked"], 100);
}


// A JavaScript writer sends 1.0 back as 1 and jsonb keeps 1: the value did
// not change, so the record did not either.
TEST(ContentTest, NumbersCompareByValueWhateverTheirKind) {
  MemoryStore o, n;
  RecordBatch b = Corpus(60);
  for (size_t i = 0; i < b.size(); ++i) {
    (*b.mutable_metadatas()[i])["authenticity_score"] = static_cast<double>(i % 3);
  }
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  for (size_t i = 0; i < b.size(); ++i) {
    auto& m = *b.mutable_metadatas()[i];
    m["authenticity_score"] = static_cast<int64_t>(i % 3);              // 1.0 -> 1
    m["chunk_index"] = static_cast<double>(std::get<int64_t>(m["chunk_index"]));  // 7 -> 7.0
  }
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
  EXPECT_EQ(r->metrics["records_changed"], 0);
}

// A change of kind stays a change, and both sides read distinctly.
TEST(ContentTest, ANumberTurnedIntoAStringOrAnotherNumberIsAChangeShownBothSides) {
  MemoryStore o, n;
  RecordBatch b = Corpus(10);
  for (size_t i = 0; i < b.size(); ++i) {
    (*b.mutable_metadatas()[i])["authenticity_score"] = 1.0;
  }
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  (*b.mutable_metadatas()[0])["authenticity_score"] = std::string("1");
  (*b.mutable_metadatas()[1])["authenticity_score"] = static_cast<int64_t>(2);
  (*b.mutable_metadatas()[2])["authenticity_score"] = 1.5;
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["records_changed"], 3);
  EXPECT_EQ(ProblemOf(*r, b.id(0)), "metadata.authenticity_score type float -> string (1.0 -> \"1\")");
  EXPECT_EQ(ProblemOf(*r, b.id(1)), "metadata.authenticity_score 1.0 -> 2");
  EXPECT_EQ(ProblemOf(*r, b.id(2)), "metadata.authenticity_score 1.0 -> 1.5");
}

// Chroma 1.5's metadata lists: element by element, numbers by value; a
// dropped element, a reordered list and a list flattened to a string are
// changes that show both sides.
TEST(ContentTest, ListsCompareElementByElementAndChangesShowBothLists) {
  MemoryStore o, n;
  RecordBatch b = Corpus(12);
  for (size_t i = 0; i < b.size(); ++i) {
    auto& m = *b.mutable_metadatas()[i];
    m["tags"] = MetadataArray{std::string("a"), std::string("b"), std::string("c")};
    m["scores"] = MetadataArray{1.0, 0.5};
  }
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  for (size_t i = 0; i < b.size(); ++i) {
    // 1.0 written back as 1 (Chroma and JavaScript do) is no change.
    (*b.mutable_metadatas()[i])["scores"] = MetadataArray{int64_t{1}, 0.5};
  }
  (*b.mutable_metadatas()[0])["tags"] = MetadataArray{std::string("a"), std::string("c")};
  (*b.mutable_metadatas()[1])["tags"] =
      MetadataArray{std::string("c"), std::string("b"), std::string("a")};
  (*b.mutable_metadatas()[2])["tags"] = std::string("a,b,c");
  (*b.mutable_metadatas()[3])["scores"] = MetadataArray{int64_t{1}, 0.25};
  (*b.mutable_metadatas()[4])["tags"] =
      MetadataArray{std::string("a"), std::string("b"), std::string("c"), std::string("d")};
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(r->metrics["records_changed"], 5);
  EXPECT_EQ(ProblemOf(*r, b.id(0)),
            "metadata.tags [\"a\", \"b\", \"c\"] -> [\"a\", \"c\"] (1 element dropped)");
  EXPECT_EQ(ProblemOf(*r, b.id(1)),
            "metadata.tags [\"a\", \"b\", \"c\"] -> [\"c\", \"b\", \"a\"] (reordered)");
  EXPECT_EQ(ProblemOf(*r, b.id(2)),
            "metadata.tags type array<string> -> string ([\"a\", \"b\", \"c\"] -> \"a,b,c\")");
  EXPECT_EQ(ProblemOf(*r, b.id(3)), "metadata.scores [1.0, 0.5] -> [1, 0.25] (element 1 0.5 -> 0.25)");
  EXPECT_EQ(ProblemOf(*r, b.id(4)),
            "metadata.tags [\"a\", \"b\", \"c\"] -> [\"a\", \"b\", \"c\", \"d\"] (1 element added)");
}

TEST(ContentTest, NestedValuesCompareByTheirJsonText) {
  MemoryStore o, n;
  RecordBatch b = Corpus(6);
  for (size_t i = 0; i < b.size(); ++i) {
    (*b.mutable_metadatas()[i])["o"] = NestedJson{R"({"a":1})"};
  }
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  (*b.mutable_metadatas()[0])["o"] = NestedJson{R"({"a":2})"};
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metrics["records_changed"], 1);
  EXPECT_EQ(ProblemOf(*r, b.id(0)), "metadata.o {\"a\":1} -> {\"a\":2}");
}

TEST(HashTest, ListsHashByValueInOrder) {
  EXPECT_EQ(HashMetadataValue(MetadataArray{1.0, std::string("x")}),
            HashMetadataValue(MetadataArray{int64_t{1}, std::string("x")}));
  EXPECT_NE(HashMetadataValue(MetadataArray{std::string("a"), std::string("b")}),
            HashMetadataValue(MetadataArray{std::string("b"), std::string("a")}));
  EXPECT_NE(HashMetadataValue(MetadataArray{std::string("a")}),
            HashMetadataValue(std::string("a")));
  EXPECT_NE(HashMetadataValue(MetadataArray{}), HashMetadataValue(MetadataArray{false}));
  EXPECT_NE(HashMetadataValue(MetadataArray{}), 0u);
  FieldDigests digests;
  uint32_t begin = 0, count = 0;
  digests.Append(Metadata{{"t", MetadataArray{std::string("a"), 2.5}}, {"z", 1.5}}, &begin,
                 &count);
  const std::vector<FieldDigests::Entry> entries = digests.Read(begin, count);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].type, FieldDigests::kArray);
  ASSERT_NE(entries[0].array, nullptr);
  EXPECT_EQ(*entries[0].array, (MetadataArray{std::string("a"), 2.5}));
  EXPECT_EQ(entries[1].type, FieldDigests::kDouble);
  EXPECT_EQ(entries[1].number, 1.5);
}

// A writer's own key on every record (LlamaIndex TS's create_date): the
// user's data is intact, so a warning per key, not a FAIL per record.
TEST(ContentTest, KeysOnlyTheNewRecordsHaveWarnPerKeyUnlessAllowed) {
  MemoryStore o, n;
  RecordBatch b = Corpus(40);
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  for (size_t i = 0; i < b.size(); ++i) {
    (*b.mutable_metadatas()[i])["create_date"] = std::string("2026-12-07");
  }
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, CheckStatus::kWarn) << r->summary;
  EXPECT_EQ(r->metrics["records_changed"], 0);
  EXPECT_EQ(r->metrics["added_keys"]["create_date"], 40);
  EXPECT_NE(r->summary.find("create_date in 40 records"), std::string::npos) << r->summary;
  EXPECT_TRUE(r->findings.empty());

  Suite allowed;
  allowed.content.new_fields_allowed = true;
  auto quiet = RunContent(o, n, allowed);
  ASSERT_TRUE(quiet.ok());
  EXPECT_EQ(quiet->status, CheckStatus::kPass) << quiet->summary;

  Suite ignored;
  ignored.content.ignore_fields = {"create_date"};
  auto ignoring = RunContent(o, n, ignored);
  ASSERT_TRUE(ignoring.ok());
  EXPECT_EQ(ignoring->status, CheckStatus::kPass) << ignoring->summary;
}

// An added key beside a real change: the record is changed and the finding
// names both.
TEST(ContentTest, AnAddedKeyBesideALostOneIsAChange) {
  MemoryStore o, n;
  RecordBatch b = Corpus(5);
  o.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto& m = *b.mutable_metadatas()[0];
  m.erase("author");
  m["writer"] = std::string("x");
  n.AddCollection("c", DistanceSpace::kCosine, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  const std::string p = ProblemOf(*r, b.id(0));
  EXPECT_NE(p.find("metadata.author lost"), std::string::npos) << p;
  EXPECT_NE(p.find("metadata.writer added"), std::string::npos) << p;
}

// A person reading a finding sees the change itself: where a same-length
// edit is, both snippets, and a string's old value beside its new one.
TEST(ContentTest, FindingsShowBothSidesOfTheChange) {
  MemoryStore o, n;
  RecordBatch b = Corpus(20);
  o.AddCollection("c", DistanceSpace::kL2, 8, b);
  std::string& doc = *b.mutable_documents()[3];
  doc[150] = '#';  // same length, one character
  (*b.mutable_metadatas()[5])["author"] = std::string("Someone Else");
  n.AddCollection("c", DistanceSpace::kL2, 8, b);
  auto r = RunContent(o, n);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Finding* edited = nullptr;
  const Finding* author = nullptr;
  for (const auto& f : r->findings) {
    if (f.id == b.id(3)) edited = &f;
    if (f.id == b.id(5)) author = &f;
  }
  ASSERT_NE(edited, nullptr);
  EXPECT_EQ(edited->field, "document");
  EXPECT_EQ(edited->kind, "changed");
  EXPECT_EQ(edited->offset, 150);
  EXPECT_NE(edited->old_value.find("ddd"), std::string::npos) << edited->old_value;
  EXPECT_NE(edited->new_value.find("#"), std::string::npos) << edited->new_value;
  EXPECT_NE(edited->problem.find("at character 150"), std::string::npos) << edited->problem;
  ASSERT_NE(author, nullptr);
  EXPECT_EQ(author->field, "metadata.author");
  EXPECT_EQ(author->old_value, "\"author 5\"");
  EXPECT_EQ(author->new_value, "\"Someone Else\"");
  EXPECT_EQ(author->problem, "metadata.author \"author 5\" -> \"Someone Else\"");
}

}  // namespace
}  // namespace vecgate
