// Verdicts only from consistent reads, against the real Chroma server and a
// jsonl file: an application writes the stores while vecgate reads them.
//
// The writes happen at a known moment: from the runner's progress callback,
// page by page during the first read (or during every read), through a
// second client of the same server. So each test knows which read was
// disturbed and asserts what a user would: never a missing or duplicate id
// that was not there; a verdict right for what the stores hold once they
// are quiet; or, when they never are, exit 3's "changed while it was read".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "codec/record_json.h"
#include "harness/runner.h"
#include "stores/http_client.h"
#include "stores/jsonl_store.h"
#include "suites/suite.h"
#include "tests/chroma_test_env.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::ChromaTestServer;

constexpr size_t kRecords = 1200;
constexpr size_t kDim = 16;

RecordBatch Corpus(size_t n, const std::string& prefix = "doc-") {
  RecordBatch b;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v(kDim);
    for (size_t d = 0; d < kDim; ++d) {
      v[d] = static_cast<float>(((i * 2654435761u + d * 40503u) % 1000) / 500.0 - 1.0);
    }
    Metadata m;
    m["source"] = std::string("file-") + std::to_string(i % 17) + ".md";
    m["chunk_index"] = static_cast<int64_t>(i % 40);
    b.Add(prefix + std::to_string(i), "chunk " + std::to_string(i) + " of the manual",
          m, v.data(), kDim);
  }
  return b;
}

// A second client of the test server, as the application writing to it.
class ChromaWriter {
 public:
  explicit ChromaWriter(const std::string& uri) : uri_(uri) {
    auto store = OpenStore(uri, OpenOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    // chroma://127.0.0.1:PORT/default_tenant/DB
    const std::string rest = uri.substr(std::string("chroma://").size());
    const size_t slash = rest.find('/');
    HttpClientOptions options;
    options.base_url = "http://" + rest.substr(0, slash);
    options.use_env_token = false;
    client_ = std::move(HttpClient::Create(options)).value();
    database_path_ = "/api/v2/tenants/default_tenant/databases/" +
                     rest.substr(rest.rfind('/') + 1);
  }

  Store& store() { return *store_; }

  // Deletes `ids` and adds the same records again: the content never
  // changes, but every one of them moves to the end of the scan order.
  void Rewrite(const std::string& collection, const std::vector<std::string>& ids) {
    Include all;
    auto records = store_->Get(collection, ids, all);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    Delete(collection, ids);
    ASSERT_TRUE(store_->Add(collection, *records).ok());
  }

  void Delete(const std::string& collection, const std::vector<std::string>& ids) {
    std::string body;
    auto got = client_->Send(HttpMethod::kGet, database_path_ + "/collections/" + collection,
                             "", &body);
    ASSERT_TRUE(got.ok() && got->status == 200) << body;
    const std::string id = nlohmann::json::parse(body.c_str())["id"].get<std::string>();
    auto deleted = client_->Send(HttpMethod::kPost,
                                 database_path_ + "/collections/" + id + "/delete",
                                 nlohmann::json({{"ids", ids}}).dump(), &body);
    ASSERT_TRUE(deleted.ok() && deleted->status == 200) << body;
  }

 private:
  std::string uri_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<HttpClient> client_;
  std::string database_path_;
};

struct Stores {
  std::string old_uri, new_uri;
  std::unique_ptr<Store> old_store, new_store;
};

Stores TwoCopies(const std::string& hint) {
  Stores s;
  s.old_uri = ChromaTestServer::Get().NewDatabaseUri(hint + "_old");
  s.new_uri = ChromaTestServer::Get().NewDatabaseUri(hint + "_new");
  s.old_store = std::move(OpenStore(s.old_uri, OpenOptions())).value();
  s.new_store = std::move(OpenStore(s.new_uri, OpenOptions())).value();
  CollectionInfo info;
  info.name = "docs";
  info.space = DistanceSpace::kL2;  // vectors come back exactly as written
  for (Store* store : {s.old_store.get(), s.new_store.get()}) {
    EXPECT_TRUE(store->CreateCollection(info).ok());
    EXPECT_TRUE(store->Add("docs", Corpus(kRecords)).ok());
  }
  return s;
}

// The ids the scan has already passed after `done` records (the first ones
// in scan order, which is insertion order on Chroma).
std::vector<std::string> Behind(size_t done, size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n && i < done; ++i) ids.push_back("doc-" + std::to_string(done - 1 - i));
  return ids;
}

Suite Checks(double settle_seconds = 60) {
  Suite suite = DefaultSuite();
  suite.reads.settle_seconds = settle_seconds;
  // Only the checks that join ids: the others read the same pages.
  for (const char* off : {"semantic_divergence", "query_performance"}) {
    suite.enabled_checks[off] = false;
  }
  return suite;
}

const CheckResult* Find(const ValidationReport& r, const std::string& name) {
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

// The runner's stage names: "old docs", "new docs".
struct Disturbance {
  int reads_of_new = 0;      // how many times the new scan started
  int disturb_reads = 1;     // the first N reads of new are written to
};

TEST(LiveReadTest, InPlaceRewritesDuringTheReadAreNeverMissingOrDuplicateIds) {
  Stores s = TwoCopies("rewrite");
  ChromaWriter writer(s.new_uri);
  Disturbance d;
  RunOptions options;
  options.page_size = 100;
  options.progress = [&](const std::string& stage, int64_t done, int64_t) {
    if (stage != "new docs") return;
    if (done == 0) ++d.reads_of_new;
    // Move ten records the cursor has passed to the end: the scan then
    // skips ten records and reads these ten again.
    if (d.reads_of_new <= d.disturb_reads && done > 0 && done < 1000) {
      writer.Rewrite("docs", Behind(static_cast<size_t>(done), 10));
    }
  };
  auto report = RunValidation(*s.old_store, *s.new_store, Checks(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(d.reads_of_new, 2) << "the disturbed read must have been read again";
  EXPECT_EQ(report->overall_status, OverallStatus::kPassed) << Notes(*report);
  const CheckResult* count = Find(*report, "count");
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(count->status, CheckStatus::kPass) << count->summary;
  EXPECT_TRUE(count->findings.empty());
  const CheckResult* duplicates = Find(*report, "duplicates");
  ASSERT_NE(duplicates, nullptr);
  EXPECT_EQ(duplicates->status, CheckStatus::kPass) << duplicates->summary;
  EXPECT_THAT(Notes(*report), HasSubstr("read 2 times"));
  EXPECT_THAT(Notes(*report), HasSubstr("ids read twice"));
  // The read the verdict came from says it was quiet.
  ASSERT_EQ(report->read_consistency.size(), 2u);
  for (const auto& read : report->read_consistency) {
    EXPECT_FALSE(read["changed_while_read"].get<bool>()) << read.dump();
  }
}

TEST(LiveReadTest, AStoreThatNeverStopsChangingEndsInExitThreeWithTheEvidence) {
  Stores s = TwoCopies("restless");
  ChromaWriter writer(s.new_uri);
  RunOptions options;
  options.page_size = 100;
  options.progress = [&](const std::string& stage, int64_t done, int64_t) {
    if (stage == "new docs" && done > 0 && done < 1000) {
      writer.Rewrite("docs", Behind(static_cast<size_t>(done), 10));
    }
  };
  auto report = RunValidation(*s.old_store, *s.new_store, Checks(/*settle_seconds=*/0), options);
  ASSERT_FALSE(report.ok()) << "a verdict was built on a moving cursor";
  EXPECT_THAT(report.status().message(), HasSubstr("changed while it was read"));
  EXPECT_THAT(report.status().message(), HasSubstr("new docs"));
  EXPECT_THAT(report.status().message(), HasSubstr("not confirmed by a second look"));
}

TEST(LiveReadTest, AppendsDuringTheReadAreJudgedOnAQuietRead) {
  Stores s = TwoCopies("append");
  ChromaWriter writer(s.new_uri);
  Disturbance d;
  RunOptions options;
  options.page_size = 100;
  options.progress = [&](const std::string& stage, int64_t done, int64_t) {
    if (stage != "new docs") return;
    if (done == 0) ++d.reads_of_new;
    if (d.reads_of_new == 1 && done == 500) {
      ASSERT_TRUE(writer.store().Add("docs", Corpus(50, "late-")).ok());
    }
  };
  auto report = RunValidation(*s.old_store, *s.new_store, Checks(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(d.reads_of_new, 2);
  // The stores now differ by the 50 appended records: that is what they
  // hold, and the verdict says it, from a read that saw one state.
  const CheckResult* count = Find(*report, "count");
  ASSERT_NE(count, nullptr);
  EXPECT_EQ(report->new_records, static_cast<int64_t>(kRecords + 50));
  EXPECT_THAT(count->summary, HasSubstr("50"));
  EXPECT_THAT(Notes(*report), HasSubstr("count 1200 before the scan, 1250 after"));
}

TEST(LiveReadTest, AWriterThatCorruptsRecordsIsCaughtOnTheQuietRead) {
  Stores s = TwoCopies("corrupt");
  ChromaWriter writer(s.new_uri);
  Disturbance d;
  RunOptions options;
  options.page_size = 100;
  options.progress = [&](const std::string& stage, int64_t done, int64_t) {
    if (stage != "new docs") return;
    if (done == 0) ++d.reads_of_new;
    if (d.reads_of_new == 1 && done == 300) {
      // Replace three documents with other text, as a bad writer would.
      std::vector<std::string> ids = {"doc-10", "doc-700", "doc-1100"};
      Include all;
      RecordBatch records = std::move(writer.store().Get("docs", ids, all)).value();
      for (auto& doc : records.mutable_documents()) doc = "garbled";
      writer.Delete("docs", ids);
      ASSERT_TRUE(writer.store().Add("docs", records).ok());
    }
  };
  auto report = RunValidation(*s.old_store, *s.new_store, Checks(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->overall_status, OverallStatus::kFailed);
  const CheckResult* content = Find(*report, "content");
  ASSERT_NE(content, nullptr);
  std::vector<std::string> ids;
  for (const auto& f : content->findings) ids.push_back(f.id);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("doc-10", "doc-700", "doc-1100"));
  const CheckResult* count = Find(*report, "count");
  EXPECT_EQ(count->status, CheckStatus::kPass) << count->summary;
}

TEST(LiveReadTest, DualWritesAreComparedOnceBothStoresHaveThem) {
  Stores s = TwoCopies("dual");
  ChromaWriter old_writer(s.old_uri), new_writer(s.new_uri);
  Disturbance d;
  RunOptions options;
  options.page_size = 100;
  int reads_of_old = 0;
  options.progress = [&](const std::string& stage, int64_t done, int64_t) {
    if (stage != "old docs") return;
    if (done == 0) ++reads_of_old;
    // The application adds the same records to both stores while the old
    // store is read: the old scan stops at the count it started with, the
    // new scan, later, sees them: extras that the old store refutes.
    if (reads_of_old == 1 && done == 400) {
      RecordBatch late = Corpus(30, "dual-");
      ASSERT_TRUE(old_writer.store().Add("docs", late).ok());
      ASSERT_TRUE(new_writer.store().Add("docs", late).ok());
    }
  };
  Suite suite = Checks();
  suite.reads.live = true;
  auto report = RunValidation(*s.old_store, *s.new_store, suite, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->overall_status, OverallStatus::kPassed) << Notes(*report);
  EXPECT_EQ(reads_of_old, 2);
  EXPECT_EQ(report->old_records, static_cast<int64_t>(kRecords + 30));
  EXPECT_EQ(report->new_records, static_cast<int64_t>(kRecords + 30));
  EXPECT_THAT(Notes(*report), HasSubstr("live"));
  EXPECT_THAT(Notes(*report), HasSubstr("not in the scan, present by id"));
}

TEST(LiveReadTest, AJsonlFileAppendedDuringTheReadIsReadAgain) {
  const std::string dir = ::testing::TempDir();
  const std::string old_path = dir + "/live_old.jsonl", new_path = dir + "/live_new.jsonl";
  std::remove(old_path.c_str());
  std::remove(new_path.c_str());
  for (const std::string& path : {old_path, new_path}) {
    auto store = std::move(OpenJsonlFile(path)).value();
    CollectionInfo info;
    info.name = "docs";
    ASSERT_TRUE(store->CreateCollection(info).ok());
    ASSERT_TRUE(store->Add("docs", Corpus(300)).ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  auto old_store = std::move(OpenStore("jsonl:" + old_path, OpenOptions())).value();
  auto new_store = std::move(OpenStore("jsonl:" + new_path, OpenOptions())).value();
  int reads = 0;
  RunOptions options;
  options.page_size = 50;
  options.progress = [&](const std::string& stage, int64_t done, int64_t) {
    if (stage != "new docs") return;
    if (done == 0) ++reads;
    if (reads == 1 && done == 100) {
      std::ofstream(new_path, std::ios::app) << "\n";  // a writer touches the file
    }
  };
  auto report = RunValidation(*old_store, *new_store, Checks(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(reads, 2);
  EXPECT_EQ(report->overall_status, OverallStatus::kPassed) << Notes(*report);
  EXPECT_THAT(Notes(*report), HasSubstr("bytes, modified"));
}

}  // namespace
}  // namespace vecgate
