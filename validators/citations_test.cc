// Unit tests of citations: malformed URIs, citations changed or dropped
// between old and new, unresolved against a registry, and the thresholds.
#include <gtest/gtest.h>

#include "validators/validator.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::FindingIds;
using testutil::MemoryStore;
using testutil::RunCheck;

RecordBatch Cited(size_t n) {
  RecordBatch b;
  float v[2] = {1, 2};
  for (size_t i = 0; i < n; ++i) {
    Metadata m = {{"if_citation_uri", std::string("if://doc/runbook-" + std::to_string(i) + ".md")}};
    b.Add("c-" + std::to_string(i), std::nullopt, m, v, 2);
  }
  return b;
}

Result<CheckResult> RunCitations(const RecordBatch& old_b, const RecordBatch& new_b,
                                 const Suite& suite = Suite()) {
  MemoryStore o, n;
  o.AddCollection("c", DistanceSpace::kL2, 2, old_b);
  n.AddCollection("c", DistanceSpace::kL2, 2, new_b);
  auto v = NewCitationsValidator();
  return RunCheck(*v, suite, o, n, 100);
}

void SetCitation(RecordBatch& b, size_t i, std::optional<MetadataValue> value) {
  Metadata m;
  if (value) m["if_citation_uri"] = *value;
  b.mutable_metadatas()[i] = m;
}

TEST(CitationsTest, UnchangedWellFormedCitationsPass) {
  auto r = RunCitations(Cited(100), Cited(100));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kPass) << r->summary;
}

TEST(CitationsTest, MalformedIsCaught) {
  RecordBatch old_b = Cited(100);
  const char* bad[] = {"http://doc/x", "if://Doc/x", "if://doc/", "if://doc/a b",
                       "if:///x", "if://doc"};
  for (size_t i = 0; i < 6; ++i) SetCitation(old_b, i, MetadataValue(std::string(bad[i])));
  SetCitation(old_b, 6, MetadataValue(int64_t{7}));
  // The migration made them malformed.
  auto r = RunCitations(Cited(100), old_b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, CheckStatus::kFail);
  EXPECT_EQ(FindingIds(*r, "malformed"),
            (std::vector<std::string>{"c-0", "c-1", "c-2", "c-3", "c-4", "c-5", "c-6"}));
  EXPECT_EQ(r->metrics["changed_count"], 7);

  // The same in both stores: the old store's own, listed apart; they count
  // only when the suite says pre_existing "fail".
  auto same = RunCitations(old_b, old_b);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->status, CheckStatus::kPass) << same->summary;
  EXPECT_TRUE(same->findings.empty());
  EXPECT_EQ(same->preexisting_total, 7);
  Suite strict;
  strict.pre_existing = PreExistingPolicy::kFail;
  EXPECT_EQ(RunCitations(old_b, old_b, strict)->status, CheckStatus::kFail);
}

TEST(CitationsTest, ChangedOrDroppedCitationIsCaught) {
  RecordBatch new_b = Cited(2000);
  SetCitation(new_b, 5, MetadataValue(std::string("if://doc/other.md")));
  auto r = RunCitations(Cited(2000), new_b);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FindingIds(*r, "changed"), std::vector<std::string>{"c-5"});
  EXPECT_EQ(r->status, CheckStatus::kWarn);  // 0.05 %
  SetCitation(new_b, 9, std::nullopt);
  SetCitation(new_b, 10, MetadataValue(std::monostate()));
  auto r2 = RunCitations(Cited(2000), new_b);
  EXPECT_EQ(FindingIds(*r2, "changed"), (std::vector<std::string>{"c-10", "c-5", "c-9"}));
  EXPECT_EQ(r2->status, CheckStatus::kFail);  // 0.15 %
}

TEST(CitationsTest, UnresolvedAgainstRegistry) {
  Suite suite;
  for (int i = 0; i < 10; ++i) {
    if (i != 4) suite.citation_registry.push_back("if://doc/runbook-" + std::to_string(i) + ".md");
  }
  // c-4 was unresolved in the old store as well: pre-existing.
  auto r = RunCitations(Cited(10), Cited(10), suite);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->preexisting_findings.size(), 1u);
  EXPECT_EQ(r->preexisting_findings[0].id, "c-4");
  EXPECT_EQ(r->preexisting_findings[0].problem, "unresolved");
  EXPECT_EQ(r->status, CheckStatus::kPass);
  suite.pre_existing = PreExistingPolicy::kFail;
  EXPECT_EQ(RunCitations(Cited(10), Cited(10), suite)->status, CheckStatus::kFail);
  EXPECT_EQ(RunCitations(Cited(10), Cited(10))->status, CheckStatus::kPass);
}

}  // namespace
}  // namespace vecgate
