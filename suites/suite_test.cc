// Tests of the suite loader: the shipped suites load, defaults are the
// built-in 12-field schema, and every kind of mistake in a suite file is rejected with
// the file, the JSON path and what was expected.
#include "suites/suite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "suites/checks.h"
#include "testutil/temp_dir.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;

std::string SourcePath(const std::string& relative) {
  return std::string(VECGATE_SOURCE_DIR) + "/" + relative;
}


void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

void ExpectRulesEqual(const FieldRule& a, const FieldRule& b) {
  SCOPED_TRACE("field rule " + a.field);
  EXPECT_EQ(a.field, b.field);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.min, b.min);
  EXPECT_EQ(a.max, b.max);
  EXPECT_EQ(a.allowed, b.allowed);
  EXPECT_EQ(a.pattern, b.pattern);
}

// Every field of two suites except `path`.
void ExpectSuitesEqual(const Suite& a, const Suite& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.required_fields, b.required_fields);
  ASSERT_EQ(a.field_rules.size(), b.field_rules.size());
  for (size_t i = 0; i < a.field_rules.size(); ++i) {
    ExpectRulesEqual(a.field_rules[i], b.field_rules[i]);
  }
  ASSERT_EQ(a.mappings.size(), b.mappings.size());
  for (size_t i = 0; i < a.mappings.size(); ++i) {
    EXPECT_EQ(a.mappings[i].sources, b.mappings[i].sources);
    EXPECT_EQ(a.mappings[i].target, b.mappings[i].target);
    EXPECT_EQ(a.mappings[i].expected_count, b.mappings[i].expected_count);
  }
  EXPECT_EQ(a.strict_collections, b.strict_collections);

  EXPECT_EQ(a.count.tolerance, b.count.tolerance);
  EXPECT_EQ(a.count.data_loss_fail_percent, b.count.data_loss_fail_percent);
  EXPECT_EQ(a.count.extra_ids_fail, b.count.extra_ids_fail);

  EXPECT_EQ(a.embedding.warn_percent, b.embedding.warn_percent);
  EXPECT_EQ(a.embedding.fail_percent, b.embedding.fail_percent);
  EXPECT_EQ(a.embedding.allowed_dimensions, b.embedding.allowed_dimensions);
  EXPECT_EQ(a.embedding.require_allowed_dimension,
            b.embedding.require_allowed_dimension);
  EXPECT_EQ(a.embedding.drift_min_cosine, b.embedding.drift_min_cosine);
  EXPECT_EQ(a.embedding.drift_max_abs_diff, b.embedding.drift_max_abs_diff);

  EXPECT_EQ(a.metadata.pass_percent, b.metadata.pass_percent);
  EXPECT_EQ(a.metadata.warn_percent, b.metadata.warn_percent);

  EXPECT_EQ(a.divergence.warn_percent, b.divergence.warn_percent);
  EXPECT_EQ(a.divergence.fail_percent, b.divergence.fail_percent);
  EXPECT_EQ(a.divergence.min_recall, b.divergence.min_recall);
  EXPECT_EQ(a.divergence.min_self_retrieval, b.divergence.min_self_retrieval);
  EXPECT_EQ(a.divergence.check_live_index, b.divergence.check_live_index);

  EXPECT_EQ(a.distribution.unexpected_collections_fail,
            b.distribution.unexpected_collections_fail);

  EXPECT_EQ(a.duplicates.check_documents, b.duplicates.check_documents);
  EXPECT_EQ(a.duplicates.check_embeddings, b.duplicates.check_embeddings);
  EXPECT_EQ(a.duplicates.near_duplicate_cosine,
            b.duplicates.near_duplicate_cosine);
  EXPECT_EQ(a.duplicates.near_duplicate_sample,
            b.duplicates.near_duplicate_sample);
  EXPECT_EQ(a.duplicates.warn_percent, b.duplicates.warn_percent);
  EXPECT_EQ(a.duplicates.fail_percent, b.duplicates.fail_percent);

  EXPECT_EQ(a.field_types.warn_percent, b.field_types.warn_percent);
  EXPECT_EQ(a.field_types.fail_percent, b.field_types.fail_percent);

  EXPECT_EQ(a.citations.field, b.citations.field);
  EXPECT_EQ(a.citations.warn_percent, b.citations.warn_percent);
  EXPECT_EQ(a.citations.fail_percent, b.citations.fail_percent);

  EXPECT_EQ(a.queries.queries_file, b.queries.queries_file);
  EXPECT_EQ(a.queries.sample_count, b.queries.sample_count);
  EXPECT_EQ(a.queries.k, b.queries.k);
  EXPECT_EQ(a.queries.seed, b.queries.seed);
  EXPECT_EQ(a.queries.self_retrieval_sample, b.queries.self_retrieval_sample);

  const QueryPerformanceThresholds& qa = a.query_performance;
  const QueryPerformanceThresholds& qb = b.query_performance;
  EXPECT_EQ(qa.enabled, qb.enabled);
  EXPECT_EQ(qa.max_mean_latency_ms, qb.max_mean_latency_ms);
  EXPECT_EQ(qa.min_queries_per_second, qb.min_queries_per_second);
  EXPECT_EQ(qa.max_slowdown_percent, qb.max_slowdown_percent);
  EXPECT_EQ(qa.queries, qb.queries);
  EXPECT_EQ(qa.warmup, qb.warmup);
  EXPECT_EQ(qa.concurrency, qb.concurrency);
  EXPECT_EQ(qa.max_seconds, qb.max_seconds);

  EXPECT_EQ(a.citation_registry, b.citation_registry);
  EXPECT_EQ(a.citation_registry_file, b.citation_registry_file);
  for (const char* check :
       {"count", "embedding_integrity", "metadata_completeness",
        "semantic_divergence", "collection_distribution", "duplicates",
        "field_types", "citations", "query_performance"}) {
    EXPECT_EQ(a.IsEnabled(check), b.IsEnabled(check)) << check;
  }
  EXPECT_EQ(a.max_findings, b.max_findings);
}

TEST(DefaultSuiteTest, IsTheSeedsTwelveFieldSchema) {
  Suite suite = DefaultSuite();
  EXPECT_EQ(
      suite.required_fields,
      (std::vector<std::string>{
          "source", "source_file", "source_line", "author", "collection_type",
          "category", "language", "authenticity_score", "confidence_level",
          "disputed", "if_citation_uri", "chunk_index"}));
  ASSERT_EQ(suite.field_rules.size(), 12u);
  std::map<std::string, FieldRule> rules;
  for (const auto& r : suite.field_rules) rules[r.field] = r;
  EXPECT_EQ(rules["authenticity_score"].type, "float");
  EXPECT_EQ(rules["authenticity_score"].min, 0.0);
  EXPECT_EQ(rules["authenticity_score"].max, 1.0);
  EXPECT_EQ(rules["chunk_index"].type, "int");
  EXPECT_EQ(rules["chunk_index"].min, 0.0);
  EXPECT_EQ(rules["source_line"].min, 1.0);
  EXPECT_EQ(rules["language"].pattern, "^[a-z]{2}$");
  EXPECT_EQ(rules["confidence_level"].allowed,
            (std::vector<std::string>{"high", "medium", "low"}));
  EXPECT_EQ(rules["collection_type"].allowed,
            (std::vector<std::string>{"personality", "rhetorical", "humor",
                                      "corpus"}));
  EXPECT_EQ(rules["disputed"].type, "bool");
  EXPECT_EQ(rules["if_citation_uri"].pattern, R"(^if://[a-z0-9_-]+/\S+$)");
  EXPECT_TRUE(suite.mappings.empty());
  EXPECT_TRUE(suite.path.empty());

  // Thresholds are the struct defaults (docs/checks.md).
  Suite plain;
  plain.name = suite.name;
  plain.description = suite.description;
  plain.required_fields = suite.required_fields;
  plain.field_rules = suite.field_rules;
  ExpectSuitesEqual(suite, plain);
  EXPECT_EQ(suite.count.data_loss_fail_percent, 5.0);
  EXPECT_EQ(suite.divergence.fail_percent, 20.0);
  EXPECT_EQ(suite.queries.k, 10);
}

TEST(SuiteFilesTest, SeedsJsonIsTheDefaultSuite) {
  const std::string path = SourcePath("suites/seeds.json");
  Result<Suite> suite = LoadSuite(path);
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->path, path);
  ExpectSuitesEqual(*suite, DefaultSuite());
}

TEST(SuiteFilesTest, MinimalJsonLoads) {
  Result<Suite> suite = LoadSuite(SourcePath("suites/minimal.json"));
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->name, "minimal");
  EXPECT_EQ(suite->required_fields,
            (std::vector<std::string>{"source", "if_citation_uri"}));
  EXPECT_EQ(suite->field_rules.size(), 2u);
  EXPECT_FALSE(suite->IsEnabled("duplicates"));
  EXPECT_TRUE(suite->IsEnabled("count"));
  EXPECT_EQ(suite->count.tolerance, 10);
  EXPECT_EQ(suite->divergence.fail_percent, 30.0);
  EXPECT_FALSE(suite->divergence.check_live_index);
  EXPECT_EQ(suite->queries.k, 5);
  EXPECT_EQ(suite->max_findings, 20);
  // Keys it does not give keep their defaults.
  EXPECT_EQ(suite->divergence.min_recall, 0.9);
  EXPECT_EQ(suite->duplicates.fail_percent, 1.0);
}

TEST(SuiteFilesTest, ReadmeExampleLoads) {
  std::ifstream in(SourcePath("suites/README.md"));
  std::string readme((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  const std::string start_marker = "## A full example\n\n```json\n";
  size_t start = readme.find(start_marker);
  ASSERT_NE(start, std::string::npos) << "README has no full example";
  start += start_marker.size();
  size_t end = readme.find("```", start);
  ASSERT_NE(end, std::string::npos);

  testutil::TempDir tmp;

  const std::string& dir = tmp.path();
  WriteFile(dir + "/example.json", readme.substr(start, end - start));
  WriteFile(dir + "/queries.jsonl", "[0.1, 0.2]\n");
  WriteFile(dir + "/citations.txt", "if://paper/attention\n");
  Result<Suite> suite = LoadSuite(dir + "/example.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->name, "sergio-merge");
  ASSERT_EQ(suite->mappings.size(), 3u);
  EXPECT_EQ(suite->mappings[0].expected_count, 1800);
  EXPECT_EQ(suite->citation_registry.size(), 2u);
}

TEST(ParseSuiteTest, EmptyObjectIsTheDefaultSuiteNamedAfterTheFile) {
  Result<Suite> suite = ParseSuite("{}", "suites/nightly.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->name, "nightly");
  Suite expected = DefaultSuite();
  expected.name = "nightly";
  ExpectSuitesEqual(*suite, expected);
}

TEST(ParseSuiteTest, ReadsMappingsInBothForms) {
  Result<Suite> suite = ParseSuite(R"({
    "mappings": [
      {"sources": ["a", "b"], "target": "ab", "expected_count": 1500},
      {"source": "c", "target": "c"}
    ],
    "required_fields": []
  })",
                                   "m.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  ASSERT_EQ(suite->mappings.size(), 2u);
  EXPECT_EQ(suite->mappings[0].sources, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(suite->mappings[0].target, "ab");
  EXPECT_EQ(suite->mappings[0].expected_count, 1500);
  EXPECT_EQ(suite->mappings[1].sources, (std::vector<std::string>{"c"}));
  EXPECT_FALSE(suite->mappings[1].expected_count.has_value());
  EXPECT_TRUE(suite->required_fields.empty());
}

TEST(ParseSuiteTest, FieldRulesKeepTheFileOrder) {
  Result<Suite> suite = ParseSuite(R"({"field_rules": {
    "zeta": {"type": "bool"},
    "alpha": {"type": "float", "min": -1.5},
    "mid": {"type": "string", "allowed": ["x"]}
  }})",
                                   "r.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  ASSERT_EQ(suite->field_rules.size(), 3u);
  EXPECT_EQ(suite->field_rules[0].field, "zeta");
  EXPECT_EQ(suite->field_rules[1].field, "alpha");
  EXPECT_EQ(suite->field_rules[1].min, -1.5);
  EXPECT_FALSE(suite->field_rules[1].max.has_value());
  EXPECT_EQ(suite->field_rules[2].allowed, (std::vector<std::string>{"x"}));
}

// Rules for Chroma 1.5's metadata lists: the element type in brackets, and
// range, allowed values and pattern for the elements.
TEST(ParseSuiteTest, ArrayRulesTakeTheElementRules) {
  Result<Suite> suite = ParseSuite(R"({"field_rules": {
    "tags": {"type": "array<string>", "allowed": ["a", "b"], "pattern": "[a-z]"},
    "scores": {"type": "array<float>", "min": 0, "max": 1},
    "pages": {"type": "array<int>"},
    "flags": {"type": "array<bool>"}
  }})",
                                   "a.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  ASSERT_EQ(suite->field_rules.size(), 4u);
  EXPECT_EQ(suite->field_rules[0].type, "array<string>");
  EXPECT_EQ(suite->field_rules[0].allowed, (std::vector<std::string>{"a", "b"}));
  ASSERT_NE(suite->field_rules[0].compiled_pattern, nullptr);
  EXPECT_EQ(suite->field_rules[1].type, "array<float>");
  EXPECT_EQ(suite->field_rules[1].max, 1.0);
  EXPECT_EQ(suite->field_rules[2].type, "array<int>");
  EXPECT_EQ(suite->field_rules[3].type, "array<bool>");
}

TEST(ParseSuiteTest, AcceptsIntegralFloatsForIntegers) {
  Result<Suite> suite =
      ParseSuite(R"({"queries": {"k": 20.0, "seed": 7}})", "q.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->queries.k, 20);
  EXPECT_EQ(suite->queries.seed, 7u);
}

TEST(ParseSuiteTest, QueryPerformanceIsOffByDefaultWithTheRunbookThresholds) {
  Result<Suite> suite = ParseSuite("{}", "d.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_FALSE(suite->IsEnabled("query_performance"));
  EXPECT_EQ(suite->query_performance.max_mean_latency_ms, 500.0);
  EXPECT_EQ(suite->query_performance.min_queries_per_second, 10.0);
  EXPECT_EQ(suite->query_performance.max_slowdown_percent, 50.0);
  EXPECT_EQ(suite->query_performance.queries, 200);
  EXPECT_EQ(suite->query_performance.warmup, 20);
  EXPECT_EQ(suite->query_performance.concurrency, 1);
  EXPECT_EQ(suite->query_performance.max_seconds, 30.0);
}

TEST(ParseSuiteTest, ReadsQueryPerformance) {
  Result<Suite> suite = ParseSuite(R"({"thresholds": {"query_performance": {
    "enabled": true, "max_mean_latency_ms": 250, "min_queries_per_second": 40,
    "max_slowdown_percent": 20, "queries": 500, "warmup": 0, "concurrency": 4,
    "max_seconds": 12.5}}})",
                                   "p.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  const QueryPerformanceThresholds& t = suite->query_performance;
  EXPECT_TRUE(suite->IsEnabled("query_performance"));
  EXPECT_EQ(t.max_mean_latency_ms, 250.0);
  EXPECT_EQ(t.min_queries_per_second, 40.0);
  EXPECT_EQ(t.max_slowdown_percent, 20.0);
  EXPECT_EQ(t.queries, 500);
  EXPECT_EQ(t.warmup, 0);
  EXPECT_EQ(t.concurrency, 4);
  EXPECT_EQ(t.max_seconds, 12.5);
}

TEST(ParseSuiteTest, ChecksEntrySwitchesQueryPerformanceEitherWay) {
  Result<Suite> on = ParseSuite(R"({"checks": {"query_performance": true}})", "on.json");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->IsEnabled("query_performance"));
  Result<Suite> off = ParseSuite(
      R"({"checks": {"query_performance": false},
          "thresholds": {"query_performance": {"enabled": true}}})",
      "off.json");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->IsEnabled("query_performance")) << "the checks entry wins";
}

// One malformed suite and what its error must say.
struct BadSuite {
  const char* json;
  const char* path;     // JSON path the message must name
  const char* problem;  // what the message must say
};

class BadSuiteTest : public ::testing::TestWithParam<BadSuite> {};

TEST_P(BadSuiteTest, IsRejectedWithFileJsonPathAndReason) {
  const BadSuite& bad = GetParam();
  Result<Suite> suite = ParseSuite(bad.json, "suites/bad.json");
  ASSERT_FALSE(suite.ok()) << "accepted: " << bad.json;
  EXPECT_EQ(suite.status().code(), StatusCode::kInvalidArgument);
  const std::string& message = suite.status().message();
  EXPECT_THAT(message, HasSubstr("suites/bad.json"));
  EXPECT_THAT(message, HasSubstr(std::string(bad.path) + ":"));
  EXPECT_THAT(message, HasSubstr(bad.problem));
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadSuiteTest,
    ::testing::Values(
        BadSuite{R"([])", "$", "expected an object, got an array []"},
        BadSuite{
            R"({"thresholds": {"semantic_divergence": {"fail_percent": "20%"}}})",
            "$.thresholds.semantic_divergence.fail_percent",
            "expected a number between 0 and 100, got \"20%\""},
        BadSuite{
            R"({"thresholds": {"count": {"data_loss_fail_percent": 150}}})",
            "$.thresholds.count.data_loss_fail_percent",
            "expected a number between 0 and 100, got 150"},
        BadSuite{R"({"thresholds": {"count": {"tolerence": 3}}})",
                 "$.thresholds.count.tolerence",
                 "unknown key \"tolerence\"; did you mean \"tolerance\"?"},
        BadSuite{R"({"thresholds": {"speed": {}}})", "$.thresholds.speed",
                 "unknown key \"speed\"; expected one of: count, "
                 "embedding_integrity"},
        BadSuite{R"({"max_finding": 3})", "$.max_finding",
                 "did you mean \"max_findings\"?"},
        BadSuite{R"({"thresholds": {"count": {"tolerance": -1}}})",
                 "$.thresholds.count.tolerance",
                 "expected an integer >= 0, got -1"},
        BadSuite{R"({"thresholds": {"count": {"extra_ids_fail": "yes"}}})",
                 "$.thresholds.count.extra_ids_fail",
                 "expected true or false, got \"yes\""},
        BadSuite{
            R"({"thresholds": {"semantic_divergence": {"warn_percent": 30}}})",
            "$.thresholds.semantic_divergence.warn_percent",
            "warn_percent (30) must not be above fail_percent (20)"},
        BadSuite{
            R"({"thresholds": {"field_types": {"warn_percent": 5, "fail_percent": 1}}})",
            "$.thresholds.field_types.warn_percent",
            "must not be above fail_percent (1)"},
        BadSuite{
            R"({"thresholds": {"metadata_completeness": {"pass_percent": 90}}})",
            "$.thresholds.metadata_completeness.warn_percent",
            "warn_percent (99) must not be above pass_percent (90)"},
        BadSuite{
            R"({"thresholds": {"embedding_integrity": {"drift_min_cosine": 1.5}}})",
            "$.thresholds.embedding_integrity.drift_min_cosine",
            "expected a number between -1 and 1, got 1.5"},
        BadSuite{
            R"({"thresholds": {"embedding_integrity": {"drift_max_abs_diff": -0.1}}})",
            "$.thresholds.embedding_integrity.drift_max_abs_diff",
            "expected a number >= 0"},
        BadSuite{
            R"({"thresholds": {"embedding_integrity": {"allowed_dimensions": [384, 0]}}})",
            "$.thresholds.embedding_integrity.allowed_dimensions[1]",
            "expected an integer >= 1, got 0"},
        BadSuite{
            R"({"thresholds": {"semantic_divergence": {"min_recall": 90}}})",
            "$.thresholds.semantic_divergence.min_recall",
            "expected a number between 0 and 1, got 90"},
        BadSuite{
            R"({"thresholds": {"duplicates": {"near_duplicate_sample": 0}}})",
            "$.thresholds.duplicates.near_duplicate_sample",
            "expected an integer >= 1, got 0"},
        BadSuite{R"({"thresholds": {"citations": {"field": ""}}})",
                 "$.thresholds.citations.field", "expected a non-empty string"},
        BadSuite{R"({"queries": {"k": 0}})", "$.queries.k",
                 "expected an integer >= 1, got 0"},
        BadSuite{R"({"queries": {"k": 2.5}})", "$.queries.k",
                 "expected an integer >= 1, got 2.5"},
        BadSuite{R"({"queries": {"sample_count": 0}})",
                 "$.queries.sample_count", "no queries file is given"},
        BadSuite{R"({"queries": {"file": "no/such/queries.jsonl"}})",
                 "$.queries.file",
                 "suites/no/such/queries.jsonl does not exist"},
        BadSuite{R"({"queries": {"seed": -4}})", "$.queries.seed",
                 "expected an integer >= 0"},
        BadSuite{R"({"required_fields": "source"})", "$.required_fields",
                 "expected an array of strings, got \"source\""},
        BadSuite{R"({"required_fields": ["source", "source"]})",
                 "$.required_fields[1]", "\"source\" is listed twice"},
        BadSuite{R"({"required_fields": ["source", 3]})",
                 "$.required_fields[1]", "expected a non-empty string, got 3"},
        BadSuite{R"({"field_rules": {"x": {"type": "integer"}}})",
                 "$.field_rules.x.type",
                 "expected one of \"string\", \"int\", \"float\", \"bool\", "
                 "\"array<string>\", \"array<int>\", \"array<float>\", \"array<bool>\", "
                 "got \"integer\""},
        BadSuite{R"({"field_rules": {"x": {"type": "array<date>"}}})",
                 "$.field_rules.x.type", "got \"array<date>\""},
        BadSuite{R"({"field_rules": {"x": {"type": "array<array<int>>"}}})",
                 "$.field_rules.x.type", "got \"array<array<int>>\""},
        BadSuite{R"({"field_rules": {"x": {"type": "array<bool>", "min": 0}}})",
                 "$.field_rules.x.min", "only int and float fields have a range"},
        BadSuite{R"({"field_rules": {"x": {"type": "array<int>", "pattern": "a"}}})",
                 "$.field_rules.x.pattern", "only string fields have \"pattern\""},
        BadSuite{R"({"field_rules": {"x": {}}})", "$.field_rules.x.type",
                 "missing"},
        BadSuite{R"({"field_rules": {"x": {"type": "string", "patern": "a"}}})",
                 "$.field_rules.x.patern", "did you mean \"pattern\"?"},
        BadSuite{
            R"({"field_rules": {"language": {"type": "string", "pattern": "[a-"}}})",
            "$.field_rules.language.pattern",
            "not a valid regular expression: missing ]: [a-"},
        BadSuite{
            R"({"field_rules": {"x": {"type": "string", "pattern": "(a)\\1"}}})",
            "$.field_rules.x.pattern", "backreferences and lookaround are not supported"},
        BadSuite{
            R"j({"field_rules": {"x": {"type": "string", "pattern": "a(?=b)"}}})j",
            "$.field_rules.x.pattern", "backreferences and lookaround are not supported"},
        BadSuite{
            R"({"field_rules": {"x": {"type": "string", "pattern": "a{1001}"}}})",
            "$.field_rules.x.pattern", "invalid repetition size: {1001}"},
        BadSuite{R"({"field_rules": {"x": {"type": "string", "min": 1}}})",
                 "$.field_rules.x.min",
                 "only int and float fields have a range"},
        BadSuite{R"({"field_rules": {"x": {"type": "int", "allowed": ["1"]}}})",
                 "$.field_rules.x.allowed",
                 "only string fields have \"allowed\""},
        BadSuite{
            R"({"field_rules": {"x": {"type": "float", "min": 1, "max": 0}}})",
            "$.field_rules.x.max", "max (0) is below min (1)"},
        BadSuite{R"({"field_rules": {"x": {"type": "string", "allowed": []}}})",
                 "$.field_rules.x.allowed",
                 "expected at least one allowed value"},
        BadSuite{R"({"field_rules": {"source file": {"type": "str"}}})",
                 "$.field_rules[\"source file\"].type", "got \"str\""},
        BadSuite{R"({"mappings": {"a": "b"}})", "$.mappings",
                 "expected an array"},
        BadSuite{R"({"mappings": [{"source": "a", "target": ""}]})",
                 "$.mappings[0].target",
                 "expected a non-empty string, got \"\""},
        BadSuite{R"({"mappings": [{"source": "a"}]})", "$.mappings[0].target",
                 "missing; expected the new collection's name"},
        BadSuite{R"({"mappings": [{"target": "a"}]})", "$.mappings[0]",
                 "missing \"sources\""},
        BadSuite{
            R"({"mappings": [{"source": "a", "sources": ["b"], "target": "t"}]})",
            "$.mappings[0]", "either \"source\" or \"sources\", not both"},
        BadSuite{R"({"mappings": [{"sources": [], "target": "t"}]})",
                 "$.mappings[0].sources",
                 "expected at least one old collection"},
        BadSuite{R"({"mappings": [{"source": "a", "target": "t"},
                                  {"source": "b", "target": "t"}]})",
                 "$.mappings[1].target",
                 "target \"t\" is already the target of $.mappings[0]"},
        BadSuite{R"({"mappings": [{"source": "a", "target": "t"},
                                  {"sources": ["b", "a"], "target": "u"}]})",
                 "$.mappings[1].sources[1]",
                 "source \"a\" is already mapped by $.mappings[0]"},
        BadSuite{
            R"({"mappings": [{"source": "a", "target": "t", "expected_count": -5}]})",
            "$.mappings[0].expected_count", "expected an integer >= 0, got -5"},
        BadSuite{
            R"({"mappings": [{"source": "a", "target": "t", "count": 5}]})",
            "$.mappings[0].count", "unknown key \"count\""},
        BadSuite{R"({"checks": {"duplicate": false}})", "$.checks.duplicate",
                 "did you mean \"duplicates\"?"},
        BadSuite{R"({"thresholds": {"query_performance": {"max_mean_latncy_ms": 5}}})",
                 "$.thresholds.query_performance.max_mean_latncy_ms",
                 "did you mean \"max_mean_latency_ms\"?"},
        BadSuite{R"({"thresholds": {"query_performance": {"concurrency": 0}}})",
                 "$.thresholds.query_performance.concurrency",
                 "expected an integer >= 1, got 0"},
        BadSuite{R"({"thresholds": {"query_performance": {"concurrency": 65}}})",
                 "$.thresholds.query_performance.concurrency",
                 "expected an integer between 1 and 64, got 65"},
        BadSuite{R"({"thresholds": {"query_performance": {"max_seconds": 0}}})",
                 "$.thresholds.query_performance.max_seconds",
                 "expected a number of seconds above 0"},
        BadSuite{R"({"thresholds": {"query_performance": {"queries": 0}}})",
                 "$.thresholds.query_performance.queries",
                 "expected an integer >= 1, got 0"},
        BadSuite{
            R"({"thresholds": {"query_performance": {"max_slowdown_percent": -1}}})",
            "$.thresholds.query_performance.max_slowdown_percent",
            "expected a number >= 0, got -1"},
        BadSuite{R"({"thresholds": {"query_performance": {"enabled": "yes"}}})",
                 "$.thresholds.query_performance.enabled",
                 "expected true or false, got \"yes\""},
        BadSuite{R"({"checks": {"count": "off"}})", "$.checks.count",
                 "expected true or false, got \"off\""},
        BadSuite{R"({"max_findings": -1})", "$.max_findings",
                 "expected an integer >= 0, got -1"},
        // Numbers that size memory or work are bounded at load.
        BadSuite{R"({"queries": {"k": 1e12}})", "$.queries.k",
                 "expected an integer between 1 and 10000 (neighbours kept per "
                 "query), got 1000000000000.0"},
        BadSuite{R"({"queries": {"k": 10001}})", "$.queries.k",
                 "expected an integer between 1 and 10000"},
        BadSuite{R"({"queries": {"k": 18446744073709551615}})", "$.queries.k",
                 "expected an integer >= 1, got 18446744073709551615"},
        BadSuite{R"({"queries": {"sample_count": 100001}})",
                 "$.queries.sample_count", "between 0 and 100000"},
        BadSuite{R"({"queries": {"sample_count": 10.5}})",
                 "$.queries.sample_count", "expected an integer >= 0, got 10.5"},
        BadSuite{R"({"queries": {"self_retrieval_sample": 1e9}})",
                 "$.queries.self_retrieval_sample", "between 0 and 100000"},
        BadSuite{R"({"thresholds": {"duplicates": {"near_duplicate_sample": 20001}}})",
                 "$.thresholds.duplicates.near_duplicate_sample",
                 "between 1 and 20000 (the pairs compared grow with its square)"},
        BadSuite{R"({"thresholds": {"duplicates": {"near_duplicate_sample": 2.5}}})",
                 "$.thresholds.duplicates.near_duplicate_sample",
                 "expected an integer >= 1, got 2.5"},
        BadSuite{R"({"thresholds": {"query_performance": {"queries": 1e7}}})",
                 "$.thresholds.query_performance.queries", "between 1 and 1000000"},
        BadSuite{R"({"thresholds": {"query_performance": {"warmup": 1e7}}})",
                 "$.thresholds.query_performance.warmup", "between 0 and 1000000"},
        BadSuite{R"({"thresholds": {"query_performance": {"warmup": "20"}}})",
                 "$.thresholds.query_performance.warmup",
                 "expected an integer >= 0, got \"20\""},
        BadSuite{R"({"thresholds": {"query_performance": {"max_seconds": 1e9}}})",
                 "$.thresholds.query_performance.max_seconds",
                 "expected a number between 0 and 86400"},
        BadSuite{R"({"max_findings": 1e6})", "$.max_findings",
                 "between 0 and 100000 (ids listed per check)"},
        BadSuite{R"({"max_findings": 5.5})", "$.max_findings",
                 "expected an integer >= 0, got 5.5"},
        BadSuite{R"({"name": ""})", "$.name", "expected a non-empty string"},
        BadSuite{R"({"citation_registry_file": "missing_registry.txt"})",
                 "$.citation_registry_file",
                 "cannot read citation registry suites/missing_registry.txt"},
        BadSuite{R"({"name": "a", "name": "b"})", "$.name",
                 "key appears twice"},
        BadSuite{R"({"mappings": [{"source": "a", "target": "t"},
                                  {"source": "b", "target": "u", "target": "v"}]})",
                 "$.mappings[1].target", "key appears twice"}));

// Patterns are compiled once at load and match the whole value in linear
// time: a pattern that backtracks exponentially elsewhere, and a 60 KB value,
// are answered at once.
TEST(SuitePatternTest, LoadedPatternsAreCompiledAndMatchWholeValues) {
  Result<Suite> suite = ParseSuite(
      R"({"field_rules": {"language": {"type": "string", "pattern": "[a-z]{2}"},
                          "anchored": {"type": "string", "pattern": "^[a-z]{2}$"},
                          "free": {"type": "string"}}})",
      "suites/p.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  ASSERT_EQ(suite->field_rules.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const auto& pattern = suite->field_rules[i].compiled_pattern;
    ASSERT_NE(pattern, nullptr) << suite->field_rules[i].field;
    EXPECT_TRUE(pattern->FullMatch("en"));
    EXPECT_FALSE(pattern->FullMatch("eng"));  // whole value, not a substring
    EXPECT_FALSE(pattern->FullMatch("xen"));
    EXPECT_FALSE(pattern->FullMatch("EN"));
    EXPECT_FALSE(pattern->FullMatch("en\n"));
    EXPECT_FALSE(pattern->FullMatch(""));
  }
  EXPECT_EQ(suite->field_rules[2].compiled_pattern, nullptr);
}

TEST(SuitePatternTest, CatastrophicBacktrackingPatternAnswersAtOnce) {
  Result<Suite> suite = ParseSuite(
      R"({"field_rules": {"x": {"type": "string", "pattern": "^(a+)+$"}}})",
      "suites/p.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  const auto& pattern = suite->field_rules[0].compiled_pattern;
  ASSERT_NE(pattern, nullptr);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(pattern->FullMatch(std::string(34, 'a') + "b"));
  EXPECT_FALSE(pattern->FullMatch(std::string(100000, 'a') + "b"));
  EXPECT_TRUE(pattern->FullMatch(std::string(100000, 'a')));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(SuitePatternTest, DefaultCitationPatternTakesA60KilobyteValue) {
  Suite suite = DefaultSuite();
  const FieldRule* citation = nullptr;
  for (const auto& r : suite.field_rules) {
    if (r.field == "if_citation_uri") citation = &r;
  }
  ASSERT_NE(citation, nullptr);
  ASSERT_NE(citation->compiled_pattern, nullptr);
  const std::string good = "if://doc/" + std::string(60 * 1024, 'p');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(citation->compiled_pattern->FullMatch(good));
  EXPECT_FALSE(citation->compiled_pattern->FullMatch(good + " x"));  // whitespace in PATH
  EXPECT_FALSE(citation->compiled_pattern->FullMatch("if://Doc/" + std::string(60 * 1024, 'p')));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(SuiteBoundsTest, LargestAcceptedValuesLoad) {
  Result<Suite> suite = ParseSuite(
      R"({"queries": {"k": 10000, "sample_count": 100000, "self_retrieval_sample": 100000},
          "thresholds": {"duplicates": {"near_duplicate_sample": 20000},
                         "query_performance": {"queries": 1000000, "warmup": 1000000,
                                               "concurrency": 64, "max_seconds": 86400}},
          "max_findings": 100000})",
      "suites/big.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->queries.k, 10000);
  EXPECT_EQ(suite->queries.sample_count, 100000);
  EXPECT_EQ(suite->duplicates.near_duplicate_sample, 20000);
  EXPECT_EQ(suite->query_performance.queries, 1000000);
  EXPECT_EQ(suite->max_findings, 100000);
}

TEST(SuiteBoundsTest, DeepNestingIsRefusedWithItsPosition) {
  // 33 levels: deeper than any suite needs; refused before the parser sees it.
  std::string deep = "{\"description\": \"[[[ in a string do not count\",\n \"x\": ";
  for (int i = 0; i < 32; ++i) deep += "[";
  for (int i = 0; i < 32; ++i) deep += "]";
  deep += "}";
  Result<Suite> suite = ParseSuite(deep, "suites/deep.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(suite.status().message(), HasSubstr("suites/deep.json:2:38: "));
  EXPECT_THAT(suite.status().message(), HasSubstr("deeper than 32 levels"));

  // A million levels neither crash nor take long.
  std::string hostile(1000000, '[');
  suite = ParseSuite(hostile, "suites/hostile.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_THAT(suite.status().message(), HasSubstr("suites/hostile.json:1:33: "));

  // 31 levels inside the root object parse (and are then refused for the
  // unknown key, not for depth).
  std::string ok = "{\"x\": ";
  for (int i = 0; i < 31; ++i) ok += "[";
  for (int i = 0; i < 31; ++i) ok += "]";
  ok += "}";
  suite = ParseSuite(ok, "suites/ok.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_THAT(suite.status().message(), HasSubstr("unknown key \"x\""));
}

TEST(SuiteBoundsTest, HugeSuiteFileIsRefusedBeforeReading) {
  testutil::TempDir tmp;
  const std::string& dir = tmp.path();
  const std::string path = dir + "/huge.json";
  WriteFile(path, "{\"description\": \"" + std::string(17 << 20, 'x') + "\"}");
  Result<Suite> suite = LoadSuite(path);
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(suite.status().message(), HasSubstr(path));
  EXPECT_THAT(suite.status().message(), HasSubstr("a suite file is at most 16777216 bytes"));
}

// The threshold tables of the catalogue (suites/checks.h) are the one
// declaration of every threshold. These tests hold the loader, the shipped
// default suite, the JSON Schema and docs/checks.md to them.

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(SourcePath(relative));
  EXPECT_TRUE(in.good()) << relative;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string KeyPath(const CheckInfo& check, const ThresholdKey& key) {
  return std::string(check.name) + "." + std::string(key.key);
}

// Whether `value` holds the alternative `kind` names.
bool HoldsKind(const ThresholdValue& value, ThresholdKind kind) {
  switch (kind) {
    case ThresholdKind::kBool: return std::holds_alternative<bool>(value);
    case ThresholdKind::kInteger: return std::holds_alternative<int64_t>(value);
    case ThresholdKind::kNumber: return std::holds_alternative<double>(value);
    case ThresholdKind::kString: return std::holds_alternative<std::string>(value);
    case ThresholdKind::kIntegerList:
      return std::holds_alternative<std::vector<int64_t>>(value);
    case ThresholdKind::kStringList:
      return std::holds_alternative<std::vector<std::string>>(value);
  }
  return false;
}

// A value of the same kind that differs from `value`.
ThresholdValue Changed(const ThresholdValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return !*b;
  if (const int64_t* i = std::get_if<int64_t>(&value)) return *i + 1;
  if (const double* d = std::get_if<double>(&value)) return *d + 0.5;
  if (const std::string* s = std::get_if<std::string>(&value)) return *s + "_changed";
  if (const auto* ints = std::get_if<std::vector<int64_t>>(&value)) {
    std::vector<int64_t> more = *ints;
    more.push_back(7);
    return more;
  }
  std::vector<std::string> more = std::get<std::vector<std::string>>(value);
  more.push_back("changed");
  return more;
}

// Whether JSON `j` denotes `value` (numbers compared as numbers).
bool JsonDenotes(const nlohmann::json& j, const ThresholdValue& value) {
  if (const bool* b = std::get_if<bool>(&value)) return j.is_boolean() && j.get<bool>() == *b;
  if (const int64_t* i = std::get_if<int64_t>(&value)) {
    return j.is_number() && j.get<double>() == static_cast<double>(*i);
  }
  if (const double* d = std::get_if<double>(&value)) {
    return j.is_number() && j.get<double>() == *d;
  }
  if (const std::string* s = std::get_if<std::string>(&value)) {
    return j.is_string() && j.get<std::string>() == *s;
  }
  if (const auto* ints = std::get_if<std::vector<int64_t>>(&value)) {
    if (!j.is_array() || j.size() != ints->size()) return false;
    for (size_t i = 0; i < ints->size(); ++i) {
      if (!j[i].is_number_integer() || j[i].get<int64_t>() != (*ints)[i]) return false;
    }
    return true;
  }
  const auto& strings = std::get<std::vector<std::string>>(value);
  return j.is_array() && j == nlohmann::json(strings);
}

TEST(ThresholdTableTest, EveryKeyReadsAndWritesItsOwnMember) {
  const Suite defaults = DefaultSuite();
  for (const CheckInfo& check : AllChecks()) {
    std::set<std::string_view> names;
    for (const ThresholdKey& key : check.thresholds.keys) {
      SCOPED_TRACE(KeyPath(check, key));
      EXPECT_TRUE(names.insert(key.key).second) << "declared twice";
      EXPECT_FALSE(key.meaning.empty());
      ASSERT_TRUE(HoldsKind(key.get(defaults), key.kind));
      if (key.kind == ThresholdKind::kInteger || key.kind == ThresholdKind::kIntegerList) {
        EXPECT_TRUE(std::isfinite(key.range.min)) << "integers need a lower bound";
      }
      // Changing this key changes its value and no other key's.
      Suite suite = DefaultSuite();
      const ThresholdValue changed = Changed(key.get(suite));
      key.set(suite, changed);
      EXPECT_EQ(key.get(suite), changed);
      for (const CheckInfo& other_check : AllChecks()) {
        for (const ThresholdKey& other : other_check.thresholds.keys) {
          if (&other == &key) continue;
          EXPECT_EQ(other.get(suite), other.get(defaults))
              << "setting it changed " << KeyPath(other_check, other);
        }
      }
    }
  }
}

TEST(ThresholdTableTest, RulesNameDeclaredKeysOfTheirKind) {
  auto is_number = [](const ThresholdKey* k) {
    return k != nullptr &&
           (k->kind == ThresholdKind::kNumber || k->kind == ThresholdKind::kInteger);
  };
  auto is_list = [](const ThresholdKey* k) {
    return k != nullptr &&
           (k->kind == ThresholdKind::kIntegerList || k->kind == ThresholdKind::kStringList);
  };
  for (const CheckInfo& check : AllChecks()) {
    for (const ThresholdRule& rule : check.thresholds.rules) {
      SCOPED_TRACE(std::string(check.name) + ": rule on " + std::string(rule.key));
      const ThresholdKey* key = check.thresholds.Find(rule.key);
      const ThresholdKey* other = check.thresholds.Find(rule.other);
      switch (rule.kind) {
        case ThresholdRule::Kind::kNotAbove:
          EXPECT_TRUE(is_number(key) && is_number(other));
          break;
        case ThresholdRule::Kind::kNonEmptyWhen:
          EXPECT_TRUE(is_list(key));
          ASSERT_NE(other, nullptr);
          EXPECT_EQ(other->kind, ThresholdKind::kBool);
          break;
      }
    }
  }
}

// The built-in default written out: suites/seeds.json gives every declared
// key, no other, each with the value DefaultSuite() has.
TEST(ThresholdTableTest, SeedsJsonWritesOutEveryKeyWithItsDefault) {
  const nlohmann::json seeds = nlohmann::json::parse(ReadSourceFile("suites/seeds.json"));
  Result<Suite> loaded = LoadSuite(SourcePath("suites/seeds.json"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Suite defaults = DefaultSuite();
  const nlohmann::json& thresholds = seeds.at("thresholds");
  EXPECT_EQ(thresholds.size(), AllChecks().size());
  for (const CheckInfo& check : AllChecks()) {
    const std::string name(check.name);
    ASSERT_TRUE(thresholds.contains(name)) << name;
    const nlohmann::json& section = thresholds[name];
    EXPECT_EQ(section.size(), check.thresholds.keys.size()) << name;
    for (const ThresholdKey& key : check.thresholds.keys) {
      SCOPED_TRACE(KeyPath(check, key));
      ASSERT_TRUE(section.contains(std::string(key.key))) << "missing from seeds.json";
      EXPECT_TRUE(JsonDenotes(section[std::string(key.key)], key.get(defaults)));
      EXPECT_EQ(key.get(*loaded), key.get(defaults));
    }
  }
}

// Every key refuses JSON of another type and values outside its range, at
// its own path.
TEST(ThresholdTableTest, EveryKeyRefusesWrongTypesAndOutOfRangeValues) {
  auto expect_refused = [](const CheckInfo& check, const ThresholdKey& key,
                           const std::string& value_json, const std::string& problem) {
    const std::string json = R"({"thresholds": {")" + std::string(check.name) + R"(": {")" +
                             std::string(key.key) + R"(": )" + value_json + "}}}";
    Result<Suite> suite = ParseSuite(json, "suites/bad.json");
    ASSERT_FALSE(suite.ok()) << "accepted: " << json;
    EXPECT_THAT(suite.status().message(),
                HasSubstr("$.thresholds." + KeyPath(check, key) + ": expected "));
    EXPECT_THAT(suite.status().message(), HasSubstr(problem));
  };
  for (const CheckInfo& check : AllChecks()) {
    for (const ThresholdKey& key : check.thresholds.keys) {
      SCOPED_TRACE(KeyPath(check, key));
      expect_refused(check, key, R"({"a": 1})", "got an object {\"a\":1}");
      if (key.kind != ThresholdKind::kInteger && key.kind != ThresholdKind::kNumber) continue;
      if (std::isfinite(key.range.min)) {
        const std::string below = nlohmann::json(key.range.min - 1).dump();
        expect_refused(check, key, below, "got " + below);
      }
      if (std::isfinite(key.range.max)) {
        const std::string above = nlohmann::json(key.range.max + 1).dump();
        expect_refused(check, key, above, "got " + above);
      }
    }
  }
}

// data/schemas/suite.schema.json, for editors, describes the same keys with
// the same types and bounds.
TEST(ThresholdTableTest, JsonSchemaDeclaresTheSameKeys) {
  const nlohmann::json schema =
      nlohmann::json::parse(ReadSourceFile("data/schemas/suite.schema.json"));
  const nlohmann::json& sections = schema.at("properties").at("thresholds").at("properties");
  EXPECT_EQ(sections.size(), AllChecks().size());
  for (const CheckInfo& check : AllChecks()) {
    const std::string name(check.name);
    ASSERT_TRUE(sections.contains(name)) << name;
    const nlohmann::json& properties = sections[name].at("properties");
    EXPECT_EQ(properties.size(), check.thresholds.keys.size()) << name;
    for (const ThresholdKey& key : check.thresholds.keys) {
      SCOPED_TRACE(KeyPath(check, key));
      ASSERT_TRUE(properties.contains(std::string(key.key))) << "missing from the schema";
      const nlohmann::json& p = properties[std::string(key.key)];
      const bool list =
          key.kind == ThresholdKind::kIntegerList || key.kind == ThresholdKind::kStringList;
      const std::map<ThresholdKind, std::string> types = {
          {ThresholdKind::kBool, "boolean"},     {ThresholdKind::kInteger, "integer"},
          {ThresholdKind::kNumber, "number"},    {ThresholdKind::kString, "string"},
          {ThresholdKind::kIntegerList, "array"}, {ThresholdKind::kStringList, "array"}};
      EXPECT_EQ(p.at("type"), types.at(key.kind));
      const nlohmann::json& bounded = list ? p.at("items") : p;
      if (list) {
        EXPECT_EQ(p.value("uniqueItems", false), true);
      }
      if (std::isfinite(key.range.min)) {
        const char* minimum = key.range.above_min ? "exclusiveMinimum" : "minimum";
        ASSERT_TRUE(bounded.contains(minimum)) << minimum;
        EXPECT_EQ(bounded[minimum].get<double>(), key.range.min);
      }
      // The schema may leave out an upper bound that only guards memory.
      if (bounded.contains("maximum")) {
        EXPECT_EQ(bounded["maximum"].get<double>(), key.range.max);
      }
    }
  }
}

// docs/checks.md has one row `| `check.key` | default [unit] | meaning |`
// for every declared key, and no row for a key that is not declared.
TEST(ThresholdTableTest, ChecksMdDocumentsEveryKeyWithItsDefaultAndMeaning) {
  struct Row {
    std::string default_cell;
    std::string meaning;
  };
  std::map<std::string, Row> rows;
  std::istringstream doc(ReadSourceFile("docs/checks.md"));
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| `", 0) != 0 || line.size() < 4 || line.substr(line.size() - 2) != " |") {
      continue;
    }
    std::vector<std::string> cells;
    const std::string inner = line.substr(2, line.size() - 4);
    for (size_t start = 0;;) {
      size_t bar = inner.find(" | ", start);
      cells.push_back(inner.substr(start, bar - start));
      if (bar == std::string::npos) break;
      start = bar + 3;
    }
    const std::string& name = cells[0];
    if (cells.size() != 3 || name.size() < 3 || name.back() != '`' ||
        name.find('.') == std::string::npos || name.find(' ') != std::string::npos) {
      continue;
    }
    rows[name.substr(1, name.size() - 2)] = {cells[1], cells[2]};
  }

  const Suite defaults = DefaultSuite();
  std::set<std::string> declared;
  for (const CheckInfo& check : AllChecks()) {
    for (const ThresholdKey& key : check.thresholds.keys) {
      const std::string path = KeyPath(check, key);
      SCOPED_TRACE(path);
      declared.insert(path);
      auto row = rows.find(path);
      if (row == rows.end()) {
        ADD_FAILURE() << "docs/checks.md has no row for it";
        continue;
      }
      EXPECT_EQ(row->second.meaning, key.meaning);
      std::string cell = row->second.default_cell;
      if (!key.unit.empty()) {
        const std::string suffix = " " + std::string(key.unit);
        if (cell.size() <= suffix.size() ||
            cell.compare(cell.size() - suffix.size(), suffix.size(), suffix) != 0) {
          ADD_FAILURE() << "default \"" << cell << "\" without its unit \"" << key.unit
                        << "\"";
          continue;
        }
        cell.resize(cell.size() - suffix.size());
      }
      if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') {
        cell = cell.substr(1, cell.size() - 2);
      }
      const nlohmann::json value = key.kind == ThresholdKind::kString
                                       ? nlohmann::json(cell)
                                       : nlohmann::json::parse(cell, nullptr, false);
      EXPECT_TRUE(JsonDenotes(value, key.get(defaults)))
          << "documented default \"" << row->second.default_cell << "\"";
    }
  }
  for (const auto& [path, row] : rows) {
    EXPECT_EQ(declared.count(path), 1u) << "docs/checks.md documents " << path
                                        << ", which no check declares";
  }
}

TEST(ParseSuiteTest, SyntaxErrorNamesFileLineAndColumn) {
  Result<Suite> suite = ParseSuite("{\n  \"name\": \"x\",\n  \"k\": ,\n}\n",
                                   "suites/broken.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(suite.status().message(), HasSubstr("suites/broken.json:3:8: "));
  EXPECT_THAT(suite.status().message(), HasSubstr("not valid JSON"));
  EXPECT_THAT(suite.status().message(),
              ::testing::Not(HasSubstr("json.exception")));
}

TEST(ParseSuiteTest, TruncatedFileNamesItsEnd) {
  Result<Suite> suite = ParseSuite("{\"name\": \"x\"", "t.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_THAT(suite.status().message(), HasSubstr("t.json:1:"));
}

TEST(LoadSuiteTest, MissingFileIsNotFoundWithPath) {
  Result<Suite> suite = LoadSuite("/nonexistent/dir/suite.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_EQ(suite.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(suite.status().message(),
              HasSubstr("/nonexistent/dir/suite.json"));
}

TEST(LoadSuiteTest, ResolvesRegistryAndQueriesRelativeToTheSuiteFile) {
  testutil::TempDir tmp;
  const std::string& dir = tmp.path();
  WriteFile(dir + "/registry.txt",
            "# known citations\nif://talk/2019/keynote\n\n  if://book/ch1  \r\n"
            "if://talk/2019/keynote\n");
  WriteFile(dir + "/queries.jsonl", "[0.1, 0.2]\n");
  WriteFile(dir + "/suite.json", R"({
    "citation_registry": ["if://paper/x"],
    "citation_registry_file": "registry.txt",
    "queries": {"file": "queries.jsonl", "sample_count": 0}
  })");
  Result<Suite> suite = LoadSuite(dir + "/suite.json");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  EXPECT_EQ(suite->citation_registry_file, dir + "/registry.txt");
  EXPECT_EQ(suite->citation_registry,
            (std::vector<std::string>{"if://paper/x", "if://talk/2019/keynote",
                                      "if://book/ch1"}));
  EXPECT_EQ(suite->queries.queries_file, dir + "/queries.jsonl");
  EXPECT_EQ(suite->queries.sample_count, 0);
  EXPECT_EQ(suite->name, "suite");
}

TEST(LoadSuiteTest, ErrorsInAFileNameThatFile) {
  testutil::TempDir tmp;
  const std::string& dir = tmp.path();
  WriteFile(dir + "/gate.json",
            R"({"thresholds": {"duplicates": {"fail_percent": "1%"}}})");
  Result<Suite> suite = LoadSuite(dir + "/gate.json");
  ASSERT_FALSE(suite.ok());
  EXPECT_THAT(suite.status().message(), HasSubstr(dir + "/gate.json"));
  EXPECT_THAT(
      suite.status().message(),
      HasSubstr("$.thresholds.duplicates.fail_percent: expected a number "
                "between 0 and 100, got \"1%\""));
}

}  // namespace
}  // namespace vecgate
