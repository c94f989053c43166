// The id mapping, end to end through the runner and every check: a copy
// whose ids a library rewrote passes once the mapping is given, faults stay
// faults, and a gate without the mapping says which flag would match.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/mapped_store.h"
#include "harness/runner.h"
#include "testutil/run_check.h"

namespace vecgate {
namespace {

using testutil::MakeBatch;
using testutil::MemoryStore;

TEST(Uuid5Test, MatchesRfc4122) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  auto dns = ParseIdMapping("uuid5:dns");
  ASSERT_TRUE(dns.ok());
  EXPECT_EQ(Uuid5(dns->ns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  auto explicit_ns = ParseIdMapping("uuid5:6BA7B810-9DAD-11D1-80B4-00C04FD430C8");
  ASSERT_TRUE(explicit_ns.ok());
  EXPECT_EQ(explicit_ns->ns, dns->ns);
}

TEST(IdMappingTest, ParsesTheThreeFormsAndSaysThemOnAnythingElse) {
  EXPECT_TRUE(ParseIdMapping("id")->identity());
  auto m = ParseIdMapping("metadata.chroma_id");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, IdMapping::Kind::kMetadata);
  EXPECT_EQ(m->key, "chroma_id");
  for (const char* bad : {"metadata.", "uuid5:nope", "uuid5:", "meta.x", "ID"}) {
    auto r = ParseIdMapping(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("metadata.KEY"), std::string::npos) << bad;
  }
}

// The old corpus, and the same records as LangChain JS writes them: a uuid
// id, the old id under metadata.chroma_id.
struct Rekeyed {
  MemoryStore old_store, new_store;
  RecordBatch old_batch;
  RecordBatch new_batch;
};

RecordBatch WithMetadata(RecordBatch b) {
  for (size_t i = 0; i < b.size(); ++i) {
    Metadata m;
    m["source"] = std::string("doc-") + std::to_string(i % 9);
    m["score"] = 1.0;
    b.mutable_metadatas()[i] = m;
    b.mutable_documents()[i] = "chunk " + std::to_string(i);
  }
  return b;
}

RecordBatch Rekey(const RecordBatch& old_batch, const IdMapping& mapping) {
  RecordBatch b = old_batch;
  for (size_t i = 0; i < b.size(); ++i) {
    if (mapping.kind == IdMapping::Kind::kMetadata) {
      (*b.mutable_metadatas()[i])[mapping.key] = b.id(i);
      b.mutable_ids()[i] = "row-" + std::to_string(1000 + i);
    } else {
      b.mutable_ids()[i] = Uuid5(mapping.ns, b.id(i));
    }
  }
  return b;
}

const CheckResult* Check(const ValidationReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string Notes(const ValidationReport& r) {
  std::string out;
  for (const auto& n : r.notes) out += n + "\n";
  return out;
}

Result<ValidationReport> Validate(MemoryStore& o, MemoryStore& n, const Suite& suite) {
  RunOptions options;
  options.page_size = 13;
  return RunValidation(o, n, suite, options);
}

class IdMappingGateTest : public ::testing::TestWithParam<std::string> {};

TEST_P(IdMappingGateTest, ARekeyedCleanCopyPassesWithTheMappingAndSaysHowWithout) {
  const IdMapping mapping = *ParseIdMapping(GetParam());
  MemoryStore o, n;
  RecordBatch old_batch = WithMetadata(MakeBatch("chunk", 300, 8, 5));
  o.AddCollection("docs", DistanceSpace::kCosine, 8, old_batch);
  n.AddCollection("docs", DistanceSpace::kCosine, 8, Rekey(old_batch, mapping));
  o.set_can_query(true);
  n.set_can_query(true);

  // Without the mapping: nothing matches, and the report names the flag.
  auto unmapped = Validate(o, n, DefaultSuite());
  ASSERT_TRUE(unmapped.ok()) << unmapped.status().ToString();
  EXPECT_EQ(unmapped->overall_status, OverallStatus::kFailed);
  const std::string flag = mapping.kind == IdMapping::Kind::kMetadata
                               ? "--new-id metadata.chroma_id"
                               : "--new-id uuid5:dns";
  EXPECT_NE(Notes(*unmapped).find(flag), std::string::npos) << Notes(*unmapped);

  // With it: every check passes, the key is not content.
  Suite suite = DefaultSuite();
  suite.new_id = mapping;
  auto mapped = Validate(o, n, suite);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  for (const auto& c : mapped->checks) {
    EXPECT_EQ(c.status, CheckStatus::kPass) << c.name << ": " << c.summary;
  }
  EXPECT_EQ(mapped->overall_status, OverallStatus::kPassed);
  EXPECT_EQ(Notes(*mapped).find("--new-id"), std::string::npos) << Notes(*mapped);
}

INSTANTIATE_TEST_SUITE_P(Forms, IdMappingGateTest,
                         ::testing::Values("metadata.chroma_id", "uuid5:dns"),
                         [](const auto& info) {
                           return info.param[0] == 'm' ? std::string("Metadata")
                                                       : std::string("Uuid5");
                         });

// Faults under a mapping are still faults, named by the old ids.
TEST(IdMappingGateTest, DroppedRecordsAndRecordsWithoutTheKeyAreNamed) {
  const IdMapping mapping = *ParseIdMapping("metadata.chroma_id");
  MemoryStore o, n;
  RecordBatch old_batch = WithMetadata(MakeBatch("chunk", 200, 8, 5));
  o.AddCollection("docs", DistanceSpace::kCosine, 8, old_batch);
  RecordBatch rekeyed = Rekey(old_batch, mapping);
  RecordBatch kept;
  for (size_t i = 0; i < rekeyed.size(); ++i) {
    if (i == 3) continue;  // dropped
    kept.AddFrom(rekeyed, i);
  }
  kept.mutable_metadatas()[10]->erase("chroma_id");  // old id lost
  // Two rows claiming one old id.
  kept.AddFrom(rekeyed, 20);
  kept.mutable_ids().back() = "row-extra";
  n.AddCollection("docs", DistanceSpace::kCosine, 8, kept);

  Suite suite = DefaultSuite();
  suite.new_id = mapping;
  auto r = Validate(o, n, suite);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->overall_status, OverallStatus::kFailed);
  const CheckResult* count = Check(*r, "count");
  ASSERT_NE(count, nullptr);
  std::vector<std::string> ids;
  for (const auto& f : count->findings) ids.push_back(f.id + " " + f.problem);
  auto has = [&](const std::string& needle) {
    return std::any_of(ids.begin(), ids.end(),
                       [&](const std::string& s) { return s.find(needle) != std::string::npos; });
  };
  EXPECT_TRUE(has(old_batch.id(3))) << ::testing::PrintToString(ids);
  EXPECT_TRUE(has(old_batch.id(11))) << ::testing::PrintToString(ids);  // kept[10] is old 11
  EXPECT_TRUE(has("row-1011 (no metadata.chroma_id)")) << ::testing::PrintToString(ids);
  const CheckResult* duplicates = Check(*r, "duplicates");
  ASSERT_NE(duplicates, nullptr);
  EXPECT_NE(duplicates->status, CheckStatus::kPass) << duplicates->summary;
  EXPECT_NE(Notes(*r).find("1 records of"), std::string::npos) << Notes(*r);
}

}  // namespace
}  // namespace vecgate
