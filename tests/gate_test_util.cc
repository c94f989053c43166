// The gate tests' shared part; see gate_test_util.h.
#include "tests/gate_test_util.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <iostream>
#include <map>

namespace vecgate::testutil {

using ::testing::HasSubstr;
using ::testing::Not;

CorpusOptions GateCorpus() {
  CorpusOptions options;
  options.scale = 0.05;
  options.dimension = 32;
  return options;
}

CorpusOptions GateListCorpus() {
  CorpusOptions options = GateCorpus();
  options.arrays = true;
  return options;
}

Suite GateSuite() {
  auto suite = LoadSuite(VECGATE_SOURCE_DIR "/suites/seeds.json");
  EXPECT_TRUE(suite.ok()) << suite.status().ToString();
  Suite s = suite.ok() ? std::move(suite).value() : DefaultSuite();
  s.max_findings = 1000000;
  return s;
}

int64_t GateCorpusTotal() {
  int64_t total = 0;
  for (const auto& c : CorpusCollections(GateCorpus())) {
    total += CorpusRecordCount(GateCorpus(), c.name);
  }
  return total;
}

const std::vector<std::string>& AllNineChecks() {
  static const std::vector<std::string> checks = {
      "count",      "embedding_integrity", "metadata_completeness", "semantic_divergence",
      "collection_distribution", "duplicates", "field_types", "citations", "content"};
  return checks;
}

const CheckResult* FindCheck(const ValidationReport& report, const std::string& name) {
  for (const auto& c : report.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Describe(const CheckResult& c) {
  std::string s = c.name + " " + CheckStatusName(c.status) + ": " + c.summary;
  size_t shown = 0;
  for (const auto& f : c.findings) {
    if (++shown > 8) break;
    s += "\n    " + f.collection + " " + f.id + " " + f.problem;
  }
  return s;
}

std::string Describe(const ValidationReport& report) {
  std::string s = std::string(OverallStatusName(report.overall_status)) + " exit " +
                  std::to_string(report.exit_code) + " reason '" + report.rollback_reason +
                  "'";
  for (const auto& c : report.checks) s += "\n  " + Describe(c);
  return s;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

IdSet FindingIds(const CheckResult& c, const std::string& prefix) {
  IdSet ids;
  for (const auto& f : c.findings) {
    if (StartsWith(f.problem, prefix)) ids.insert(f.id);
  }
  return ids;
}

std::set<std::pair<std::string, std::string>> Findings(const CheckResult& c) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& f : c.findings) out.insert({f.id, f.problem});
  return out;
}

IdSet EventIds(const FaultLog& log, FaultKind fault) {
  IdSet ids;
  for (const auto& e : log.Of(fault)) ids.insert(e.id);
  return ids;
}

int64_t LoggedCount(const FaultLog& log, FaultKind fault) {
  return static_cast<int64_t>(log.Of(fault).size());
}

void ExpectStatus(const ValidationReport& report, const std::string& check,
                  CheckStatus expected) {
  const CheckResult* c = FindCheck(report, check);
  ASSERT_NE(c, nullptr) << check;
  EXPECT_EQ(CheckStatusName(c->status), std::string(CheckStatusName(expected)))
      << Describe(*c);
}

// A check the fault is not aimed at either passes or blames only records
// the fault touched: in a real-shaped corpus a moved document can land on
// boilerplate that other records share (a new duplicate, rightly), or a
// record with old dirt can be misrouted away from its old group.
void ExpectQuietOutside(const ValidationReport& report, const std::string& check,
                        const std::set<std::string>& touched) {
  const CheckResult* c = FindCheck(report, check);
  ASSERT_NE(c, nullptr) << check;
  if (c->status == CheckStatus::kPass) return;
  ASSERT_FALSE(c->findings.empty()) << Describe(*c);
  for (const auto& f : c->findings) {
    // "duplicate_document_of:<id>": a new pair may be listed under either.
    const size_t colon = f.problem.find(':');
    const std::string other = colon == std::string::npos ? "" : f.problem.substr(colon + 1);
    EXPECT_TRUE(touched.count(f.id) || touched.count(other))
        << check << " blames an untouched record: " << f.id << " " << f.problem;
  }
}

std::set<std::string> Touched(const FaultLog& log, FaultKind fault) {
  std::set<std::string> ids;
  for (const auto& e : log.Of(fault)) {
    ids.insert(e.id);
    if (!e.partner_id.empty()) ids.insert(e.partner_id);
  }
  return ids;
}

IdSet PreexistingIds(const CheckResult& c) {
  IdSet ids;
  for (const auto& f : c.preexisting_findings) ids.insert(f.id);
  return ids;
}

IdSet QuirkIds(std::initializer_list<CorpusQuirk> quirks) {
  IdSet ids;
  for (CorpusQuirk q : quirks) {
    for (const auto& id : CorpusQuirkIds(GateCorpus(), q)) ids.insert(id);
  }
  return ids;
}
PrintReportOnFailure::~PrintReportOnFailure() {
  if (::testing::Test::HasFailure()) std::cerr << "report: " << Describe(report_) << "\n";
}

Store* LoadGateSource(std::unique_ptr<Store> store) {
  return LoadGateSource(std::move(store), GateCorpus());
}

Store* LoadGateSource(std::unique_ptr<Store> store, const CorpusOptions& options) {
  Status loaded = LoadCorpus(options, *store);
  EXPECT_TRUE(loaded.ok()) << loaded.ToString();
  return loaded.ok() ? store.release() : nullptr;
}

void MigrateAndValidate(Store& source, const GateTarget& target, const FaultSpec& spec,
                        const std::string& hint, const Suite& suite, GateRun* run) {
  run->target = target.open(hint);
  ASSERT_NE(run->target, nullptr) << "no destination for " << hint;
  auto log = MigrateWithFaults(source, *run->target, spec, /*seed=*/7);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  run->log = std::move(log).value();
  for (const auto& e : run->log.events) {
    ASSERT_FALSE(e.skipped) << e.id << ": " << e.detail;
  }
  RunOptions options;
  options.page_size = 100;  // several pages per collection
  auto report = RunValidation(source, *run->target, suite, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  run->report = std::move(report).value();
  ASSERT_EQ(run->report.checks.size(), 9u) << Describe(run->report);
}

std::string FaultTestName(const ::testing::TestParamInfo<FaultKind>& info) {
  return FaultName(info.param);
}

void ExpectCleanMigrationPasses(const GateRun& run) {
  const int64_t total = GateCorpusTotal();
  const ValidationReport& report = run.report;
  for (const std::string& check : AllNineChecks()) {
    const CheckResult* c = FindCheck(report, check);
    ASSERT_NE(c, nullptr) << check;
    EXPECT_EQ(c->status, CheckStatus::kPass) << Describe(*c);
    EXPECT_TRUE(c->findings.empty()) << Describe(*c);
    EXPECT_EQ(c->findings_total, 0) << check;
  }
  EXPECT_EQ(report.overall_status, OverallStatus::kPassed) << Describe(report);
  EXPECT_EQ(report.exit_code, 0);
  EXPECT_FALSE(report.rollback_triggered);
  EXPECT_EQ(report.rollback_reason, "");
  EXPECT_EQ(report.data_loss_percentage, 0.0);
  EXPECT_EQ(report.semantic_divergence_percentage, 0.0);
  EXPECT_EQ(report.old_records, total);
  EXPECT_EQ(report.new_records, total);
  // Chroma hands back cosine embeddings a few ulps off (what the old side
  // reads, and what was copied): none of those may count as drift.
  const CheckResult* ei = FindCheck(report, "embedding_integrity");
  EXPECT_EQ(ei->metrics.value("drifted_count", -1), 0);
  // The live index answered: self-retrieval was actually checked.
  const CheckResult* sd = FindCheck(report, "semantic_divergence");
  EXPECT_GT(sd->metrics.value("queries", 0), 0) << Describe(*sd);
  EXPECT_EQ(sd->metrics.value("live_index_checked", false), true) << Describe(*sd);
  EXPECT_GT(sd->metrics.value("self_retrieval_checked", 0), 0) << Describe(*sd);
  // The old Chroma answers queries too: new is judged against it.
  EXPECT_EQ(sd->metrics.value("live_index_judged_against", std::string()), "old store");
  // Every record was compared, none changed.
  const CheckResult* content = FindCheck(report, "content");
  EXPECT_EQ(content->metrics.value("records_compared", -1), total);
  EXPECT_EQ(content->metrics.value("records_changed", -1), 0);

  // The old store's own dirt, exactly where the corpus put it, listed apart.
  const IdSet wrong_type = QuirkIds({CorpusQuirk::kPreexistingWrongType});
  const IdSet bad_values = QuirkIds({CorpusQuirk::kPreexistingWrongType,
                                     CorpusQuirk::kPreexistingOutOfRange,
                                     CorpusQuirk::kPreexistingBadCitation});
  ASSERT_FALSE(wrong_type.empty());
  EXPECT_EQ(PreexistingIds(*FindCheck(report, "field_types")), bad_values);
  EXPECT_EQ(PreexistingIds(*FindCheck(report, "citations")),
            QuirkIds({CorpusQuirk::kPreexistingBadCitation}));
  EXPECT_EQ(PreexistingIds(*FindCheck(report, "metadata_completeness")), wrong_type);
  IdSet natural;
  for (const auto& group : NaturalDuplicateGroups(GateCorpus())) {
    natural.insert(group.begin(), group.end());
  }
  const IdSet duplicate_ids = PreexistingIds(*FindCheck(report, "duplicates"));
  EXPECT_FALSE(duplicate_ids.empty());
  for (const auto& id : duplicate_ids) EXPECT_TRUE(natural.count(id)) << id;
}

// ---------------------------------------------------------------------------
// Every fault at 5 %: 3 + 1 + 2 + 19 = 25 of the 492 records per fault
// (FaultTargetCount rounds rate * n, at least 1). That crosses every
// percentage threshold of the seeds suite, so the primary check FAILs.
// missing_field is the exception: it removes one of 12 fields per record,
// and completeness is judged per field, so 25 damaged records leave every
// field above 99 % complete (the least complete at 99.19 %: WARN); it runs
// at 15 % (74 records) instead, and the test derives the status from the
// per-field counts in the log. change_dimension picks whole collections:
// 25 % of four is one collection.
double RateFor(FaultKind fault) {
  switch (fault) {
    case FaultKind::kMissingField:
      return 0.15;
    case FaultKind::kChangeDimension:
      return 0.25;
    default:
      return 0.05;
  }
}

void ExpectRecordFaultCaught(FaultKind fault, const GateTarget& target, const GateRun& run) {
  const double rate = RateFor(fault);
  const int64_t total = GateCorpusTotal();
  const ValidationReport& report = run.report;
  const FaultLog& log = run.log;
  PrintReportOnFailure print_on_failure(report);

  // The log holds this fault only, at the rate asked for (change_dimension
  // picks whole collections: its log names them).
  int64_t expected_events = 0;
  for (const auto& c : CorpusCollections(GateCorpus())) {
    expected_events +=
        FaultTargetCount(fault, rate, CorpusRecordCount(GateCorpus(), c.name));
  }
  const IdSet damaged = EventIds(log, fault);
  if (fault != FaultKind::kChangeDimension) {
    ASSERT_EQ(LoggedCount(log, fault), expected_events);
    ASSERT_EQ(static_cast<int64_t>(log.events.size()), expected_events);
    ASSERT_EQ(static_cast<int64_t>(damaged.size()), expected_events);
  }

  // Any FAIL: FAILED, exit 2, rollback triggered.
  EXPECT_EQ(report.overall_status, OverallStatus::kFailed);
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_TRUE(report.rollback_triggered);

  // Checks this fault cannot affect; filled per fault below.
  std::vector<std::string> must_pass;
  auto check = [&](const char* name) -> const CheckResult& {
    const CheckResult* c = FindCheck(report, name);
    EXPECT_NE(c, nullptr) << name;
    static const CheckResult kMissing;
    return c != nullptr ? *c : kMissing;
  };
  // Data loss as docs/checks.md defines it, and its rollback reason.
  auto expect_data_loss = [&](int64_t missing) {
    const double loss = 100.0 * static_cast<double>(missing) / static_cast<double>(total);
    EXPECT_NEAR(report.data_loss_percentage, loss, 1e-9);
    // 25 of 492 = 5.08 % > 5 %: "Data Loss Detected" (docs/checks.md).
    if (loss > 5.0) {
      EXPECT_THAT(report.rollback_reason, HasSubstr("Data Loss Detected"));
    } else {
      EXPECT_THAT(report.rollback_reason, Not(HasSubstr("Data Loss Detected")));
    }
  };

  // Records the store refused to take: every damaged one, named by count as
  // missing, and nothing else.
  auto expect_refused_records_missing = [&](const char* why) {
    IdSet refused;
    for (const auto& e : log.events) {
      if (e.refused_by_store) refused.insert(e.id);
    }
    EXPECT_EQ(refused, damaged) << why;
    const CheckResult& count = check("count");
    EXPECT_EQ(count.status, CheckStatus::kFail);
    EXPECT_EQ(FindingIds(count, "missing_in_new"), refused);
    EXPECT_EQ(FindingIds(count), refused);
    expect_data_loss(static_cast<int64_t>(refused.size()));
    EXPECT_THAT(report.rollback_reason, HasSubstr("Chunk Count Mismatch"));
  };

  switch (fault) {
    case FaultKind::kDrop: {
      const CheckResult& count = check("count");
      EXPECT_EQ(count.status, CheckStatus::kFail);
      EXPECT_EQ(FindingIds(count, "missing_in_new"), damaged);
      EXPECT_EQ(FindingIds(count), damaged) << "nothing extra in new";
      EXPECT_EQ(count.metrics.value("missing_ids", -1), expected_events);
      expect_data_loss(expected_events);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Chunk Count Mismatch"));
      // Each collection is short of what its source held.
      EXPECT_EQ(check("collection_distribution").status, CheckStatus::kFail);
      must_pass = {"embedding_integrity", "metadata_completeness", "duplicates",
                   "field_types", "citations"};
      break;
    }
    case FaultKind::kNan: {
      if (target.refuses_non_finite) {
        // pgvector's vector type holds no NaN or infinity: each such add is
        // refused, so the records are missing (count), not corrupt.
        expect_refused_records_missing("the store refuses every non-finite vector");
        must_pass = {"embedding_integrity", "metadata_completeness", "duplicates",
                     "field_types", "citations"};
        break;
      }
      // One component NaN, +Inf or -Inf; Chroma returns it as null (NaN),
      // in a cosine collection the whole vector. Either way the record is
      // corrupt: 25 of 492 = 5.1 % > fail_percent 0.1 %.
      const CheckResult& ei = check("embedding_integrity");
      EXPECT_EQ(ei.status, CheckStatus::kFail);
      IdSet non_finite = FindingIds(ei, "nan");
      IdSet inf = FindingIds(ei, "inf");
      non_finite.insert(inf.begin(), inf.end());
      EXPECT_EQ(non_finite, damaged);
      EXPECT_EQ(FindingIds(ei), damaged) << "no other record is corrupt";
      EXPECT_EQ(ei.metrics.value("corrupt_count", -1), expected_events);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Embedding Corruption"));
      // The records are all there with intact metadata.
      EXPECT_EQ(report.data_loss_percentage, 0.0);
      EXPECT_THAT(report.rollback_reason, Not(HasSubstr("Chunk Count Mismatch")));
      must_pass = {"count", "metadata_completeness", "collection_distribution",
                   "duplicates", "field_types", "citations"};
      break;
    }
    case FaultKind::kWrongDimension: {
      // Chroma and pgvector's vector(d) enforce the collection's dimension:
      // every such add is refused, so the records are missing (count), not
      // malformed.
      expect_refused_records_missing("the store refuses every wrong-length add");
      // Nothing with a wrong length reached the store.
      must_pass = {"embedding_integrity", "metadata_completeness", "duplicates",
                   "field_types", "citations"};
      break;
    }
    case FaultKind::kMissingField: {
      // One required field removed per damaged record. Completeness is per
      // field: FAIL when some field is present in fewer than warn_percent
      // (99 %) of the records, WARN when all are >= 99 % but not 100 %.
      const CheckResult& mc = check("metadata_completeness");
      std::map<std::string, int64_t> missing_per_field;
      std::set<std::pair<std::string, std::string>> expected;
      for (const auto& e : log.Of(fault)) {
        ++missing_per_field[e.field];
        expected.insert({e.id, "missing_field:" + e.field});
      }
      EXPECT_EQ(Findings(mc), expected);
      int64_t worst = 0;
      for (const auto& [field, n] : missing_per_field) worst = std::max(worst, n);
      const double min_pct = 100.0 * (1.0 - static_cast<double>(worst) / total);
      EXPECT_NEAR(mc.metrics.value("min_completeness_percentage", -1.0), min_pct, 1e-9);
      // The seed's rate must be enough to fail the gate here; if a change of
      // the generator spreads the damage thinner, raise the rate.
      ASSERT_LT(min_pct, 99.0) << "rate too low for a FAIL at this corpus size";
      EXPECT_EQ(mc.status, CheckStatus::kFail);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Schema Violation"));
      // A removed if_citation_uri is also a changed citation (citations),
      // so citations is only required clean when that field was spared.
      must_pass = {"count", "embedding_integrity", "semantic_divergence",
                   "collection_distribution", "duplicates", "field_types"};
      if (!missing_per_field.count("if_citation_uri")) must_pass.push_back("citations");
      break;
    }
    case FaultKind::kWrongType: {
      // A number or boolean turned into a string (or the reverse): a
      // field_types violation, 5 % > fail_percent 0.1 %; and (docs/checks.md)
      // a value of the wrong type is not "present" for completeness.
      const CheckResult& ft = check("field_types");
      EXPECT_EQ(ft.status, CheckStatus::kFail);
      std::set<std::pair<std::string, std::string>> wrong_type, missing;
      IdSet typed_ids;
      for (const auto& f : ft.findings) {
        EXPECT_THAT(f.problem, HasSubstr(":wrong_type(")) << f.id;
        wrong_type.insert({f.id, f.problem.substr(0, f.problem.find(':'))});
        typed_ids.insert(f.id);
      }
      std::set<std::pair<std::string, std::string>> expected_fields;
      for (const auto& e : log.Of(fault)) {
        expected_fields.insert({e.id, e.field});
        missing.insert({e.id, "missing_field:" + e.field});
      }
      EXPECT_EQ(typed_ids, damaged);
      EXPECT_EQ(wrong_type, expected_fields);
      const CheckResult& mc = check("metadata_completeness");
      EXPECT_NE(mc.status, CheckStatus::kPass);
      EXPECT_EQ(Findings(mc), missing);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Field Type Violation"));
      must_pass = {"count", "embedding_integrity", "semantic_divergence",
                   "collection_distribution", "duplicates", "citations"};
      break;
    }
    case FaultKind::kOutOfRange: {
      // authenticity_score outside [0, 1], or an enumeration value not in
      // the suite's allowed list; the type is right, so completeness holds.
      const CheckResult& ft = check("field_types");
      EXPECT_EQ(ft.status, CheckStatus::kFail);
      std::set<std::pair<std::string, std::string>> got, expected;
      for (const auto& f : ft.findings) {
        const std::string field = f.problem.substr(0, f.problem.find(':'));
        got.insert({f.id, field});
        if (field == "authenticity_score") {
          EXPECT_THAT(f.problem, HasSubstr(":out_of_range(")) << f.id;
        } else {
          EXPECT_THAT(f.problem, HasSubstr(":not_allowed(")) << f.id;
        }
      }
      // A record whose field was already out of range in the old store
      // (the corpus's pre-existing dirt) stays pre-existing: the changed
      // value is the content check's finding.
      std::set<std::pair<std::string, std::string>> already;
      for (const auto& f : ft.preexisting_findings) {
        already.insert({f.id, f.problem.substr(0, f.problem.find(':'))});
      }
      const IdSet dirty = QuirkIds({CorpusQuirk::kPreexistingOutOfRange});
      for (const auto& e : log.Of(fault)) {
        if (already.count({e.id, e.field})) {
          EXPECT_TRUE(dirty.count(e.id)) << e.id << " was clean in the old store";
          EXPECT_TRUE(FindingIds(check("content")).count(e.id)) << e.id;
          continue;
        }
        expected.insert({e.id, e.field});
      }
      EXPECT_EQ(got, expected);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Field Type Violation"));
      must_pass = {"count", "embedding_integrity", "metadata_completeness",
                   "semantic_divergence", "collection_distribution", "duplicates",
                   "citations"};
      break;
    }
    case FaultKind::kDuplicateContent: {
      // Each damaged record carries an unfaulted donor's document and
      // embedding: 25 pairs, 50 of 492 records involved = 10 % > 1 %. The
      // check names the later record of each pair and the earlier one in
      // the problem ("duplicate_document_of:<id>"), so compare pairs.
      const CheckResult& dup = check("duplicates");
      EXPECT_EQ(dup.status, CheckStatus::kFail);
      // A donor whose text is shared boilerplate already had copies: the
      // damaged record joins that set (named after its first member) and
      // only it is new. Other donors were unique: the pair is new.
      IdSet natural;
      for (const auto& g : NaturalDuplicateGroups(GateCorpus())) natural.insert(g.begin(), g.end());
      std::set<IdSet> expected_pairs, document_pairs, embedding_pairs;
      int64_t expected_records = 0;
      IdSet joined_sets;
      for (const auto& e : log.Of(fault)) {
        if (natural.count(e.partner_id)) {
          joined_sets.insert(e.id);
          expected_records += 1;
        } else {
          expected_pairs.insert({e.id, e.partner_id});
          expected_records += 2;
        }
      }
      IdSet joined_found;
      for (const auto& f : dup.findings) {
        if (joined_sets.count(f.id)) {
          joined_found.insert(f.id);
          continue;
        }
        if (StartsWith(f.problem, "duplicate_document_of:")) {
          document_pairs.insert({f.id, f.problem.substr(f.problem.find(':') + 1)});
        } else if (StartsWith(f.problem, "duplicate_embedding_of:")) {
          embedding_pairs.insert({f.id, f.problem.substr(f.problem.find(':') + 1)});
        } else {
          ADD_FAILURE() << "unexpected finding " << f.id << " " << f.problem;
        }
      }
      EXPECT_EQ(document_pairs, expected_pairs);
      EXPECT_EQ(embedding_pairs, expected_pairs);
      EXPECT_EQ(joined_found, joined_sets);
      EXPECT_EQ(dup.metrics.value("duplicate_document_records", -1), expected_records);
      EXPECT_EQ(dup.metrics.value("duplicate_id_count", -1), 0);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Duplicate Records Introduced"));
      EXPECT_THAT(report.rollback_reason, Not(HasSubstr("Duplicate IDs Found")));
      // The damaged record's embedding is no longer its own: drift, on the
      // damaged ids only (the donors are untouched).
      const CheckResult& ei = check("embedding_integrity");
      EXPECT_EQ(FindingIds(ei, "drift("), damaged);
      EXPECT_EQ(FindingIds(ei), damaged);
      must_pass = {"count", "metadata_completeness", "collection_distribution",
                   "field_types", "citations"};
      break;
    }
    case FaultKind::kPerturbedEmbedding:
    case FaultKind::kSwappedEmbeddings: {
      // Same id, same dimension, another vector (cosine 0.3 with the
      // original, or the partner's): drift, 5 % > fail_percent 0.1 %.
      if (fault == FaultKind::kSwappedEmbeddings) {
        for (const auto& e : log.Of(fault)) {
          EXPECT_TRUE(damaged.count(e.partner_id)) << "both sides of a swap are logged";
        }
      }
      const CheckResult& ei = check("embedding_integrity");
      EXPECT_EQ(ei.status, CheckStatus::kFail);
      EXPECT_EQ(FindingIds(ei, "drift("), damaged);
      EXPECT_EQ(FindingIds(ei), damaged);
      EXPECT_EQ(ei.metrics.value("drifted_count", -1), expected_events);
      EXPECT_LT(ei.metrics.value("min_cosine", 1.0), 0.9999);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Embedding Corruption"));
      must_pass = {"count", "metadata_completeness", "collection_distribution",
                   "duplicates", "field_types", "citations"};
      break;
    }
    case FaultKind::kMisroutedCollection: {
      // Written unchanged into another collection: missing from its own
      // group, extra in the other (count), and both collections off their
      // expected counts (collection_distribution).
      const CheckResult& count = check("count");
      EXPECT_EQ(count.status, CheckStatus::kFail);
      std::set<std::pair<std::string, std::string>> missing, extra;
      std::map<std::string, int64_t> net;  // records gained - lost
      for (const auto& e : log.Of(fault)) {
        EXPECT_NE(e.target_collection, e.collection) << e.id;
        missing.insert({e.collection, e.id});
        extra.insert({e.target_collection, e.id});
        --net[e.collection];
        ++net[e.target_collection];
      }
      std::set<std::pair<std::string, std::string>> got_missing, got_extra;
      for (const auto& f : count.findings) {
        if (f.problem == "missing_in_new") got_missing.insert({f.collection, f.id});
        if (f.problem == "extra_in_new") got_extra.insert({f.collection, f.id});
      }
      EXPECT_EQ(got_missing, missing);
      EXPECT_EQ(got_extra, extra);
      EXPECT_EQ(count.metrics.value("extra_ids", -1), expected_events);
      expect_data_loss(expected_events);
      const CheckResult& cd = check("collection_distribution");
      EXPECT_EQ(cd.status, CheckStatus::kFail);
      IdSet off_count;
      for (const auto& [name, delta] : net) {
        if (delta != 0) off_count.insert(name);
      }
      ASSERT_FALSE(off_count.empty());
      IdSet flagged;
      for (const auto& f : cd.findings) {
        EXPECT_EQ(f.id, "") << "collection findings carry no record id";
        EXPECT_THAT(f.problem, HasSubstr("!= expected")) << f.collection;
        flagged.insert(f.collection);
      }
      EXPECT_EQ(flagged, off_count);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Collection Distribution Mismatch"));
      EXPECT_THAT(report.rollback_reason, HasSubstr("Chunk Count Mismatch"));
      must_pass = {"embedding_integrity", "metadata_completeness", "duplicates",
                   "field_types", "citations"};
      break;
    }
    case FaultKind::kBrokenCitation: {
      // Three in four malformed (if:/..., https://..., if://KIND with no
      // path), one in four another well-formed URI: every one "changed",
      // the malformed ones also "malformed". 5 % > fail_percent 0.1 %.
      const CheckResult& cit = check("citations");
      EXPECT_EQ(cit.status, CheckStatus::kFail);
      IdSet malformed, well_formed;
      for (const auto& e : log.Of(fault)) {
        (e.detail.find("(malformed") != std::string::npos ? malformed : well_formed)
            .insert(e.id);
      }
      ASSERT_FALSE(malformed.empty());
      ASSERT_FALSE(well_formed.empty());
      EXPECT_EQ(FindingIds(cit, "changed"), damaged);
      EXPECT_EQ(FindingIds(cit, "malformed"), malformed);
      EXPECT_EQ(FindingIds(cit), damaged);
      EXPECT_EQ(cit.metrics.value("bad_records", -1), expected_events);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Citation Integrity Failure"));
      // The seeds suite's pattern for the field rejects exactly the
      // malformed ones (field_types); the well-formed change passes it.
      EXPECT_EQ(FindingIds(check("field_types"), "if_citation_uri:pattern"), malformed);
      EXPECT_EQ(FindingIds(check("field_types")), malformed);
      must_pass = {"count", "embedding_integrity", "metadata_completeness",
                   "semantic_divergence", "collection_distribution", "duplicates"};
      break;
    }
    default:
      FAIL() << FaultName(fault) << " is a content fault: ExpectContentFaultCaught";
  }
  const std::set<std::string> touched = Touched(log, fault);
  for (const auto& name : must_pass) ExpectQuietOutside(report, name, touched);
}

namespace {

// The content faults: the records are all there with their vectors, only
// what they say changed. content FAILs naming exactly the damaged ids.
void ExpectContentChanged(const ValidationReport& report, const IdSet& damaged,
                          const std::string& problem_prefix) {
  const CheckResult* content = FindCheck(report, "content");
  ASSERT_NE(content, nullptr);
  EXPECT_EQ(content->status, CheckStatus::kFail) << Describe(*content);
  EXPECT_EQ(FindingIds(*content, problem_prefix), damaged) << Describe(*content);
  EXPECT_EQ(FindingIds(*content), damaged) << "nothing else changed";
  EXPECT_EQ(content->metrics.value("records_changed", -1),
            static_cast<int64_t>(damaged.size()));
  EXPECT_THAT(report.rollback_reason, HasSubstr("Content Changed"));
  EXPECT_EQ(report.data_loss_percentage, 0.0);
}

}  // namespace

void ExpectContentFaultCaught(FaultKind fault, Store& source, const GateRun& run) {
  const ValidationReport& report = run.report;
  const IdSet damaged = EventIds(run.log, fault);
  PrintReportOnFailure print_on_failure(report);
  EXPECT_EQ(report.overall_status, OverallStatus::kFailed);
  EXPECT_EQ(report.exit_code, 2);
  std::vector<std::string> must_pass = {"count", "embedding_integrity",
                                        "metadata_completeness", "collection_distribution",
                                        "duplicates", "field_types", "citations",
                                        "semantic_divergence"};
  switch (fault) {
    case FaultKind::kTruncateDocument:
      ASSERT_FALSE(damaged.empty());
      ExpectContentChanged(report, damaged, "document truncated ");
      break;
    case FaultKind::kMisalignDocuments: {
      ASSERT_GE(damaged.size(), 2u);
      ExpectContentChanged(report, damaged, "document differs (now equals record ");
      // Where the partner's document is its own (not shared boilerplate),
      // the finding names the partner.
      IdSet natural;
      for (const auto& g : NaturalDuplicateGroups(GateCorpus())) natural.insert(g.begin(), g.end());
      const CheckResult* content = FindCheck(report, "content");
      for (const auto& e : run.log.Of(fault)) {
        if (natural.count(e.partner_id)) continue;
        EXPECT_TRUE(Findings(*content).count(
            {e.id, "document differs (now equals record " + e.partner_id + "'s)"}))
            << e.id << " <- " << e.partner_id;
      }
      break;
    }
    case FaultKind::kDropDocument:
      ASSERT_FALSE(damaged.empty());
      ExpectContentChanged(report, damaged, "document lost ");
      break;
    case FaultKind::kChangeMetadataValue: {
      ASSERT_FALSE(damaged.empty());
      ExpectContentChanged(report, damaged, "metadata.");
      const CheckResult* content = FindCheck(report, "content");
      for (const auto& e : run.log.Of(fault)) {
        bool named = false;
        for (const auto& f : content->findings) {
          named |= f.id == e.id && StartsWith(f.problem, "metadata." + e.field + " ");
        }
        EXPECT_TRUE(named) << e.id << " " << e.field;
      }
      break;
    }
    case FaultKind::kChangeDimension: {
      ASSERT_FALSE(run.log.changed_dimensions.empty());
      const CheckResult* content = FindCheck(report, "content");
      std::set<std::pair<std::string, std::string>> expected;
      for (const auto& [collection, dims] : run.log.changed_dimensions) {
        expected.insert({collection, "dimension " + std::to_string(dims.first) + " -> " +
                                         std::to_string(dims.second)});
      }
      std::set<std::pair<std::string, std::string>> got;
      for (const auto& f : content->findings) {
        EXPECT_EQ(f.id, "") << "a collection finding";
        got.insert({f.collection, f.problem});
      }
      EXPECT_EQ(got, expected);
      EXPECT_EQ(content->status, CheckStatus::kFail);
      EXPECT_THAT(report.rollback_reason, HasSubstr("Collection Structure Changed"));
      // Not an error: the search comparison is skipped for those groups.
      const CheckResult* sd = FindCheck(report, "semantic_divergence");
      ASSERT_TRUE(sd->metrics.contains("not_comparable")) << Describe(*sd);
      // Declared, the same migration passes.
      Suite declared = GateSuite();
      declared.content.reembedding = true;
      RunOptions options;
      options.page_size = 100;
      auto again = RunValidation(source, *run.target, declared, options);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      EXPECT_EQ(again->overall_status, OverallStatus::kPassed) << Describe(*again);
      break;
    }
    case FaultKind::kDropListElement:
    case FaultKind::kReorderList:
    case FaultKind::kListToString: {
      // Lists compare element by element: every damaged record is named
      // with both lists and what happened to them.
      ASSERT_FALSE(damaged.empty());
      ExpectContentChanged(report, damaged, "metadata.tags ");
      const std::string what = fault == FaultKind::kDropListElement ? " element dropped)"
                               : fault == FaultKind::kReorderList   ? " (reordered)"
                                                                    : "";
      const CheckResult* content = FindCheck(report, "content");
      for (const auto& e : run.log.Of(fault)) {
        EXPECT_EQ(e.field, "tags");
        std::string problem;
        for (const auto& f : content->findings) {
          if (f.id == e.id) problem = f.problem;
        }
        if (fault == FaultKind::kListToString) {
          EXPECT_TRUE(StartsWith(problem, "metadata.tags type array<string> -> string ([\""))
              << e.id << ": " << problem;
        } else {
          EXPECT_THAT(problem, HasSubstr(what)) << e.id;
          EXPECT_THAT(problem, HasSubstr("] -> [\"")) << e.id;
        }
      }
      break;
    }
    default:
      FAIL() << "not a content fault";
  }
  const std::set<std::string> touched = Touched(run.log, fault);
  for (const auto& name : must_pass) ExpectQuietOutside(report, name, touched);
}

std::vector<FaultKind> ContentFaults() {
  return {FaultKind::kTruncateDocument, FaultKind::kMisalignDocuments, FaultKind::kDropDocument,
          FaultKind::kChangeMetadataValue, FaultKind::kChangeDimension};
}

namespace {

bool IsContentFault(FaultKind f) {
  for (FaultKind c : ContentFaults()) {
    if (c == f) return true;
  }
  return false;
}

}  // namespace

std::vector<FaultKind> RecordFaults() {
  std::vector<FaultKind> out;
  for (FaultKind f : AllFaultKinds()) {
    if (!IsContentFault(f) && !IsListFault(f)) out.push_back(f);
  }
  return out;
}

}  // namespace vecgate::testutil
