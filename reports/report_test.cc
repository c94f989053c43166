// Tests of the reporters: golden files for JSON, Markdown and JUnit built from
// one fixed report (every check, findings, thresholds beside their observed
// values, a per-collection table, problems already in the old store, zero
// counters, a rollback, a unicode id, a `|` and HTML in strings); the JSON
// carries every documented field; one verdict in every format under
// --fail-on warning; the ERROR report of a run that could not complete;
// damaged strings never break a format; WriteReports is atomic under a
// failing Env.
//
// Regenerate the golden files after an intended change with
//   VECGATE_UPDATE_GOLDEN=1 ./reports_unit_test
// and review the diff of reports/testdata/.
#include "reports/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CheckResult Check(const std::string& name, const std::string& title,
                  CheckStatus status, const std::string& summary,
                  nlohmann::json metrics, double elapsed) {
  CheckResult c;
  c.name = name;
  c.title = title;
  c.status = status;
  c.summary = summary;
  c.metrics = std::move(metrics);
  c.elapsed_seconds = elapsed;
  return c;
}

// A failed migration: three records lost in one collection, two warnings,
// rolled back successfully. Fixed, so its renderings are golden.
ValidationReport GoldenReport() {
  ValidationReport r;
  r.tool_version = "0.1.0";
  r.started_at = "2026-11-21T23:57:17Z";
  r.elapsed_seconds = 32.4512;
  r.old_store = "chroma://10.0.0.5:8000/default_tenant/default_database";
  r.new_store = "chroma://localhost:8000";
  r.suite_name = "seeds";
  r.suite_path = "suites/seeds.json";

  CheckResult count = Check(
      "count", "Record counts", CheckStatus::kFail,
      "9,832 old / 9,829 new: 3 ids missing in new (0.03 % data loss), 0 extra",
      {{"old_total", 9832},
       {"new_total", 9829},
       {"missing_in_new", 3},
       {"extra_in_new", 0},
       {"data_loss_percentage", 100.0 * 3 / 9832},
       {"collections",
        {{"sergio_corpus", {{"old", 7532}, {"new", 7529}, {"missing", 3}}},
         {"sergio_humor", {{"old", 800}, {"new", 800}, {"missing", 0}}}}}},
      0.412);
  count.findings = {{"sergio_corpus", "corpus_000412", "missing_in_new"},
                    {"sergio_corpus", "文档-42 · chunk 3", "missing_in_new"},
                    {"sergio_corpus", "rhetoric|017", "missing_in_new"}};
  count.findings_total = 3;
  count.failed_collections = {"sergio_corpus"};
  count.criteria = {{"ids missing in new", "3 (0.03 %)", "FAIL above 0", CheckStatus::kFail},
                    {"data loss", "0.03 %", "FAIL above 5 %", CheckStatus::kPass}};
  count.per_collection = nlohmann::json::array(
      {{{"collection", "sergio_corpus"}, {"old", 7532}, {"new", 7529}, {"missing", 3}},
       {{"collection", "sergio_humor"}, {"old", 800}, {"new", 800}, {"missing", 0}}});
  count.rollback_reason = "Chunk Count Mismatch";
  r.checks.push_back(count);

  CheckResult embeddings = Check("embedding_integrity", "Embedding integrity",
                                 CheckStatus::kPass,
                                 "9,829 embeddings of dimension 1,536: none missing, "
                                 "NaN/Inf, zero or drifted; 2 NaN already in old",
                                 {{"checked", 9829},
                                  {"corrupt", 0},
                                  {"drifted", 0},
                                  {"min_cosine", 0.99999994},
                                  {"dimensions", {1536}}},
                                 1.837);
  embeddings.criteria = {
      {"corrupt embeddings introduced", "0", "FAIL above 0", CheckStatus::kPass},
      {"drift (min cosine old/new)", "0.9999999", "FAIL below 0.9999", CheckStatus::kPass}};
  embeddings.preexisting_findings = {{"sergio_corpus", "corpus_000007", "nan"},
                                     {"sergio_corpus", "corpus_000099", "nan"}};
  embeddings.preexisting_total = 2;
  r.checks.push_back(embeddings);

  CheckResult metadata = Check(
      "metadata_completeness", "Metadata completeness", CheckStatus::kWarn,
      "authenticity_score is 99.88 % complete (12 records lack it); the other "
      "11 "
      "fields are 100 %",
      {{"records", 9829},
       {"fields", {{"authenticity_score", 99.877912}, {"source", 100.0}}},
       {"min_completeness_percent", 99.877912}},
      0.208);
  metadata.findings = {
      {"sergio_humor", "humor_0007", "missing authenticity_score"},
      {"sergio_humor", "humor_0019", "missing authenticity_score"}};
  metadata.findings_total = 12;
  metadata.criteria = {{"completeness of authenticity_score", "99.88 %",
                        "WARN below 100 %, FAIL below 95 %", CheckStatus::kWarn}};
  r.checks.push_back(metadata);

  CheckResult semantic = Check(
      "semantic_divergence", "Semantic divergence", CheckStatus::kPass,
      "4.2 % mean top-10 divergence over 200 queries; live index recall 0.97, "
      "self-retrieval 100 %",
      {{"queries", 200},
       {"k", 10},
       {"divergence_percentage", 4.2},
       {"live_recall", 0.97},
       {"self_retrieval", 1.0}},
      6.02);
  semantic.criteria = {
      {"top-10 divergence", "4.2 %", "PASS < 5 %, FAIL > 10 %", CheckStatus::kPass},
      {"self-retrieval of new_store (live index)", "100 %", "FAIL below 99 %",
       CheckStatus::kPass}};
  r.checks.push_back(semantic);
  r.checks.push_back(Check(
      "collection_distribution", "Collection distribution", CheckStatus::kPass,
      "4 of 4 expected collections present, none unexpected",
      {{"expected", 4},
       {"present", 4},
       {"unexpected", nlohmann::json::array()}},
      0.001));
  r.checks.push_back(Check("duplicates", "Duplicates", CheckStatus::kPass,
                           "no duplicate ids, documents or embeddings",
                           {{"duplicate_ids", 0},
                            {"duplicate_documents", 0},
                            {"duplicate_embeddings", 0}},
                           0.95));

  CheckResult types = Check(
      "field_types", "Field types", CheckStatus::kWarn,
      "language: 2 values not ISO 639-1 | confidence_level: 1 value not in "
      "{high, medium, low}",
      {{"violations", 3},
       {"violation_percent", 0.0305219},
       {"bool_as_string", 0},
       {"int_as_float", 0},
       {"list_as_string", 0},
       {"null_values", 0}},
      0.311);
  types.criteria = {{"records violating a field rule", "3 (0.03 %)",
                     "WARN above 0, FAIL above 1 %", CheckStatus::kWarn}};
  types.findings = {{"sergio_rhetorical", "rhet_0101",
                     "language \"EN\" does not match ^[a-z]{2}$"},
                    {"sergio_rhetorical", "rhet_0102",
                     "language \"eng\" does not match ^[a-z]{2}$"},
                    {"sergio_personality", "pers_0003",
                     "confidence_level \"certain\" not allowed"}};
  types.findings_total = 3;
  r.checks.push_back(types);

  r.checks.push_back(
      Check("citations", "Citations", CheckStatus::kPass,
            "9,829 citations well-formed and unchanged",
            {{"checked", 9829}, {"malformed", 0}, {"changed", 0}}, 0.12));

  r.overall_status = OverallStatus::kFailed;
  r.rollback_triggered = true;
  r.rollback_reason = "Chunk Count Mismatch";
  r.data_loss_percentage = 100.0 * 3 / 9832;
  r.semantic_divergence_percentage = 4.2;
  r.old_records = 9832;
  r.new_records = 9829;
  RollbackOutcome rollback;
  rollback.snapshot_id = "snapshot_20261121_235501";
  rollback.succeeded = true;
  rollback.collections = {"sergio_corpus", "sergio_humor", "sergio_personality",
                          "sergio_rhetorical"};
  rollback.message =
      "restored 4 collections (9,832 records, sample verified); the failed "
      "migration is kept as *__failed_20261121_235717";
  rollback.elapsed_seconds = 12.3456;
  r.rollback = rollback;
  r.exit_code = kExitFailed;
  return r;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void ExpectGolden(const Reporter& reporter, const std::string& golden_name) {
  const std::string path =
      std::string(VECGATE_SOURCE_DIR) + "/reports/testdata/" + golden_name;
  const std::string rendered = reporter.Render(GoldenReport());
  const char* update = std::getenv("VECGATE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << rendered;
    ASSERT_TRUE(out.good()) << "cannot write " << path;
    return;
  }
  std::ifstream probe(path);
  ASSERT_TRUE(probe.good())
      << path << " is missing; run with VECGATE_UPDATE_GOLDEN=1";
  const std::string golden = ReadAll(path);
  if (rendered == golden) return;
  // Point at the first differing line rather than dumping both files.
  std::istringstream want(golden), got(rendered);
  std::string want_line, got_line;
  int line = 0;
  while (true) {
    ++line;
    bool more_want = static_cast<bool>(std::getline(want, want_line));
    bool more_got = static_cast<bool>(std::getline(got, got_line));
    if (!more_want && !more_got) break;
    if (!more_want) want_line = "<end of file>";
    if (!more_got) got_line = "<end of output>";
    if (want_line != got_line || !more_want || !more_got) break;
  }
  ADD_FAILURE() << "the " << reporter.format() << " rendering differs from "
                << path << " at line " << line << ":\n  golden:   " << want_line
                << "\n  rendered: " << got_line
                << "\nIf the change is intended, regenerate with "
                   "VECGATE_UPDATE_GOLDEN=1 and review the diff.";
}

TEST(GoldenTest, Json) {
  ExpectGolden(*NewJsonReporter(), "golden_report.json");
}
TEST(GoldenTest, Markdown) {
  ExpectGolden(*NewMarkdownReporter(), "golden_report.md");
}
TEST(GoldenTest, JUnit) {
  ExpectGolden(*NewJUnitReporter(), "golden_report.junit.xml");
}

TEST(ReporterTest, FileNamesAndFormats) {
  auto reporters = AllFileReporters();
  ASSERT_EQ(reporters.size(), 3u);
  EXPECT_EQ(reporters[0]->file_name(), "validation_report.json");
  EXPECT_EQ(reporters[1]->file_name(), "validation_report.md");
  EXPECT_EQ(reporters[2]->file_name(), "validation_report.junit.xml");
  EXPECT_EQ(reporters[0]->format(), "json");
  EXPECT_EQ(reporters[1]->format(), "markdown");
  EXPECT_EQ(reporters[2]->format(), "junit");
  EXPECT_STREQ(OverallStatusName(OverallStatus::kPassed), "PASSED");
  EXPECT_STREQ(OverallStatusName(OverallStatus::kWarning), "WARNING");
  EXPECT_STREQ(OverallStatusName(OverallStatus::kFailed), "FAILED");
  EXPECT_STREQ(OverallStatusName(OverallStatus::kError), "ERROR");
  EXPECT_EQ(reporters[0]->FileNameFor("bench_report"), "bench_report.json");
  EXPECT_EQ(reporters[2]->FileNameFor("bench_report"), "bench_report.junit.xml");
}

TEST(JsonReportTest, HasEverySpecSection5Field) {
  nlohmann::json j =
      nlohmann::json::parse(NewJsonReporter()->Render(GoldenReport()));
  EXPECT_EQ(j["schema_version"], 2);
  EXPECT_EQ(j["tool"]["name"], "vecgate");
  EXPECT_EQ(j["tool"]["version"], "0.1.0");
  EXPECT_EQ(j["overall_status"], "FAILED");
  EXPECT_EQ(j["rollback_triggered"], true);
  EXPECT_EQ(j["rollback_reason"], "Chunk Count Mismatch");
  EXPECT_NEAR(j["data_loss_percentage"].get<double>(), 0.0305, 1e-4);
  EXPECT_DOUBLE_EQ(j["semantic_divergence_percentage"].get<double>(), 4.2);
  EXPECT_DOUBLE_EQ(j["elapsed_seconds"].get<double>(), 32.451);
  EXPECT_EQ(j["started_at"], "2026-11-21T23:57:17Z");
  EXPECT_EQ(j["old_store"],
            "chroma://10.0.0.5:8000/default_tenant/default_database");
  EXPECT_EQ(j["new_store"], "chroma://localhost:8000");
  EXPECT_EQ(j["suite"]["name"], "seeds");
  EXPECT_EQ(j["records"]["old"], 9832);
  EXPECT_EQ(j["records"]["new"], 9829);
  EXPECT_EQ(j["summary"]["total_tests"], 8);
  EXPECT_EQ(j["summary"]["passed"], 5);
  EXPECT_EQ(j["summary"]["warnings"], 2);
  EXPECT_EQ(j["summary"]["failed"], 1);
  EXPECT_EQ(j["exit_code"], 2);
  ASSERT_EQ(j["checks"].size(), 8u);
  for (const auto& check : j["checks"]) {
    SCOPED_TRACE(check.dump());
    for (const char* key : {"name", "title", "status", "summary", "metrics",
                            "findings", "findings_total", "findings_truncated",
                            "failed_collections", "criteria", "per_collection",
                            "preexisting_findings", "preexisting_total",
                            "rollback_reason", "elapsed_seconds"}) {
      EXPECT_TRUE(check.contains(key)) << key;
    }
    EXPECT_THAT(check["status"].get<std::string>(),
                ::testing::AnyOf("PASS", "WARN", "FAIL"));
  }
  const auto& count = j["checks"][0];
  EXPECT_EQ(count["name"], "count");
  EXPECT_EQ(count["metrics"]["missing_in_new"], 3);
  EXPECT_EQ(count["findings"][1]["id"], "文档-42 · chunk 3");
  EXPECT_EQ(count["failed_collections"][0], "sergio_corpus");
  EXPECT_EQ(j["checks"][2]["findings_total"], 12);
  EXPECT_EQ(j["checks"][2]["findings_truncated"], true);
  EXPECT_EQ(count["findings_truncated"], false);
  EXPECT_EQ(j["rollback"]["snapshot_id"], "snapshot_20261121_235501");
  EXPECT_EQ(j["rollback"]["succeeded"], true);
  EXPECT_EQ(j["rollback"]["collections"].size(), 4u);
  // Thresholds beside what was observed.
  EXPECT_EQ(count["criteria"][0]["what"], "ids missing in new");
  EXPECT_EQ(count["criteria"][0]["observed"], "3 (0.03 %)");
  EXPECT_EQ(count["criteria"][0]["limit"], "FAIL above 0");
  EXPECT_EQ(count["criteria"][0]["status"], "FAIL");
  EXPECT_EQ(count["per_collection"][0]["collection"], "sergio_corpus");
  EXPECT_EQ(count["per_collection"][0]["missing"], 3);
  EXPECT_EQ(count["rollback_reason"], "Chunk Count Mismatch");
  EXPECT_EQ(j["checks"][1]["preexisting_total"], 2);
  EXPECT_EQ(j["checks"][1]["preexisting_findings"][0]["problem"], "nan");
  EXPECT_EQ(j["fail_on"], "failure");
  EXPECT_TRUE(j["notes"].empty());
  EXPECT_TRUE(j["error"].is_null());
}

TEST(JsonReportTest, NoneIsNull) {
  ValidationReport r;
  r.suite_name = "seeds";
  nlohmann::json j = nlohmann::json::parse(NewJsonReporter()->Render(r));
  EXPECT_TRUE(j["rollback_reason"].is_null());
  EXPECT_TRUE(j["rollback"].is_null());
  EXPECT_TRUE(j["suite"]["path"].is_null());
  EXPECT_EQ(j["overall_status"], "PASSED");
  EXPECT_EQ(j["summary"]["total_tests"], 0);
}

TEST(JsonReportTest, KeysKeepTheDocumentedOrder) {
  std::string text = NewJsonReporter()->Render(GoldenReport());
  size_t last = 0;
  for (const char* key :
       {"\"schema_version\"", "\"tool\"", "\"started_at\"",
        "\"elapsed_seconds\"", "\"old_store\"", "\"new_store\"", "\"suite\"",
        "\"overall_status\"", "\"fail_on\"", "\"notes\"", "\"error\"",
        "\"rollback_triggered\"", "\"rollback_reason\"",
        "\"data_loss_percentage\"", "\"semantic_divergence_percentage\"",
        "\"records\"", "\"summary\"", "\"checks\"", "\"rollback\": {",
        "\"exit_code\""}) {
    size_t at = text.find(key, last);
    ASSERT_NE(at, std::string::npos) << key << " missing or out of order";
    last = at;
  }
}

// Ids from a damaged store: invalid UTF-8, control characters, markup.
ValidationReport DamagedReport() {
  ValidationReport r = GoldenReport();
  r.checks[0].findings.push_back(
      {"sergio_corpus", std::string("bad\xff\xfe id\x01\nline2 <&> `tick`"),
       "missing_in_new"});
  r.checks[0].findings_total = 4;
  r.checks[0].summary += "\nsecond line";
  return r;
}

TEST(JsonReportTest, DamagedStringsStillGiveValidJson) {
  std::string text = NewJsonReporter()->Render(DamagedReport());
  nlohmann::json j;
  ASSERT_NO_THROW(j = nlohmann::json::parse(text));
  EXPECT_EQ(j["checks"][0]["findings"][3]["id"],
            "bad\xEF\xBF\xBD\xEF\xBF\xBD id\x01\nline2 <&> `tick`");
}

TEST(JUnitReportTest, OneTestCasePerCheckAndFailuresOnlyForFail) {
  std::string xml = NewJUnitReporter()->Render(GoldenReport());
  auto occurrences = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = xml.find(needle); at != std::string::npos;
         at = xml.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(occurrences("<testcase "), 8u);
  EXPECT_EQ(occurrences("<failure "), 1u);
  EXPECT_THAT(
      xml, HasSubstr("<testsuite name=\"vecgate\" tests=\"8\" failures=\"1\""));
  EXPECT_THAT(
      xml, HasSubstr(
               "classname=\"vecgate.validation\" name=\"count\""));
  // Warnings that do not fail the gate are visible, not failures.
  EXPECT_EQ(occurrences("<skipped message=\"WARN (not a failure"), 2u);
  EXPECT_THAT(xml, HasSubstr("skipped=\"2\""));
  // The failure message names the threshold that decided it.
  EXPECT_THAT(xml, HasSubstr("message=\"FAIL: ids missing in new: 3 (0.03 %) (FAIL above 0)"));
  EXPECT_THAT(xml, HasSubstr("threshold PASS: data loss: 0.03 % (FAIL above 5 %)"));
  EXPECT_THAT(xml, HasSubstr("already in the old store (not caused by this migration): 2"));
}

TEST(JUnitReportTest, DropsCharactersXmlCannotCarry) {
  std::string xml = NewJUnitReporter()->Render(DamagedReport());
  for (unsigned char c : xml) {
    EXPECT_FALSE(c < 0x20 && c != '\n' && c != '\t' && c != '\r')
        << "control character " << static_cast<int>(c) << " in XML";
  }
  // A summary with a line break stays on one line in the message attribute.
  EXPECT_THAT(xml, HasSubstr("0 extra second line\""));
  EXPECT_THAT(
      xml,
      HasSubstr("bad\xEF\xBF\xBD\xEF\xBF\xBD id\\x01\\nline2 &lt;&amp;&gt;"));
  EXPECT_THAT(xml, Not(HasSubstr("<&>")));
}

TEST(MarkdownReportTest, SummaryBlockOfTheSeeds) {
  std::string md = NewMarkdownReporter()->Render(GoldenReport());
  for (const char* line :
       {"Total tests: 8\n", "Passed: 5\n", "Warnings: 2\n", "Failed: 1\n",
        "Elapsed time: 32.45s\n", "Overall status: FAILED\n",
        "Rollback: performed (Chunk Count Mismatch): rolled back to snapshot "
        "snapshot_20261121_235501\n",
        "Data loss: 0.03 %\n", "Semantic divergence: 4.2 %\n"}) {
    EXPECT_THAT(md, HasSubstr(line));
  }
  EXPECT_THAT(md, HasSubstr("**Findings:** 12 records; showing 2 of 12, grouped by problem: "
                            "the suite's `max_findings` caps the list"));
  EXPECT_THAT(md, HasSubstr("Exit code: 2 (failed)\n"));
  // The block does not repeat the header above it.
  EXPECT_EQ(md.find("- **Exit code:**"), std::string::npos);
  EXPECT_THAT(md, HasSubstr("| **FAILED** \xE2\x97\x80 this run | YES |"));
}

// Splits a Markdown table row on unescaped pipes.
size_t CellCount(const std::string& row) {
  size_t pipes = 0;
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
    } else if (row[i] == '|') {
      ++pipes;
    }
  }
  return pipes - 1;
}

TEST(MarkdownReportTest, TableRowsKeepTheirColumnsWhateverTheContent) {
  std::string md = NewMarkdownReporter()->Render(DamagedReport());
  std::istringstream lines(md);
  std::string line;
  size_t expected_cells = 0;  // of the table being read; 0 outside tables
  size_t rows = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') {
      expected_cells = 0;
      continue;
    }
    if (expected_cells == 0) {
      expected_cells = CellCount(line);
      continue;
    }
    EXPECT_EQ(CellCount(line), expected_cells) << line;
    ++rows;
  }
  EXPECT_GT(rows, 25u);
  // The unicode id is kept; the damaged one is visible, not raw.
  EXPECT_THAT(md, HasSubstr("`文档-42 · chunk 3`"));
  EXPECT_THAT(md, HasSubstr("`rhetoric\\|017`"));
  EXPECT_THAT(
      md, HasSubstr("bad\xEF\xBF\xBD\xEF\xBF\xBD id\\x01\\nline2 <&> `tick`"));
}

TEST(MarkdownReportTest, RollbackCalledForButNotRequestedSaysWhatToDo) {
  ValidationReport r = GoldenReport();
  r.rollback.reset();
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("## Rollback"));
  EXPECT_THAT(md, HasSubstr("Rollback recommended (Chunk Count Mismatch), not performed"));
  EXPECT_THAT(md, HasSubstr("Rollback: recommended (Chunk Count Mismatch); not performed (no "
                            "--on-fail rollback)\n"));
  EXPECT_THAT(md, Not(HasSubstr("Rollback triggered")));
  EXPECT_THAT(md, HasSubstr("vecgate rollback SNAPSHOT_ID"));
}

TEST(MarkdownReportTest, FailedRollbackAsksForManualIntervention) {
  ValidationReport r = GoldenReport();
  r.rollback->succeeded = false;
  r.rollback->message = "snapshot checksum mismatch; nothing restored";
  r.exit_code = kExitRollbackFailed;
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("The rollback failed: manual intervention needed"));
  EXPECT_THAT(md, HasSubstr("Exit code: 4 (failed and the rollback failed"));
  EXPECT_THAT(md, HasSubstr("snapshot checksum mismatch"));
}

TEST(MarkdownReportTest, PassedRunHasNoRollbackSection) {
  ValidationReport r;
  r.suite_name = "seeds";
  r.checks.push_back(Check("count", "Record counts", CheckStatus::kPass,
                           "9,832 old / 9,832 new", {{"missing_in_new", 0}},
                           0.5));
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md,
              HasSubstr("# Migration validation report: \xE2\x9C\x85 PASSED"));
  EXPECT_THAT(md, HasSubstr("safe to cut over"));
  EXPECT_THAT(md, Not(HasSubstr("## Rollback")));
  EXPECT_THAT(md, HasSubstr("No offending records."));
  EXPECT_THAT(md, HasSubstr("| **PASSED** \xE2\x97\x80 this run | NO |"));
}

TEST(TerminalSummaryTest, OneLinePerCheckAndWhereTheReportsAre) {
  std::string text =
      RenderTerminalSummary(GoldenReport(), "out/reports", false);
  EXPECT_THAT(text,
              HasSubstr("vecgate: FAILED - do not cut over (exit 2: failed)"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "  FAIL  count                    0.41s    9,832 old / 9,829 new"));
  EXPECT_THAT(text, HasSubstr("  WARN  field_types  "));
  EXPECT_THAT(text,
              HasSubstr("Data loss: 0.03 %    Semantic divergence: 4.2 %"));
  EXPECT_THAT(text,
              HasSubstr("Rollback: performed (Chunk Count Mismatch): rolled back "));
  EXPECT_THAT(
      text,
      HasSubstr(
          "Rollback: performed (Chunk Count Mismatch): rolled back 4 collection(s) to "
                "snapshot_20261121_235501"));
  EXPECT_THAT(text, HasSubstr("Reports: out/reports/validation_report.json\n"));
  EXPECT_THAT(text, HasSubstr("out/reports/validation_report.junit.xml\n"));
  EXPECT_EQ(text.find('\033'), std::string::npos)
      << "colour without color=true";
  std::istringstream lines(text);
  std::string line;
  size_t check_lines = 0;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, std::regex("^  (PASS|WARN|FAIL)  ")))
      ++check_lines;
  }
  EXPECT_EQ(check_lines, 8u);
}

TEST(TerminalSummaryTest, ColourOnlyWhenAsked) {
  std::string text = RenderTerminalSummary(GoldenReport(), "", true);
  EXPECT_THAT(text, HasSubstr("\033[31mFAIL\033[0m"));
  EXPECT_THAT(text, HasSubstr("\033[32mPASS\033[0m"));
  EXPECT_THAT(text, Not(HasSubstr("Reports:")));
}

// ---------------------------------------------------------------------------
// What the operator reads first, thresholds, grouping and escaping.

TEST(MarkdownReportTest, FirstScreenSaysWhatChangedWhereAndHowMany) {
  std::string md = NewMarkdownReporter()->Render(GoldenReport());
  const size_t what = md.find("## What changed");
  ASSERT_NE(what, std::string::npos);
  EXPECT_LT(what, md.find("## Stores"));
  EXPECT_LT(what, 400u) << "the first screen";
  EXPECT_THAT(md, HasSubstr("Old store: 9,832 records; new store: 9,829 records (-3)."));
  EXPECT_THAT(md, HasSubstr("- \xE2\x9D\x8C FAIL **Record counts**: 3 records in "
                            "`sergio_corpus` \xE2\x80\x94 ids missing in new: 3 (0.03 %) "
                            "(FAIL above 0)"));
  EXPECT_THAT(md, HasSubstr("**Metadata completeness**: 12 records in `sergio_humor`"));
}

TEST(MarkdownReportTest, ThresholdsStandBesideTheObservedValues) {
  std::string md = NewMarkdownReporter()->Render(GoldenReport());
  EXPECT_THAT(md, HasSubstr("| Threshold | Observed | Limit | Result |"));
  EXPECT_THAT(md, HasSubstr("| ids missing in new | 3 (0.03 %) | FAIL above 0 | "
                            "\xE2\x9D\x8C FAIL |"));
  // In the table of checks, the rule that decided each one.
  EXPECT_THAT(md, HasSubstr("| \xE2\x9A\xA0\xEF\xB8\x8F WARN | completeness of "
                            "authenticity_score: 99.88 % (WARN below 100 %, FAIL below 95 %) |"));
  // Limits are escaped like any text: "<" is not markup.
  EXPECT_THAT(md, HasSubstr("PASS &lt; 5 %, FAIL &gt; 10 %"));
}

TEST(MarkdownReportTest, PerCollectionIsATableWithOneRowPerCollection) {
  std::string md = NewMarkdownReporter()->Render(GoldenReport());
  // The collection first, then its counters (in the order JSON keeps them).
  EXPECT_THAT(md, HasSubstr("| collection | missing | new | old |\n| --- | ---: | ---: | ---: |\n"
                            "| `sergio_corpus` | 3 | 7,529 | 7,532 |\n"
                            "| `sergio_humor` | 0 | 800 | 800 |\n"));
  EXPECT_THAT(md, Not(HasSubstr("{\"collection\"")));
}

TEST(MarkdownReportTest, ZeroCountersCollapseIntoOneLine) {
  std::string md = NewMarkdownReporter()->Render(GoldenReport());
  EXPECT_THAT(md, HasSubstr("Zero: bool_as_string, int_as_float, list_as_string, null_values."));
  EXPECT_THAT(md, Not(HasSubstr("| bool_as_string | 0 |")));
  CheckResult many = Check("field_types", "Field types", CheckStatus::kPass, "ok", {}, 0);
  for (int i = 0; i < 48; ++i) many.metrics["counter_" + std::to_string(100 + i)] = 0;
  ValidationReport r;
  r.checks.push_back(many);
  md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("counter_111, \xE2\x80\xA6 (showing 12 of 48; all in "
                            "`validation_report.json`)."));
  EXPECT_THAT(md, Not(HasSubstr("| counter_")));
}

TEST(MarkdownReportTest, FindingsGroupByProblemWithCountsBeforeIds) {
  ValidationReport r = GoldenReport();
  CheckResult& e = r.checks[1];
  e.status = CheckStatus::kFail;
  e.findings.clear();
  for (int i = 0; i < 14; ++i) e.findings.push_back({"c", "id" + std::to_string(i), "nan"});
  e.findings.push_back({"c", "z1", "zero vector"});
  e.findings_total = 491 + 1;
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("**Findings:** 492 records; showing 15 of 492"));
  EXPECT_THAT(md, HasSubstr("- **nan**: 14 records: `id0`, `id1`, `id2`"));
  EXPECT_THAT(md, HasSubstr("`id9`, \xE2\x80\xA6 (showing 10 of 14; all in "
                            "`validation_report.json`) in `c`\n- **zero vector**: 1 record: `z1`"));
}

TEST(MarkdownReportTest, AlreadyInTheOldStoreHasItsOwnSection) {
  std::string md = NewMarkdownReporter()->Render(GoldenReport());
  EXPECT_THAT(md, HasSubstr("## Already in the old store (not caused by this migration)"));
  EXPECT_THAT(md, HasSubstr("### Embedding integrity (`embedding_integrity`): 2 records\n\n"
                            "- **nan**: 2 records: `corpus_000007`, `corpus_000099` in "
                            "`sergio_corpus`"));
  std::string text = RenderTerminalSummary(GoldenReport(), "", false);
  EXPECT_THAT(text, HasSubstr("Already in the old store (not caused by this migration): "
                              "embedding_integrity 2 records"));
}

TEST(MarkdownReportTest, HtmlAndPipesFromAStoreAreShownNotInterpreted) {
  ValidationReport r = GoldenReport();
  r.checks[2].summary = "field <script>alert(1)</script> & co | more";
  r.checks[2].findings.push_back({"<b>coll</b>", "x", "value <img src=x> not allowed"});
  r.rollback_reason = "Chunk <i>Count</i>";
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, Not(HasSubstr("<script>")));
  EXPECT_THAT(md, Not(HasSubstr("<img")));
  EXPECT_THAT(md, HasSubstr("Rollback reason: Chunk &lt;i&gt;Count&lt;/i&gt;."));
  EXPECT_THAT(md, HasSubstr("field &lt;script&gt;alert(1)&lt;/script&gt; &amp; co \\| more"));
  EXPECT_THAT(md, HasSubstr("value &lt;img src=x&gt; not allowed"));
}

TEST(TerminalSummaryTest, ThresholdsBesideEachCheckAndNoEscapesFromStores) {
  ValidationReport r = GoldenReport();
  r.checks[0].summary += " \033[2J\x9b";
  std::string text = RenderTerminalSummary(r, "", false);
  EXPECT_THAT(text, HasSubstr("0.41s    9,832 old / 9,829 new"));
  EXPECT_THAT(text, HasSubstr("\n" + std::string(42, ' ') +
                              "ids missing in new: 3 (0.03 %) (FAIL above 0)\n"));
  EXPECT_THAT(text, HasSubstr("completeness of authenticity_score: 99.88 % "
                              "(WARN below 100 %, FAIL below 95 %)"));
  EXPECT_EQ(text.find('\033'), std::string::npos) << "a terminal escape from a store";
  EXPECT_THAT(text, HasSubstr("\\x1B[2J"));
}

// ---------------------------------------------------------------------------
// One verdict everywhere.

// What DecideVerdict makes of two WARN checks under --fail-on warning.
ValidationReport WarningsFailTheGate() {
  ValidationReport r = GoldenReport();
  r.checks[0].status = CheckStatus::kPass;
  r.checks[0].findings.clear();
  r.checks[0].findings_total = 0;
  r.rollback.reset();
  r.fail_on_warning = true;
  r.overall_status = OverallStatus::kFailed;
  r.rollback_triggered = true;
  r.rollback_reason = "Warnings Fail This Gate (--fail-on warning)";
  r.notes = {"warnings fail this gate (--fail-on warning): no check failed, but the "
             "warnings below make the verdict FAILED"};
  r.exit_code = kExitFailed;
  return r;
}

TEST(OneVerdictTest, FailOnWarningIsFailedInEveryFormat) {
  ValidationReport r = WarningsFailTheGate();
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("# Migration validation report: \xE2\x9D\x8C FAILED\n"));
  EXPECT_THAT(md, HasSubstr("> **Note:** warnings fail this gate (--fail-on warning)"));
  EXPECT_THAT(md, HasSubstr("Fail on: warning\n"));
  EXPECT_THAT(md, Not(HasSubstr("review the warnings below before cutting over")));

  nlohmann::json j = nlohmann::json::parse(NewJsonReporter()->Render(r));
  EXPECT_EQ(j["overall_status"], "FAILED");
  EXPECT_EQ(j["exit_code"], 2);
  EXPECT_EQ(j["fail_on"], "warning");
  EXPECT_THAT(j["notes"][0].get<std::string>(), HasSubstr("warnings fail this gate"));

  std::string xml = NewJUnitReporter()->Render(r);
  EXPECT_THAT(xml, HasSubstr("tests=\"8\" failures=\"2\""));
  EXPECT_THAT(xml, HasSubstr("skipped=\"0\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"WARN (fails this gate: --fail-on warning): "));
  EXPECT_THAT(xml, HasSubstr("type=\"WARN\""));
  EXPECT_THAT(xml, HasSubstr("<property name=\"overall_status\" value=\"FAILED\"/>"));

  std::string text = RenderTerminalSummary(r, "", false);
  EXPECT_THAT(text, HasSubstr("vecgate: FAILED - do not cut over (exit 2: failed)\n"
                              "  note: warnings fail this gate"));
}

// ---------------------------------------------------------------------------
// The ERROR report of a run that could not complete.

ValidationReport ErrorReport() {
  ValidationReport r = MakeErrorReport(
      "--new: cannot reach chroma://10.0.0.6:8000 (connection refused)",
      "check that the server runs and the URI's host and port");
  r.tool_version = "0.1.0";
  r.started_at = "2026-11-21T23:57:17Z";
  r.old_store = "snapshot:snapshot_20261121_235501";
  r.new_store = "chroma://10.0.0.6:8000";
  r.suite_name = "seeds";
  return r;
}

TEST(ErrorReportTest, EveryFormatSaysWhatCouldNotBeReadAndDecidesNothing) {
  ValidationReport r = ErrorReport();
  EXPECT_EQ(r.exit_code, 3);
  std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("# Migration validation report: \xE2\x9B\x94 ERROR\n"));
  EXPECT_THAT(md, HasSubstr("nothing was decided"));
  EXPECT_THAT(md, HasSubstr("## What could not be read\n\n```text\n--new: cannot reach "
                            "chroma://10.0.0.6:8000 (connection refused)\n```"));
  EXPECT_THAT(md, HasSubstr("What to do: check that the server runs"));
  EXPECT_THAT(md, HasSubstr("Overall status: ERROR\n"));
  EXPECT_THAT(md, HasSubstr("Exit code: 3 (could not complete)\n"));
  EXPECT_THAT(md, HasSubstr("| **ERROR** \xE2\x97\x80 this run | NO |"));
  EXPECT_THAT(md, Not(HasSubstr("## What changed")));

  nlohmann::json j = nlohmann::json::parse(NewJsonReporter()->Render(r));
  EXPECT_EQ(j["overall_status"], "ERROR");
  EXPECT_EQ(j["exit_code"], 3);
  EXPECT_THAT(j["error"]["message"].get<std::string>(), HasSubstr("connection refused"));
  EXPECT_EQ(j["error"]["hint"], "check that the server runs and the URI's host and port");
  EXPECT_TRUE(j["checks"].empty());
  EXPECT_EQ(j["rollback_triggered"], false);

  std::string xml = NewJUnitReporter()->Render(r);
  EXPECT_THAT(xml, HasSubstr("tests=\"1\" failures=\"0\" errors=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"vecgate.validation\" "
                             "name=\"run\""));
  EXPECT_THAT(xml, HasSubstr("<error message=\"ERROR: could not complete: --new: cannot "
                             "reach chroma://10.0.0.6:8000 (connection refused)\" "
                             "type=\"ERROR\">"));

  std::string text = RenderTerminalSummary(r, "out", false);
  EXPECT_THAT(text, HasSubstr("vecgate: ERROR - the run could not complete: nothing was "
                              "decided (exit 3: could not complete)"));
  EXPECT_THAT(text, Not(HasSubstr("Rollback")));
}

TEST(GoldenTest, ErrorReportMarkdown) {
  // A golden file for the ERROR report too.
  const std::string path =
      std::string(VECGATE_SOURCE_DIR) + "/reports/testdata/golden_error_report.md";
  const std::string rendered = NewMarkdownReporter()->Render(ErrorReport());
  const char* update = std::getenv("VECGATE_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << rendered;
    return;
  }
  EXPECT_EQ(rendered, ReadAll(path)) << "regenerate with VECGATE_UPDATE_GOLDEN=1";
}

std::string TempDir(const std::string& name) {
  return ::testing::TempDir() + "vecgate_reports_" + name + "_" +
         std::to_string(::getpid());
}

TEST(WriteReportsTest, WritesEveryFormatIntoANewDirectory) {
  const std::string dir = TempDir("write") + "/nested/reports";
  Result<std::vector<std::string>> paths =
      WriteReports(Env::Default(), dir, GoldenReport());
  ASSERT_TRUE(paths.ok()) << paths.status().ToString();
  ASSERT_EQ(paths->size(), 3u);
  auto reporters = AllFileReporters();
  for (size_t i = 0; i < reporters.size(); ++i) {
    EXPECT_EQ((*paths)[i], dir + "/" + reporters[i]->file_name());
    EXPECT_EQ(ReadAll((*paths)[i]), reporters[i]->Render(GoldenReport()));
    EXPECT_FALSE(Env::Default()->FileExists((*paths)[i] + ".tmp"));
  }
}

// Fails creating or renaming files whose name contains `target`.
class FailingEnv : public EnvWrapper {
 public:
  FailingEnv(std::string target, bool fail_rename)
      : EnvWrapper(Env::Default()),
        target_(std::move(target)),
        fail_rename_(fail_rename) {}

  Result<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    if (!fail_rename_ && path.find(target_) != std::string::npos) {
      return IoError("open " + path + ": No space left on device");
    }
    return EnvWrapper::NewWritableFile(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (fail_rename_ && to.find(target_) != std::string::npos) {
      return IoError("rename " + from + ": Input/output error");
    }
    return EnvWrapper::RenameFile(from, to);
  }

 private:
  std::string target_;
  bool fail_rename_;
};

class WriteReportsFailureTest : public ::testing::TestWithParam<bool> {};

TEST_P(WriteReportsFailureTest, LeavesNoPartialFileAndNamesIt) {
  const bool fail_rename = GetParam();
  const std::string dir = TempDir(fail_rename ? "rename" : "open");
  ASSERT_TRUE(Env::Default()->CreateDirs(dir).ok());
  const std::string md = dir + "/validation_report.md";
  // A report from an earlier run must survive intact.
  ASSERT_TRUE(
      WriteFileAtomically(Env::Default(), md, "previous report\n").ok());

  FailingEnv env("validation_report.md", fail_rename);
  Result<std::vector<std::string>> paths =
      WriteReports(&env, dir, GoldenReport());
  ASSERT_FALSE(paths.ok());
  EXPECT_EQ(paths.status().code(), StatusCode::kIoError);
  EXPECT_THAT(paths.status().message(), HasSubstr(md));
  EXPECT_EQ(ReadAll(md), "previous report\n");
  EXPECT_FALSE(Env::Default()->FileExists(md + ".tmp"));
  Result<std::vector<std::string>> entries = Env::Default()->ListDir(dir);
  ASSERT_TRUE(entries.ok());
  for (const auto& name : *entries) {
    EXPECT_THAT(name, Not(HasSubstr(".tmp"))) << "left behind in " << dir;
  }
  // The JUnit file after the failing one was not attempted.
  EXPECT_FALSE(
      Env::Default()->FileExists(dir + "/validation_report.junit.xml"));
}

INSTANTIATE_TEST_SUITE_P(OpenAndRename, WriteReportsFailureTest,
                         ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "RenameFails" : "OpenFails";
                         });

TEST(WriteReportsTest, UncreatableDirectoryIsAnIoErrorNamingIt) {
  const std::string file = TempDir("notadir");
  ASSERT_TRUE(WriteFileAtomically(Env::Default(), file, "x").ok());
  Result<std::vector<std::string>> paths =
      WriteReports(Env::Default(), file + "/reports", GoldenReport());
  ASSERT_FALSE(paths.ok());
  EXPECT_EQ(paths.status().code(), StatusCode::kIoError);
  EXPECT_THAT(paths.status().message(), HasSubstr(file + "/reports"));
}

}  // namespace
}  // namespace vecgate

namespace vecgate {
namespace {

// What a person reads in the Markdown: no raw JSON in a table cell, one
// criterion a row, counts that say what they count, and every list cut
// short saying how much is shown and where the rest is.
TEST(MarkdownReportTest, TablesAreReadableWithoutRawJsonAndWithHonestCounts) {
  CheckResult c = Check("collection_distribution", "Collection distribution", CheckStatus::kFail,
                        "2 expected collections missing", nlohmann::json::object(), 0.1);
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 40; ++i) {
    big.push_back({{"collection", "c" + std::to_string(i)}, {"score", 80.80000000000001},
                   {"nested", {{"a", 1}, {"b", {1, 2, 3}}}}});
  }
  c.metrics["groups"] = big;
  c.metrics["deep"] = {{"a", {{"b", {{"c", {{"d", {{"e", 1.5}}}}}}}}}};
  c.metrics["ratio"] = 80.80000000000001;
  c.metrics["names"] = nlohmann::json::array();
  for (int i = 0; i < 20; ++i) c.metrics["names"].push_back("n" + std::to_string(i));
  for (int i = 0; i < 3; ++i) {
    c.criteria.push_back({"rule " + std::to_string(i), "1", "FAIL above 0", CheckStatus::kFail});
  }
  c.findings = {{"sergio_humor", "", "missing collection"},
                {"sergio_rhetorical", "", "missing collection"}};
  c.findings_total = 2;
  ValidationReport r;
  r.overall_status = OverallStatus::kFailed;
  r.rollback_triggered = true;
  r.checks.push_back(c);
  const std::string md = NewMarkdownReporter()->Render(r);

  std::istringstream lines(md);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("|", 0) != 0) continue;
    EXPECT_EQ(line.find("{\""), std::string::npos) << "raw JSON in a cell: " << line;
    EXPECT_EQ(line.find("[{"), std::string::npos) << "raw JSON in a cell: " << line;
    EXPECT_EQ(line.find("<br>"), std::string::npos) << "criteria joined in one cell: " << line;
    EXPECT_LT(line.size(), 400u) << line;
  }
  EXPECT_THAT(md, Not(HasSubstr("80.80000000000001")));
  EXPECT_THAT(md, HasSubstr("| ratio | 80.8 |"));
  EXPECT_THAT(md, HasSubstr("| groups | 40 entries (in `validation_report.json`) |"));
  EXPECT_THAT(md, HasSubstr("| deep.a.b.c.d |"));
  EXPECT_THAT(md, HasSubstr("n7, \xE2\x80\xA6 (showing 8 of 20; all in `validation_report.json`)"));
  // One criterion a row: the check's row, then one row for each other.
  EXPECT_THAT(md, HasSubstr("| \xE2\x9D\x8C FAIL | rule 0: 1 (FAIL above 0) | 2 |"));
  EXPECT_THAT(md, HasSubstr("\n| | | | rule 1: 1 (FAIL above 0) | | |\n"));
  EXPECT_THAT(md, HasSubstr("\n| | | | rule 2: 1 (FAIL above 0) | | |\n"));
  // Findings without an id are collections, not records.
  EXPECT_THAT(md, HasSubstr("**Collection distribution**: 2 collections in"));
  EXPECT_THAT(md, HasSubstr("**Findings:** 2 collections."));
  EXPECT_THAT(md, Not(HasSubstr("2 records")));
  // A rollback recommended but not asked for is not "triggered: YES".
  EXPECT_THAT(md, HasSubstr("Rollback: recommended; not performed (no --on-fail rollback)\n"));
  EXPECT_THAT(md, Not(HasSubstr("Rollback triggered")));
  EXPECT_THAT(md, HasSubstr("| Status | Rollback recommended | Action | Exit code |"));
}

TEST(MarkdownReportTest, LongIdListsSayHowManyAreShown) {
  CheckResult c = Check("count", "Record counts", CheckStatus::kFail, "missing", {}, 0.1);
  for (int i = 0; i < 30; ++i) c.findings.push_back({"corpus", "id" + std::to_string(i), "missing_in_new"});
  c.findings_total = 30;
  ValidationReport r;
  r.checks.push_back(c);
  const std::string md = NewMarkdownReporter()->Render(r);
  EXPECT_THAT(md, HasSubstr("- **missing_in_new**: 30 records: `id0`"));
  EXPECT_THAT(md, HasSubstr("`id9`, \xE2\x80\xA6 (showing 10 of 30; all in "
                            "`validation_report.json`)"));
}

// JSON scripts keep rollback_triggered and get rollback_performed beside
// it; JUnit class names carry no store URI (CI viewers split on dots).
TEST(JsonReportTest, RollbackPerformedIsApartFromTriggered) {
  ValidationReport recommended;
  recommended.overall_status = OverallStatus::kFailed;
  recommended.rollback_triggered = true;
  recommended.new_store = "chroma://db.example.com:8000/t/d";
  recommended.checks.push_back(Check("count", "Record counts", CheckStatus::kFail, "x", {}, 0));
  auto j = nlohmann::json::parse(NewJsonReporter()->Render(recommended));
  EXPECT_EQ(j["rollback_triggered"], true);
  EXPECT_EQ(j["rollback_performed"], false);
  ValidationReport done = recommended;
  done.rollback = RollbackOutcome{"snap", false, true, {"a"}, "ok", 1.0};
  j = nlohmann::json::parse(NewJsonReporter()->Render(done));
  EXPECT_EQ(j["rollback_performed"], true);
  ValidationReport dry = recommended;
  dry.rollback = RollbackOutcome{"snap", true, true, {"a"}, "dry", 1.0};
  j = nlohmann::json::parse(NewJsonReporter()->Render(dry));
  EXPECT_EQ(j["rollback_performed"], false);

  const std::string xml = NewJUnitReporter()->Render(recommended);
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"vecgate.validation\" name=\"count\""));
  EXPECT_THAT(xml, Not(HasSubstr("classname=\"vecgate.chroma")));
  EXPECT_THAT(xml, HasSubstr("<property name=\"rollback_performed\" value=\"false\"/>"));
}

}  // namespace
}  // namespace vecgate
