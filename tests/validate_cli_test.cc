// `vecgate validate` as a user or a CI job runs it, against the real Chroma
// server: bad input exits 3 with a message naming what is wrong and where,
// nothing is decided on data that was not fully read (a store dying
// mid-stream) but every exit 3 leaves an ERROR report in all three formats
// (and --json prints it), odd but legal data (empty collections, unicode
// ids, huge metadata, HTML in ids) validates and yields well-formed reports,
// the global options work after the subcommand, and one verdict -- the
// Markdown title, the JSON, JUnit and the exit code -- follows --fail-on.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <algorithm>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures/faults.h"
#include "fixtures/generator.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testutil::ChromaTestServer;
using testutil::RunCommand;
using testutil::TempDir;

std::string Vecgate() { return VECGATE_CLI; }

// A port nothing listens on: opening a store there fails, so a test that
// names it proves the store was never reached.
const char kUnreachable[] = "chroma://127.0.0.1:1/default_tenant/never";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Runs `vecgate validate ARGS`; stdout and stderr apart.
struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
  std::string all() const { return out + err; }
};

CliRun Validate(const std::string& args, const std::string& global = "") {
  TempDir dir;
  const std::string out_file = dir.path() + "/stdout", err_file = dir.path() + "/stderr";
  std::string ignored;
  CliRun run;
  run.exit_code = RunCommand("{ " + Vecgate() + " " + global + " validate " + args + " >" +
                                 out_file + " 2>" + err_file + "; }",
                             &ignored);
  run.out = ReadFile(out_file);
  run.err = ReadFile(err_file);
  return run;
}

// A small corpus in `old` and a clean copy in `new`, shared (read-only) by
// the tests that only need a valid pair of stores: 20 + 10 + 16 + 151
// records, dimension 16. Tests that change a store make databases of their
// own.
CorpusOptions SmallCorpus() {
  CorpusOptions options;
  options.scale = 0.02;
  options.dimension = 16;
  return options;
}

struct StorePair {
  std::string old_uri;
  std::string new_uri;
};

const StorePair& CleanPair() {
  static const StorePair* pair = [] {
    auto* p = new StorePair;
    p->old_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_old");
    p->new_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_new");
    auto old_store = OpenStore(p->old_uri, OpenOptions());
    auto new_store = OpenStore(p->new_uri, OpenOptions());
    EXPECT_TRUE(old_store.ok() && new_store.ok());
    Status s = LoadCorpus(SmallCorpus(), **old_store);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto log = MigrateWithFaults(**old_store, **new_store, FaultSpec(), 1);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return p;
  }();
  return *pair;
}

std::string Stores(const StorePair& p) {
  return "--old " + p.old_uri + " --new " + p.new_uri;
}

// A run that could not complete leaves an ERROR report in all three formats
// (a CI job always has something to upload and parse) and no verdict.
void ExpectErrorReports(const std::string& report_dir, const std::string& what = "") {
  const std::string json_path = report_dir + "/validation_report.json";
  ASSERT_TRUE(Exists(json_path)) << "no ERROR report after exit 3 in " << report_dir;
  nlohmann::json report = nlohmann::json::parse(ReadFile(json_path), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "validation_report.json is not JSON";
  EXPECT_EQ(report.value("overall_status", ""), "ERROR");
  EXPECT_EQ(report.value("exit_code", 0), 3);
  EXPECT_TRUE(report["checks"].empty()) << "checks in a run that decided nothing";
  ASSERT_TRUE(report["error"].is_object());
  if (!what.empty()) {
    EXPECT_THAT(report["error"].value("message", ""), HasSubstr(what));
  }
  const std::string md = ReadFile(report_dir + "/validation_report.md");
  EXPECT_THAT(md, HasSubstr("# Migration validation report: \xE2\x9B\x94 ERROR"));
  EXPECT_THAT(md, HasSubstr("## What could not be read"));
  if (!what.empty()) {
    EXPECT_THAT(md, HasSubstr(what));
  }
  const std::string junit_path = report_dir + "/validation_report.junit.xml";
  std::string xml_out;
  EXPECT_EQ(RunCommand("xmllint --noout " + junit_path, &xml_out), 0) << xml_out;
  EXPECT_EQ(RunCommand("xmllint --xpath 'string(//testsuite/@errors)' " + junit_path,
                       &xml_out),
            0);
  EXPECT_EQ(xml_out.substr(0, 1), "1") << "the JUnit report has the run as an error";
}

void ExpectNoVerdict(const CliRun& run) {
  for (const char* verdict : {"PASSED", "WARNING", "FAILED"}) {
    EXPECT_THAT(run.out, Not(HasSubstr(verdict))) << "a verdict on stdout after exit 3";
  }
}

// ---------------------------------------------------------------------------
// Suites are checked first: before any store is opened.

TEST(ValidateCliTest, SuiteThatIsNotJsonExitsThreeBeforeAnyStoreIsTouched) {
  TempDir dir;
  const std::string suite = dir.path() + "/broken_suite.json";
  WriteFile(suite, "{\n  \"name\": \"x\",\n  \"max_findings\": 10,,\n}\n");
  CliRun run = Validate(std::string("--old ") + kUnreachable + " --new " + kUnreachable +
                     " --suite " + suite + " --report-dir " + dir.path() + "/reports");
  EXPECT_EQ(run.exit_code, 3) << run.all();
  EXPECT_THAT(run.err, HasSubstr(suite));
  EXPECT_THAT(run.err, HasSubstr(":3:")) << "the line of the syntax error";
  EXPECT_THAT(run.err, HasSubstr("not valid JSON"));
  // Nothing about the (unreachable) stores: the suite was rejected first.
  EXPECT_THAT(run.all(), Not(HasSubstr("127.0.0.1:1")));
  ExpectNoVerdict(run);
  ExpectErrorReports(dir.path() + "/reports");
}

TEST(ValidateCliTest, SuiteWithAnUnknownKeyNamesTheJsonPath) {
  TempDir dir;
  const std::string suite = dir.path() + "/typo_suite.json";
  WriteFile(suite, R"({"thresholds": {"count": {"tolerence": 3}}})");
  CliRun run = Validate(std::string("--old ") + kUnreachable + " --new " + kUnreachable +
                     " --suite " + suite + " --report-dir " + dir.path() + "/reports");
  EXPECT_EQ(run.exit_code, 3) << run.all();
  EXPECT_THAT(run.err, HasSubstr(suite));
  EXPECT_THAT(run.err, HasSubstr("$.thresholds.count.tolerence"));
  EXPECT_THAT(run.err, HasSubstr("did you mean \"tolerance\""));
  EXPECT_THAT(run.all(), Not(HasSubstr("127.0.0.1:1")));
  ExpectNoVerdict(run);
  ExpectErrorReports(dir.path() + "/reports");
}

// ---------------------------------------------------------------------------
// Queries files: the file and the line of the bad query.

std::string QueryLine(int dimension, const std::string& first = "0.5") {
  std::string line = "[" + first;
  for (int i = 1; i < dimension; ++i) line += ", 0.25";
  return line + "]\n";
}

void ExpectBadQueriesFile(const std::string& second_line, const std::string& what) {
  TempDir dir;
  const std::string queries = dir.path() + "/queries.jsonl";
  WriteFile(queries, QueryLine(16) + second_line + QueryLine(16));
  const std::string suite = dir.path() + "/suite.json";
  WriteFile(suite, R"({"queries": {"file": ")" + queries + R"("}})");
  CliRun run = Validate(Stores(CleanPair()) + " --suite " + suite + " --report-dir " +
                     dir.path() + "/reports");
  EXPECT_EQ(run.exit_code, 3) << run.all();
  EXPECT_THAT(run.err, HasSubstr(queries));
  EXPECT_THAT(run.err, HasSubstr(what));
  ExpectNoVerdict(run);
  ExpectErrorReports(dir.path() + "/reports");
}

TEST(ValidateCliTest, QueriesFileWithTheWrongDimensionNamesFileAndLine) {
  // Line 2 has 4 components; the collections have 16.
  ExpectBadQueriesFile(QueryLine(4), "queries.jsonl:2");
}

TEST(ValidateCliTest, QueriesFileWithNanNamesFileAndLine) {
  // What Python's json.dumps writes for float('nan'): not JSON.
  ExpectBadQueriesFile(QueryLine(16, "NaN"), "queries.jsonl line 2");
}

// ---------------------------------------------------------------------------

TEST(ValidateCliTest, MappingOfACollectionOldDoesNotHaveExitsThree) {
  TempDir dir;
  const std::string suite = dir.path() + "/suite.json";
  WriteFile(suite,
            R"({"mappings": [{"source": "sergio_typo", "target": "sergio_humor"}]})");
  CliRun run = Validate(Stores(CleanPair()) + " --suite " + suite + " --report-dir " +
                     dir.path() + "/reports");
  EXPECT_EQ(run.exit_code, 3) << run.all();
  EXPECT_THAT(run.err, HasSubstr("'sergio_typo'"));
  EXPECT_THAT(run.err, HasSubstr("no such collection"));
  // It lists what old has, so the user can fix the typo.
  EXPECT_THAT(run.err, HasSubstr("sergio_humor"));
  ExpectNoVerdict(run);
  ExpectErrorReports(dir.path() + "/reports", "sergio_typo");
}

TEST(ValidateCliTest, DatabaseThatDoesNotExistExitsThree) {
  const std::string missing = "chroma://" + ChromaTestServer::Get().HostPort() +
                              "/default_tenant/vecgate_no_such_database";
  TempDir dir;
  CliRun as_old = Validate("--old " + missing + " --new " + CleanPair().new_uri +
                        " --report-dir " + dir.path() + "/reports");
  EXPECT_EQ(as_old.exit_code, 3) << as_old.all();
  EXPECT_THAT(as_old.err, HasSubstr("vecgate_no_such_database"));
  ExpectNoVerdict(as_old);
  CliRun as_new = Validate("--old " + CleanPair().old_uri + " --new " + missing +
                        " --report-dir " + dir.path() + "/reports");
  EXPECT_EQ(as_new.exit_code, 3) << as_new.all();
  EXPECT_THAT(as_new.err, HasSubstr("vecgate_no_such_database"));
  ExpectNoVerdict(as_new);
  ExpectErrorReports(dir.path() + "/reports");
}

// ---------------------------------------------------------------------------
// Reports and exit codes of completed runs.

TEST(ValidateCliTest, CleanMigrationPassesAndWritesAllThreeReports) {
  TempDir dir;
  const std::string reports = dir.path() + "/reports";
  CliRun run = Validate(Stores(CleanPair()) + " --report-dir " + reports);
  ASSERT_EQ(run.exit_code, 0) << run.all();
  EXPECT_THAT(run.out, HasSubstr("PASSED"));

  const std::string json_path = reports + "/validation_report.json";
  ASSERT_TRUE(Exists(json_path));
  nlohmann::json report = nlohmann::json::parse(ReadFile(json_path), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "validation_report.json is not JSON";
  EXPECT_EQ(report.value("schema_version", 0), 2);
  EXPECT_EQ(report.value("overall_status", ""), "PASSED");
  EXPECT_EQ(report.value("rollback_triggered", true), false);
  EXPECT_EQ(report.value("rollback_performed", true), false);
  ASSERT_TRUE(report.contains("checks"));
  EXPECT_GE(report["checks"].size(), 9u);  // the nine, plus any the suite adds
  // Store descriptions, without anything that looks like a credential.
  EXPECT_THAT(report.dump(), HasSubstr(ChromaTestServer::Get().HostPort()));

  const std::string md = ReadFile(reports + "/validation_report.md");
  EXPECT_THAT(md, HasSubstr("PASSED"));
  EXPECT_THAT(md, HasSubstr("Rollback: not needed"));
  const std::string junit_path = reports + "/validation_report.junit.xml";
  ASSERT_TRUE(Exists(junit_path));
  std::string xml_out;
  EXPECT_EQ(RunCommand("xmllint --noout " + junit_path, &xml_out), 0) << xml_out;
  const std::string junit = ReadFile(junit_path);
  size_t cases = 0;
  for (size_t pos = junit.find("<testcase"); pos != std::string::npos;
       pos = junit.find("<testcase", pos + 1)) {
    ++cases;
  }
  EXPECT_EQ(cases, report["checks"].size()) << "one test case per check";
  EXPECT_THAT(junit, Not(HasSubstr("<failure")));
}

TEST(ValidateCliTest, JsonFlagPrintsTheReportOnStdout) {
  TempDir dir;
  CliRun run = Validate(Stores(CleanPair()) + " --report-dir " + dir.path() + "/reports",
                     "--json");
  ASSERT_EQ(run.exit_code, 0) << run.all();
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "stdout is not one JSON document:\n" << run.out;
  EXPECT_EQ(report.value("schema_version", 0), 2);
  EXPECT_EQ(report.value("overall_status", ""), "PASSED");
  // The same report as the file.
  nlohmann::json file = nlohmann::json::parse(
      ReadFile(dir.path() + "/reports/validation_report.json"), nullptr, false);
  ASSERT_FALSE(file.is_discarded());
  EXPECT_EQ(file.value("overall_status", ""), report.value("overall_status", "?"));
  EXPECT_EQ(file["checks"].size(), report["checks"].size());
}

TEST(ValidateCliTest, FailOnWarningTurnsAWarningIntoExitTwo) {
  // A clean copy plus a collection that no mapping names: with
  // strict_collections (the default) collection_distribution WARNs, and
  // nothing else is wrong.
  const std::string old_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_warn_old");
  const std::string new_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_warn_new");
  {
    auto old_store = OpenStore(old_uri, OpenOptions());
    auto new_store = OpenStore(new_uri, OpenOptions());
    ASSERT_TRUE(old_store.ok() && new_store.ok());
    ASSERT_TRUE(LoadCorpus(SmallCorpus(), **old_store).ok());
    ASSERT_TRUE(MigrateWithFaults(**old_store, **new_store, FaultSpec(), 1).ok());
    CollectionInfo stray = CorpusCollections(SmallCorpus())[0];
    stray.name = "stray_leftover";
    ASSERT_TRUE((*new_store)->CreateCollection(stray).ok());
  }
  TempDir dir;
  const std::string stores = "--old " + old_uri + " --new " + new_uri;
  CliRun warn = Validate(stores + " --report-dir " + dir.path() + "/a");
  ASSERT_EQ(warn.exit_code, 1) << warn.all();
  EXPECT_THAT(warn.out, HasSubstr("WARNING"));
  nlohmann::json report = nlohmann::json::parse(
      ReadFile(dir.path() + "/a/validation_report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report.value("overall_status", ""), "WARNING");
  EXPECT_EQ(report.dump().find("stray_leftover") != std::string::npos, true);

  EXPECT_THAT(ReadFile(dir.path() + "/a/validation_report.junit.xml"),
              HasSubstr("<skipped message=\"WARN (not a failure"))
      << "a warning that does not fail the gate is visible in JUnit";

  // --fail-on warning: one verdict everywhere -- FAILED in the Markdown
  // title, the JSON, JUnit, stdout and the exit code, with the reason.
  CliRun strict = Validate(stores + " --fail-on warning --report-dir " + dir.path() + "/b");
  EXPECT_EQ(strict.exit_code, 2) << strict.all();
  EXPECT_THAT(strict.out, HasSubstr("vecgate: FAILED"));
  EXPECT_THAT(strict.out, HasSubstr("warnings fail this gate (--fail-on warning)"));
  report = nlohmann::json::parse(ReadFile(dir.path() + "/b/validation_report.json"), nullptr,
                                 false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report.value("overall_status", ""), "FAILED");
  EXPECT_EQ(report.value("exit_code", 0), 2);
  EXPECT_EQ(report.value("fail_on", ""), "warning");
  ASSERT_FALSE(report["notes"].empty());
  EXPECT_THAT(report["notes"][0].get<std::string>(), HasSubstr("warnings fail this gate"));
  const std::string md = ReadFile(dir.path() + "/b/validation_report.md");
  EXPECT_THAT(md, HasSubstr("# Migration validation report: \xE2\x9D\x8C FAILED"));
  EXPECT_THAT(md, Not(HasSubstr("review the warnings below")));
  const std::string junit_path = dir.path() + "/b/validation_report.junit.xml";
  std::string xml_out;
  ASSERT_EQ(RunCommand("xmllint --xpath 'string(//testsuite/@failures)' " + junit_path,
                       &xml_out),
            0);
  EXPECT_NE(xml_out.substr(0, 1), "0") << "JUnit must fail when the gate fails";
  EXPECT_THAT(ReadFile(junit_path), HasSubstr("type=\"WARN\""));
  EXPECT_THAT(ReadFile(junit_path), HasSubstr("value=\"FAILED\""));
}

TEST(ValidateCliTest, EmptyCollectionInBothStoresPasses) {
  // Old holds an empty collection next to real ones; the migration copies it
  // (still empty). 0 = 0 records is a correct migration of it: PASS.
  const std::string old_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_empty_old");
  const std::string new_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_empty_new");
  {
    auto old_store = OpenStore(old_uri, OpenOptions());
    auto new_store = OpenStore(new_uri, OpenOptions());
    ASSERT_TRUE(old_store.ok() && new_store.ok());
    ASSERT_TRUE(LoadCorpus(SmallCorpus(), **old_store).ok());
    CollectionInfo empty = CorpusCollections(SmallCorpus())[0];
    empty.name = "empty_collection";
    empty.dimension = 0;
    ASSERT_TRUE((*old_store)->CreateCollection(empty).ok());
    ASSERT_TRUE(MigrateWithFaults(**old_store, **new_store, FaultSpec(), 1).ok());
    auto copied = (*new_store)->Count("empty_collection");
    ASSERT_TRUE(copied.ok()) << copied.status().ToString();
    ASSERT_EQ(*copied, 0);
  }
  TempDir dir;
  CliRun run = Validate("--old " + old_uri + " --new " + new_uri + " --report-dir " +
                     dir.path() + "/reports");
  EXPECT_EQ(run.exit_code, 0) << run.all();
  nlohmann::json report = nlohmann::json::parse(
      ReadFile(dir.path() + "/reports/validation_report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  EXPECT_EQ(report.value("overall_status", ""), "PASSED");
  bool seen = false;
  for (const auto& check : report["checks"]) {
    EXPECT_EQ(check.value("status", ""), "PASS") << check.dump();
    if (check.value("name", "") != "count") continue;
    for (const auto& group : check["metrics"]["groups"]) {
      if (group.value("target", "") != "empty_collection") continue;
      seen = true;
      EXPECT_EQ(group.value("old_count", -1), 0);
      EXPECT_EQ(group.value("new_count", -1), 0);
      EXPECT_EQ(group.value("missing_ids", -1), 0);
    }
  }
  EXPECT_TRUE(seen) << "the empty collection is validated, not skipped";
}

TEST(ValidateCliTest, UnicodeIdsAndHugeMetadataGiveWellFormedReports) {
  // Ids in several scripts, one with XML/JSON/Markdown metacharacters, and
  // metadata with a 200 KB string. Two records are left out of new, so the
  // count check lists them: the reports must carry them intact.
  const std::string old_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_intl_old");
  const std::string new_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_intl_new");
  const std::string kDropped1 = "文档-001 «ünïcødé»";
  const std::string kDropped2 = "tag<b>&amp;\"quote\"'|pipe|";
  {
    auto old_store = OpenStore(old_uri, OpenOptions());
    auto new_store = OpenStore(new_uri, OpenOptions());
    ASSERT_TRUE(old_store.ok() && new_store.ok());
    CollectionInfo info = CorpusCollections(SmallCorpus())[0];
    info.name = "international";
    info.dimension = 8;
    ASSERT_TRUE((*old_store)->CreateCollection(info).ok());
    ASSERT_TRUE((*new_store)->CreateCollection(info).ok());
    RecordBatch all, kept;
    std::string huge(200000, 'x');
    huge += " – ☃ 😀";
    for (int i = 0; i < 30; ++i) {
      std::string id = i == 0   ? kDropped1
                       : i == 1 ? kDropped2
                       : i == 2 ? "émoji-😀-" + std::to_string(i)
                       : i == 3 ? "ﾊﾝｶｸ-ελληνικά-עברית"
                                : "plain-" + std::to_string(i);
      Metadata m;
      m["title"] = std::string(i % 2 ? "Ünïcødé title ✓" : "plain");
      m["big_int"] = static_cast<int64_t>(9007199254740993LL + i);
      m["ratio"] = 1e300 / (i + 1);
      if (i % 5 == 0) m["body"] = huge;
      std::vector<float> v(8);
      for (int k = 0; k < 8; ++k) v[k] = static_cast<float>((i * 7 + k * 3) % 11) - 5.0f;
      v[i % 8] += 20.0f;
      all.Add(id, "document " + id, m, v.data(), v.size());
      if (i >= 2) kept.Add(id, "document " + id, m, v.data(), v.size());
    }
    Status s = (*old_store)->Add("international", all);
    ASSERT_TRUE(s.ok()) << s.ToString();
    s = (*new_store)->Add("international", kept);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  TempDir dir;
  const std::string suite = dir.path() + "/no_schema.json";
  WriteFile(suite, R"({"required_fields": [], "field_rules": {}})");
  const std::string reports = dir.path() + "/reports";
  CliRun run = Validate("--old " + old_uri + " --new " + new_uri + " --suite " + suite +
                     " --report-dir " + reports);
  // Two of 30 missing: count FAILs (6.7 % data loss) and the collection is
  // two short of its source (collection_distribution); the run completes.
  ASSERT_EQ(run.exit_code, 2) << run.all();

  nlohmann::json report = nlohmann::json::parse(
      ReadFile(reports + "/validation_report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "validation_report.json is not JSON";
  EXPECT_EQ(report.value("overall_status", ""), "FAILED");
  EXPECT_THAT(report.value("rollback_reason", ""), HasSubstr("Data Loss Detected"));
  std::set<std::string> missing;
  for (const auto& check : report["checks"]) {
    const std::string name = check.value("name", "");
    if (name == "collection_distribution") {
      EXPECT_EQ(check.value("status", ""), "FAIL") << check.dump();
      continue;
    }
    if (name != "count") {
      EXPECT_EQ(check.value("status", ""), "PASS") << check.dump();
      continue;
    }
    EXPECT_EQ(check.value("status", ""), "FAIL");
    for (const auto& f : check["findings"]) missing.insert(f.value("id", ""));
  }
  EXPECT_EQ(missing, (std::set<std::string>{kDropped1, kDropped2}));

  const std::string junit_path = reports + "/validation_report.junit.xml";
  std::string xml_out;
  EXPECT_EQ(RunCommand("xmllint --noout " + junit_path, &xml_out), 0)
      << "JUnit report is not well-formed XML: " << xml_out;
  // The XML carries the ids, escaped.
  EXPECT_EQ(RunCommand("xmllint --xpath 'count(//testcase[@name=\"count\"]/failure)' " +
                           junit_path,
                       &xml_out),
            0)
      << xml_out;
  EXPECT_EQ(xml_out.substr(0, xml_out.find_last_not_of("\n") + 1), "1")
      << "the count test case has its failure";
  const std::string junit = ReadFile(junit_path);
  EXPECT_THAT(junit, HasSubstr(kDropped1));
  EXPECT_THAT(junit, HasSubstr("tag&lt;b&gt;&amp;amp;"));
  const std::string md = ReadFile(reports + "/validation_report.md");
  EXPECT_THAT(md, HasSubstr("文档-001"));
}

// ---------------------------------------------------------------------------
// Global options after the subcommand; exit 3 always leaves its reports.

TEST(ValidateCliTest, GlobalOptionsWorkAfterTheSubcommand) {
  TempDir dir;
  // --json, --timeout and --quiet after `validate`, as a CI script writes them.
  CliRun run = Validate(Stores(CleanPair()) + " --report-dir " + dir.path() +
                        "/reports --json --timeout 20 --quiet");
  ASSERT_EQ(run.exit_code, 0) << run.all();
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "stdout is not one JSON document:\n" << run.out;
  EXPECT_EQ(report.value("overall_status", ""), "PASSED");
  EXPECT_EQ(run.err, "") << "--quiet after the subcommand";
  // And `inspect ... --json`.
  std::string out;
  ASSERT_EQ(RunCommand(Vecgate() + " inspect --store " + CleanPair().old_uri + " --json", &out),
            0)
      << out;
  nlohmann::json inspect = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(inspect.is_discarded()) << out;
  EXPECT_EQ(inspect.value("total", 0), 197);
  // An option no one has is still refused, wherever it is.
  CliRun bad = Validate(Stores(CleanPair()) + " --no-such-option");
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_THAT(bad.err, HasSubstr("--no-such-option"));
}

TEST(ValidateCliTest, UnreachableStoreWritesAnErrorReportInEveryFormat) {
  TempDir dir;
  const std::string reports = dir.path() + "/reports";
  CliRun run = Validate(std::string("--old ") + CleanPair().old_uri + " --new " +
                        kUnreachable + " --timeout 2 --report-dir " + reports);
  EXPECT_EQ(run.exit_code, 3) << run.all();
  EXPECT_THAT(run.err, HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(run.err, HasSubstr("ERROR report"));
  ExpectNoVerdict(run);
  ExpectErrorReports(reports, "127.0.0.1:1");
  nlohmann::json report =
      nlohmann::json::parse(ReadFile(reports + "/validation_report.json"), nullptr, false);
  EXPECT_THAT(report.value("old_store", ""), HasSubstr(ChromaTestServer::Get().HostPort()));
}

TEST(ValidateCliTest, JsonOnExitThreePrintsTheErrorReport) {
  TempDir dir;
  const std::string reports = dir.path() + "/reports";
  CliRun run = Validate(std::string("--old ") + kUnreachable + " --new " + kUnreachable +
                            " --timeout 2 --report-dir " + reports + " --json");
  EXPECT_EQ(run.exit_code, 3) << run.all();
  nlohmann::json report = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << "stdout is not one JSON document:\n" << run.out;
  EXPECT_EQ(report.value("overall_status", ""), "ERROR");
  EXPECT_EQ(report.value("exit_code", 0), 3);
  EXPECT_THAT(report["error"].value("message", ""), HasSubstr("127.0.0.1:1"));
  EXPECT_THAT(run.err, HasSubstr("vecgate: error:"));
  ExpectErrorReports(reports);
}

// The same store on both sides compares it with itself and would pass
// whatever the migration did: refused (exit 3, an ERROR report) however the
// two URIs spell it, before either store is opened.
TEST(ValidateCliTest, SameStoreOnBothSidesIsRefusedHoweverTheUrisSpellIt) {
  const std::string port = std::to_string(ChromaTestServer::Get().port());
  const std::string uri = CleanPair().old_uri;  // chroma://127.0.0.1:PORT/default_tenant/DB
  const std::string path = uri.substr(uri.find('/', std::string("chroma://").size()));
  const std::vector<std::pair<std::string, std::string>> same = {
      {uri, uri},
      {uri, "chroma://LocalHost:" + port + path},             // host case, loopback names
      {uri, "http://127.0.0.1:" + port + path},               // Chroma's own URL form
      {"chroma://127.0.0.1:" + port, "chroma://127.0.0.1:" + port +
                                         "/default_tenant/default_database"},  // defaults
      {"postgresql://postgres@Db.Example:5432/app", "postgresql://reader@db.example/app"
                                                    "?schema=public&layout=tables"},
  };
  for (const auto& [old_uri, new_uri] : same) {
    TempDir dir;
    const std::string reports = dir.path() + "/reports";
    CliRun run = Validate("--old '" + old_uri + "' --new '" + new_uri + "' --report-dir " +
                          reports);
    EXPECT_EQ(run.exit_code, 3) << old_uri << " vs " << new_uri << "\n" << run.all();
    EXPECT_THAT(run.err, HasSubstr("--old and --new name the same store")) << new_uri;
    EXPECT_THAT(run.err, HasSubstr("--allow-same-store")) << new_uri;
    ExpectErrorReports(reports, "the same store");
  }
  // Different databases, schemas or hosts are not the same store.
  TempDir dir;
  CliRun other = Validate("--old postgresql://h/app?schema=a --new postgresql://h/app?schema=b "
                          "--timeout 2 --report-dir " + dir.path() + "/r");
  EXPECT_THAT(other.err, Not(HasSubstr("the same store"))) << other.all();
}

TEST(ValidateCliTest, SameStoreWithAllowSameStoreRunsWithANoteInEveryReport) {
  TempDir dir;
  const std::string reports = dir.path() + "/reports";
  const std::string uri = CleanPair().old_uri;
  CliRun run = Validate("--old " + uri + " --new " + uri + " --allow-same-store --report-dir " +
                        reports);
  // The checks run (a store compared with itself passes them) ...
  EXPECT_EQ(run.exit_code, 0) << run.all();
  // ... but nobody can miss that this run could not see a migration.
  EXPECT_THAT(run.err, HasSubstr("warning: --old and --new name the same store"));
  EXPECT_THAT(run.out, HasSubstr("note: --old and --new name the same store"));
  nlohmann::json report =
      nlohmann::json::parse(ReadFile(reports + "/validation_report.json"), nullptr, false);
  ASSERT_FALSE(report.is_discarded());
  ASSERT_FALSE(report["notes"].empty());
  EXPECT_THAT(report["notes"][0].get<std::string>(), HasSubstr("the same store"));
  EXPECT_THAT(ReadFile(reports + "/validation_report.md"),
              HasSubstr("> **Note:** --old and --new name the same store"));
  EXPECT_THAT(ReadFile(reports + "/validation_report.junit.xml"),
              HasSubstr("<property name=\"note\" value=\"--old and --new name the same store"));
}

TEST(ValidateCliTest, ProgressWithoutATerminalIsOneLinePerCollectionWithoutAbsurdRates) {
  TempDir dir;
  CliRun run = Validate(Stores(CleanPair()) + " --report-dir " + dir.path() + "/reports");
  ASSERT_EQ(run.exit_code, 0) << run.all();
  // 4 collections, read from old and from new: 8 lines, each when its
  // collection is done, none announcing "0/N" before.
  std::istringstream lines(run.err);
  int progress_lines = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("vecgate: old ", 0) != 0 && line.rfind("vecgate: new ", 0) != 0) continue;
    ++progress_lines;
    EXPECT_THAT(line, Not(HasSubstr(": 0/"))) << line;
    EXPECT_THAT(line, HasSubstr("took")) << line;
    // A rate, when shown, is over at least half a second: never more than
    // twice the records read (no "751,173,708 rec/s" for a step of 2 us).
    std::smatch m;
    if (std::regex_search(line, m, std::regex("([0-9,]+)/[0-9,]+ records \\(([0-9,]+) rec/s"))) {
      auto number = [](std::string text) {
        text.erase(std::remove(text.begin(), text.end(), ','), text.end());
        return std::stoll(text);
      };
      EXPECT_LE(number(m[2]), 2 * number(m[1])) << line;
    }
  }
  EXPECT_EQ(progress_lines, 8) << run.err;
}

// ---------------------------------------------------------------------------
// The new store dies while vecgate is reading it: exit 3 and no verdict.

TEST(ValidateCliTest, NewStoreDyingMidStreamExitsThreeWithoutAVerdict) {
  // A Chroma of this test's own, so it can be killed.
  TempDir server_dir;
  testutil::ServerProcess server("chroma");
  std::string error;
  ASSERT_TRUE(server.Start(server_dir.path() + "/data", &error)) << error;
  const int port = server.port();
  const long pid = server.pid();

  // Old: 15 records on the shared server. New: 2,034 records of the same
  // collection on the doomed server, read in pages of 5 (about 400 requests):
  // far longer than it takes to notice the new scan has started.
  CorpusOptions small, large;
  small.scale = 0.002;
  large.scale = 0.27;
  small.dimension = large.dimension = 8;
  const std::string collection = "sergio_corpus";
  const std::string old_uri = ChromaTestServer::Get().NewDatabaseUri("vcli_dying_old");
  const std::string new_uri = "chroma://127.0.0.1:" + std::to_string(port);
  for (const auto& [uri, options] : {std::pair{old_uri, small}, std::pair{new_uri, large}}) {
    auto store = OpenStore(uri, OpenOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const auto& info : CorpusCollections(options)) {
      if (info.name != collection) continue;
      ASSERT_TRUE((*store)->CreateCollection(info).ok());
      Status s = GenerateCollection(options, collection, 1000, [&](RecordBatch& page) {
        return (*store)->Add(collection, page);
      });
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }

  TempDir dir;
  const std::string out_file = dir.path() + "/stdout", err_file = dir.path() + "/stderr";
  const std::string reports = dir.path() + "/reports";
  const std::string rc_file = dir.path() + "/rc";
  std::string ignored;
  // In the background, with the exit code written to a file.
  ASSERT_EQ(RunCommand("( " + Vecgate() + " --timeout 5 validate --old " + old_uri +
                           " --new " + new_uri + " --page-size 5 --report-dir " + reports +
                           " >" + out_file + " 2>" + err_file + "; echo $? >" + rc_file +
                           " ) </dev/null >/dev/null 2>&1 &",
                       &ignored),
            0);
  // Without a terminal, progress is one line on stderr per finished step:
  // "vecgate: old sergio_corpus: 15/15 records (took 0:00)". The new scan
  // starts right after it, so the server is killed as soon as it appears.
  bool new_scan_started = false;
  for (int i = 0; i < 3000 && !new_scan_started; ++i) {
    new_scan_started =
        ReadFile(err_file).find("vecgate: old " + collection + ": ") != std::string::npos;
    if (!new_scan_started) {
      if (Exists(rc_file)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ASSERT_TRUE(new_scan_started) << "vecgate never finished reading old:\n"
                                << ReadFile(err_file);
  RunCommand("kill -KILL -- -" + std::to_string(pid) + " 2>/dev/null || kill -KILL " +
                 std::to_string(pid),
             &ignored);
  // Wait for vecgate to give up (its retries included).
  for (int i = 0; i < 1200 && !Exists(rc_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(Exists(rc_file)) << "vecgate did not finish within 60 s of the kill";
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int exit_code = std::atoi(ReadFile(rc_file).c_str());
  CliRun run{exit_code, ReadFile(out_file), ReadFile(err_file)};
  EXPECT_EQ(run.exit_code, 3) << run.all();
  ExpectNoVerdict(run);
  EXPECT_THAT(run.err, HasSubstr("could not read everything"));
  EXPECT_THAT(run.err, HasSubstr(collection));
  ExpectErrorReports(reports, collection);
}

// `vecgate diff` shows one record from both stores with the change itself:
// the document's first difference in context (a same-length edit too), a
// string's old and new value, and numbers compared by value.
TEST(ValidateCliTest, DiffShowsWhatChangedInOneRecord) {
  TempDir dir;
  const std::string old_path = dir.path() + "/old.jsonl", new_path = dir.path() + "/new.jsonl";
  const std::string doc(200, 'a');
  std::string edited = doc;
  edited[120] = 'b';  // same length, one character
  WriteFile(old_path,
            "{\"collection\":\"docs\",\"id\":\"chunk-17\",\"document\":\"" + doc +
                "\",\"metadata\":{\"author\":\"Sergio\",\"score\":1.0},"
                "\"embedding\":[0.5,0.25]}\n");
  WriteFile(new_path,
            "{\"collection\":\"docs\",\"id\":\"chunk-17\",\"document\":\"" + edited +
                "\",\"metadata\":{\"author\":\"Someone Else\",\"score\":1},"
                "\"embedding\":[0.5,0.25]}\n");
  std::string out;
  const int code = RunCommand(Vecgate() + " diff --old jsonl:" + old_path + " --new jsonl:" +
                                  new_path + " --id chunk-17",
                              &out);
  EXPECT_EQ(code, 2) << out;
  EXPECT_THAT(out, HasSubstr("200 -> 200 chars, first difference at character 120"));
  EXPECT_THAT(out, HasSubstr("- ...aaaaa"));
  EXPECT_THAT(out, HasSubstr("+ ..." + std::string(40, 'a') + "b" + std::string(39, 'a') + "..."));
  EXPECT_THAT(out, HasSubstr("metadata.author changed: \"Sergio\" -> \"Someone Else\""));
  EXPECT_THAT(out, Not(HasSubstr("metadata.score")));  // 1.0 and 1 are one value

  // The same record on both sides: exit 0.
  EXPECT_EQ(RunCommand(Vecgate() + " diff --old jsonl:" + old_path + " --new jsonl:" + old_path +
                           " --id chunk-17",
                       &out),
            0)
      << out;
  EXPECT_THAT(out, HasSubstr("the same in both stores"));
}

}  // namespace
}  // namespace vecgate
