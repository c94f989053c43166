// The gate end to end against the real Chroma server: for every fault the
// fixture generator can inject, the fixture corpus is migrated into a fresh
// Chroma database with that fault, validated with the shipped seeds suite,
// and the right check must FAIL (or WARN at a single-record rate, where its
// thresholds allow) naming exactly the ids the fault log says were damaged;
// checks the fault cannot touch must stay PASS; the verdict, exit code and
// rollback reason must follow docs/checks.md. The corpus is real-shaped
// (natural duplicates, odd unicode, empty and huge documents, values that
// were already wrong in the old store): a clean copy of it must PASS all
// nine checks, its old dirt listed as pre-existing.
//
// The corpus, the migration and the expectations are shared with the
// Chroma -> pgvector gate (tests/postgres_gate_test.cc): tests/gate_test_util.h.
// Real Chroma facts the expectations rely on: a cosine collection gives its
// embeddings back a few ulps off what was written (not drift: every record
// is drift-checked and none may be reported); NaN comes back as null (read
// as NaN); Chroma refuses an embedding of the wrong length, so
// wrong_dimension records go missing rather than arriving malformed.
// Chroma 1.5.9 (the chroma15.* run) refuses an embedding with a NaN or
// infinite component (HTTP 400 on add, measured), as pgvector does, so
// there nan records go missing too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "harness/runner.h"
#include "suites/suite.h"
#include "tests/chroma_test_env.h"
#include "tests/gate_test_util.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ChromaTestServer;
using testutil::ContentFaults;
using testutil::Describe;
using testutil::EventIds;
using testutil::ExpectQuietOutside;
using testutil::ExpectStatus;
using testutil::FaultTestName;
using testutil::FindCheck;
using testutil::FindingIds;
using testutil::GateCorpus;
using testutil::GateRun;
using testutil::GateSuite;
using testutil::GateTarget;
using testutil::IdSet;
using testutil::PrintReportOnFailure;
using testutil::RateFor;
using testutil::RecordFaults;
using testutil::Touched;

GateTarget ChromaTarget() {
  GateTarget target;
  target.open = [](const std::string& hint) { return ChromaTestServer::Get().NewDatabase(hint); };
  target.refuses_non_finite = testutil::TestingChroma15();
  return target;
}

void MigrateAndValidate(Store& source, const FaultSpec& spec, const std::string& hint,
                        const Suite& suite, GateRun* run) {
  testutil::MigrateAndValidate(source, ChromaTarget(), spec, hint, suite, run);
}

// The corpus, loaded once per process into a fresh database and shared by
// every test (each migrates it into a database of its own).
class GateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    static Store* const source =
        testutil::LoadGateSource(ChromaTestServer::Get().NewDatabase("gate_src"));
    ASSERT_NE(source, nullptr) << "the corpus did not load";
    source_ = source;
  }
  static Store* source_;
};
Store* GateTest::source_ = nullptr;

TEST_F(GateTest, CleanMigrationPassesAllNineChecks) {
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(MigrateAndValidate(*source_, FaultSpec(), "gate_clean",
                                             GateSuite(), &run));
  testutil::ExpectCleanMigrationPasses(run);
}

TEST_F(GateTest, PreExistingFailJudgesTheOldDirtAsIfTheMigrationMadeIt) {
  Suite suite = GateSuite();
  suite.pre_existing = PreExistingPolicy::kFail;
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(
      MigrateAndValidate(*source_, FaultSpec(), "gate_clean_strict", suite, &run));
  EXPECT_EQ(run.report.overall_status, OverallStatus::kFailed) << Describe(run.report);
  // 10 % boilerplate is far above the 1 % duplicate limit.
  ExpectStatus(run.report, "duplicates", CheckStatus::kFail);
  ExpectStatus(run.report, "field_types", CheckStatus::kFail);
  ExpectStatus(run.report, "content", CheckStatus::kPass);
  suite.pre_existing = PreExistingPolicy::kWarn;
  GateRun warn;
  ASSERT_NO_FATAL_FAILURE(
      MigrateAndValidate(*source_, FaultSpec(), "gate_clean_warn", suite, &warn));
  EXPECT_EQ(warn.report.overall_status, OverallStatus::kWarning) << Describe(warn.report);
}

class GateFaultTest : public GateTest, public ::testing::WithParamInterface<FaultKind> {};

TEST_P(GateFaultTest, RightCheckFailsWithTheLoggedIds) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(MigrateAndValidate(
      *source_, spec, std::string("gate_") + FaultName(fault), GateSuite(), &run));
  testutil::ExpectRecordFaultCaught(fault, ChromaTarget(), run);
}

class GateContentFaultTest : public GateTest, public ::testing::WithParamInterface<FaultKind> {};

TEST_P(GateContentFaultTest, ContentFailsWithTheLoggedIds) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(MigrateAndValidate(
      *source_, spec, std::string("gate_") + FaultName(fault), GateSuite(), &run));
  testutil::ExpectContentFaultCaught(fault, *source_, run);
}

INSTANTIATE_TEST_SUITE_P(EveryContentFault, GateContentFaultTest,
                         ::testing::ValuesIn(ContentFaults()), FaultTestName);

// The list faults (Chroma 1.5's metadata arrays). The pinned Chroma 1.0
// holds no lists, so the corpus with lists goes through jsonl: files here
// (the same checks, the same codec); tests/chroma15_test.cc runs them
// against a Chroma 1.5 server.
class GateListFaultTest : public ::testing::TestWithParam<FaultKind> {
 protected:
  static void SetUpTestSuite() {
    static testutil::TempDir* const dir = new testutil::TempDir();
    dir_ = dir;
    static Store* const source = testutil::LoadGateSource(
        std::move(OpenStore("jsonl:" + dir->path() + "/source.jsonl", OpenOptions())).value(),
        testutil::GateListCorpus());
    ASSERT_NE(source, nullptr) << "the corpus did not load";
    source_ = source;
  }
  static GateTarget JsonlTarget() {
    GateTarget target;
    target.open = [](const std::string& hint) {
      return std::move(OpenStore("jsonl:" + dir_->path() + "/" + hint + ".jsonl", OpenOptions()))
          .value();
    };
    return target;
  }
  static Store* source_;
  static testutil::TempDir* dir_;
};
Store* GateListFaultTest::source_ = nullptr;
testutil::TempDir* GateListFaultTest::dir_ = nullptr;

TEST_F(GateListFaultTest, ACleanCopyWithListsPasses) {
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(testutil::MigrateAndValidate(*source_, JsonlTarget(), FaultSpec(),
                                                      "list_clean", GateSuite(), &run));
  for (const std::string& check : testutil::AllNineChecks()) {
    const CheckResult* c = FindCheck(run.report, check);
    ASSERT_NE(c, nullptr) << check;
    EXPECT_NE(c->status, CheckStatus::kFail) << Describe(*c);
  }
  ExpectStatus(run.report, "content", CheckStatus::kPass);
  EXPECT_EQ(run.report.overall_status, OverallStatus::kPassed) << Describe(run.report);
}

TEST_P(GateListFaultTest, ContentFailsWithTheLoggedIdsAndBothLists) {
  const FaultKind fault = GetParam();
  FaultSpec spec;
  spec.rates[fault] = RateFor(fault);
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(testutil::MigrateAndValidate(
      *source_, JsonlTarget(), spec, std::string("list_") + FaultName(fault), GateSuite(), &run));
  testutil::ExpectContentFaultCaught(fault, *source_, run);
}

INSTANTIATE_TEST_SUITE_P(EveryListFault, GateListFaultTest,
                         ::testing::ValuesIn(ListFaultKinds()), FaultTestName);

INSTANTIATE_TEST_SUITE_P(EveryFault, GateFaultTest, ::testing::ValuesIn(RecordFaults()),
                         FaultTestName);

// ---------------------------------------------------------------------------
// A single damaged record. The seeds suite's thresholds are percentages, so a WARN
// needs a collection big enough that one record is at most 0.1 % of it: the
// corpus collection at scale 0.15 has 1,130 records, and 1 of 1,130 =
// 0.0885 %. With the seeds suite:
//   embedding_integrity  corrupt 0.0885 % > warn 0 and <= fail 0.1  -> WARN
//   field_types          violations likewise                        -> WARN
//   citations            bad citations likewise                     -> WARN
//   metadata_completeness  field 99.91 % >= warn 99, < pass 100     -> WARN
//   duplicates           2 records (the pair) 0.177 % <= fail 1 %   -> WARN
// while count (tolerance 0) FAILs on any missing id, and a swap always
// damages two records (0.177 % > 0.1 %) -> FAIL.

CorpusOptions LargeCorpus() {
  CorpusOptions options;
  options.scale = 0.15;
  options.dimension = 32;
  return options;
}
constexpr const char* kLargeCollection = "sergio_corpus";

class GateSingleRecordTest : public ::testing::TestWithParam<FaultKind> {
 protected:
  // Only the corpus collection, so identity mapping covers the whole store.
  static void SetUpTestSuite() {
    static Store* const source = [] {
      Store* s = ChromaTestServer::Get().NewDatabase("gate_single_src").release();
      for (const auto& info : CorpusCollections(LargeCorpus())) {
        if (info.name != kLargeCollection) continue;
        Status status = s->CreateCollection(info);
        if (status.ok()) {
          status = GenerateCollection(LargeCorpus(), info.name, 1000, [s](RecordBatch& page) {
            return s->Add(kLargeCollection, page);
          });
        }
        EXPECT_TRUE(status.ok()) << status.ToString();
        if (!status.ok()) return static_cast<Store*>(nullptr);
      }
      return s;
    }();
    ASSERT_NE(source, nullptr) << "the corpus collection did not load";
    source_ = source;
    records_ = CorpusRecordCount(LargeCorpus(), kLargeCollection);
  }
  static Store* source_;
  static int64_t records_;
};
Store* GateSingleRecordTest::source_ = nullptr;
int64_t GateSingleRecordTest::records_ = 0;

// The status that `warn` and `fail` percents give `bad` of `records` records, as
// StatusFromBadPercent (validators/check_util.h) decides it.
CheckStatus FromBadPercent(int64_t bad, int64_t records, double warn, double fail) {
  const double pct = 100.0 * static_cast<double>(bad) / static_cast<double>(records);
  if (bad == 0) return CheckStatus::kPass;
  if (pct > fail) return CheckStatus::kFail;
  return pct > warn ? CheckStatus::kWarn : CheckStatus::kPass;
}

TEST_P(GateSingleRecordTest, LowRateWarnsWhereTheThresholdsAllow) {
  const FaultKind fault = GetParam();
  // Any rate > 0 damages at least one record; this one rounds to exactly 1.
  const double rate = 1e-4;
  ASSERT_EQ(records_, 1130);
  const int64_t affected = fault == FaultKind::kChangeDimension
                               ? records_  // the whole collection is re-embedded
                               : FaultTargetCount(fault, rate, records_);
  if (fault != FaultKind::kChangeDimension) {
    ASSERT_EQ(affected, fault == FaultKind::kSwappedEmbeddings ||
                                fault == FaultKind::kMisalignDocuments
                            ? 2
                            : 1);
  }
  FaultSpec spec;
  spec.rates[fault] = rate;
  const Suite suite = GateSuite();
  GateRun run;
  ASSERT_NO_FATAL_FAILURE(MigrateAndValidate(
      *source_, spec, std::string("gate_one_") + FaultName(fault), suite, &run));
  const ValidationReport& report = run.report;
  PrintReportOnFailure print_on_failure(report);
  const IdSet damaged = EventIds(run.log, fault);
  ASSERT_EQ(static_cast<int64_t>(damaged.size()), affected);
  const FaultEvent event = run.log.Of(fault).front();

  std::string primary;
  CheckStatus expected = CheckStatus::kFail;
  IdSet expected_ids = damaged;
  std::vector<std::string> must_pass;
  // A server that refuses non-finite vectors loses the nan record: a drop.
  const bool nan_refused = fault == FaultKind::kNan && ChromaTarget().refuses_non_finite;
  if (nan_refused) {
    EXPECT_TRUE(event.refused_by_store);
  }
  switch (nan_refused ? FaultKind::kDrop : fault) {
    case FaultKind::kDrop:
    case FaultKind::kWrongDimension:
    case FaultKind::kMisroutedCollection:
      // One missing id is over count.tolerance (0): FAIL, but the data loss
      // (0.09 %) is far below 5 %, so not "Data Loss Detected".
      primary = "count";
      expected = CheckStatus::kFail;
      EXPECT_NEAR(report.data_loss_percentage, 100.0 / records_, 1e-9);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Chunk Count Mismatch"));
      EXPECT_THAT(report.rollback_reason, Not(HasSubstr("Data Loss Detected")));
      if (fault == FaultKind::kMisroutedCollection) {
        // Only one collection: the record went to "<name>_misrouted", a
        // collection the mapping does not name.
        EXPECT_EQ(event.target_collection, std::string(kLargeCollection) + "_misrouted");
        const CheckResult* cd = FindCheck(report, "collection_distribution");
        ASSERT_NE(cd, nullptr);
        EXPECT_EQ(cd->status, CheckStatus::kFail) << Describe(*cd);
        std::set<std::pair<std::string, std::string>> got;
        for (const auto& f : cd->findings) got.insert({f.collection, f.problem});
        EXPECT_TRUE(got.count({event.target_collection, "unexpected_collection"}))
            << Describe(*cd);
      }
      must_pass = {"embedding_integrity", "metadata_completeness", "duplicates",
                   "field_types", "citations"};
      break;
    case FaultKind::kNan:
    case FaultKind::kPerturbedEmbedding:
    case FaultKind::kSwappedEmbeddings:
      primary = "embedding_integrity";
      expected = FromBadPercent(affected, records_, suite.embedding.warn_percent,
                                suite.embedding.fail_percent);
      must_pass = {"count", "metadata_completeness", "collection_distribution",
                   "duplicates", "field_types", "citations"};
      break;
    case FaultKind::kMissingField:
      // 1,129 of 1,130 = 99.91 % for the field removed.
      primary = "metadata_completeness";
      expected = CheckStatus::kWarn;
      must_pass = {"count", "embedding_integrity", "semantic_divergence",
                   "collection_distribution", "duplicates", "field_types"};
      if (event.field != "if_citation_uri") must_pass.push_back("citations");
      break;
    case FaultKind::kWrongType:
    case FaultKind::kOutOfRange:
      primary = "field_types";
      expected = FromBadPercent(affected, records_, suite.field_types.warn_percent,
                                suite.field_types.fail_percent);
      must_pass = {"count", "embedding_integrity", "semantic_divergence",
                   "collection_distribution", "duplicates", "citations"};
      if (fault == FaultKind::kOutOfRange) {
        must_pass.push_back("metadata_completeness");
      } else {
        ExpectStatus(report, "metadata_completeness", CheckStatus::kWarn);
      }
      break;
    case FaultKind::kDuplicateContent:
      primary = "duplicates";
      // The pair: the damaged record and its donor.
      expected = FromBadPercent(2, records_, suite.duplicates.warn_percent,
                                suite.duplicates.fail_percent);
      expected_ids.insert(event.partner_id);
      // And one drifted embedding.
      ExpectStatus(report, "embedding_integrity", CheckStatus::kWarn);
      must_pass = {"count", "metadata_completeness", "collection_distribution",
                   "field_types", "citations"};
      break;
    case FaultKind::kBrokenCitation:
      primary = "citations";
      expected = FromBadPercent(affected, records_, suite.citations.warn_percent,
                                suite.citations.fail_percent);
      must_pass = {"count", "embedding_integrity", "metadata_completeness",
                   "semantic_divergence", "collection_distribution", "duplicates"};
      break;
    case FaultKind::kTruncateDocument:
    case FaultKind::kMisalignDocuments:
    case FaultKind::kDropDocument:
    case FaultKind::kChangeMetadataValue:
      // One changed record of 1,130 (0.088 %) WARNs; a misalignment moves
      // at least two documents (0.177 %) and FAILs.
      primary = "content";
      expected = FromBadPercent(affected, records_, suite.content.warn_percent,
                                suite.content.fail_percent);
      must_pass = {"count", "embedding_integrity", "metadata_completeness",
                   "semantic_divergence", "collection_distribution", "duplicates",
                   "field_types", "citations"};
      break;
    case FaultKind::kChangeDimension:
      // The collection itself changed: one collection finding, a FAIL.
      primary = "content";
      expected = CheckStatus::kFail;
      expected_ids = {""};
      must_pass = {"count", "embedding_integrity", "metadata_completeness",
                   "semantic_divergence", "collection_distribution", "duplicates",
                   "field_types", "citations"};
      break;
  }
  const CheckResult* c = FindCheck(report, primary);
  ASSERT_NE(c, nullptr) << primary;
  EXPECT_EQ(CheckStatusName(c->status), std::string(CheckStatusName(expected)))
      << Describe(*c);
  // The one damaged record (and, for duplicates, its donor) is named.
  IdSet named = FindingIds(*c);
  if (fault == FaultKind::kDuplicateContent) {
    for (const auto& f : c->findings) named.insert(f.problem.substr(f.problem.find(':') + 1));
  }
  EXPECT_EQ(named, expected_ids) << Describe(*c);
  const std::set<std::string> touched = Touched(run.log, fault);
  for (const auto& name : must_pass) ExpectQuietOutside(report, name, touched);

  // A NaN vector in Chroma's live HNSW index strands records around it
  // (measured: self-retrieval 68-93 % over 12 migrations of this data), by
  // an amount that changes with each migration's graph. semantic_divergence
  // therefore FAILs on the vector the migration added, every run, and names
  // it, while the exact top-k barely moves.
  if (fault == FaultKind::kNan && !nan_refused) {
    const CheckResult* sd = FindCheck(report, "semantic_divergence");
    ASSERT_NE(sd, nullptr);
    EXPECT_EQ(sd->status, CheckStatus::kFail) << Describe(*sd);
    EXPECT_EQ(sd->metrics.value("live_index_non_finite", -1), 1) << Describe(*sd);
    EXPECT_EQ(sd->metrics.value("old_live_index_non_finite", -1), 0) << Describe(*sd);
    EXPECT_LT(sd->metrics.value("semantic_divergence_percentage", 100.0),
              suite.divergence.warn_percent)
        << "the exact top-k barely moves: it is the live index that is broken";
    bool blames_nan_record = false;
    for (const auto& f : sd->findings) {
      blames_nan_record |= f.id == event.id && f.problem == "non_finite_in_live_index";
    }
    EXPECT_TRUE(blames_nan_record) << Describe(*sd);
    EXPECT_THAT(report.rollback_reason, HasSubstr("Search Index Degraded"));
  }

  // Verdict follows the worst check: WARNING (exit 1, no rollback) when the
  // damage only warns, FAILED (exit 2) otherwise.
  int failed_checks = 0;
  for (const auto& check : report.checks) failed_checks += check.status == CheckStatus::kFail;
  const bool any_fail = failed_checks > 0;
  if (fault == FaultKind::kNan && !nan_refused) {
    EXPECT_EQ(failed_checks, 1) << "only semantic_divergence fails";
    EXPECT_EQ(report.overall_status, OverallStatus::kFailed);
    EXPECT_EQ(report.exit_code, 2);
  } else if (expected == CheckStatus::kWarn) {
    // A single warned record must not, by itself, fail any check.
    EXPECT_FALSE(any_fail);
    EXPECT_EQ(report.overall_status, OverallStatus::kWarning);
    EXPECT_EQ(report.exit_code, 1);
    EXPECT_FALSE(report.rollback_triggered);
    EXPECT_EQ(report.rollback_reason, "");
    // The same report under --fail-on warning exits 2.
    ValidationReport strict = report;
    DecideVerdict(strict, /*fail_on_warning=*/true);
    EXPECT_EQ(strict.overall_status, OverallStatus::kFailed);
    EXPECT_EQ(strict.exit_code, 2);
  } else {
    EXPECT_EQ(report.overall_status, OverallStatus::kFailed);
    EXPECT_EQ(report.exit_code, 2);
    EXPECT_TRUE(report.rollback_triggered);
  }
}

// The list faults need a corpus with lists, which the pinned Chroma 1.0
// cannot hold: GateListFaultTest below.
INSTANTIATE_TEST_SUITE_P(EveryFault, GateSingleRecordTest,
                         ::testing::ValuesIn(FaultKindsWithoutLists()), FaultTestName);

}  // namespace
}  // namespace vecgate
