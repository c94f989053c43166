// The gate on migrations that the real libraries wrote: a fixture collection
// goes from the real Chroma into PGlite through LangChain (Python and JS)
// and LlamaIndex (Python and TS), with the existing embeddings, exactly as an
// application developer does it (tools/clients). Then `vecgate validate`, the
// binary a user runs, reads PostgreSQL in the library's layout:
//
//   - a clean migration is not FAILED: with the id mapping where the library
//     re-keys records (`--new-id metadata.chroma_id`), whole floats that
//     JavaScript wrote back as ints, and the library's own metadata keys;
//   - without the mapping, the report names the flag that would match;
//   - dropped records, replaced vectors and stringified values each FAIL by
//     the check about them, naming the records the writer's fault log lists.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stores/postgres_store.h"
#include "tests/chroma_test_env.h"
#include "tests/postgres_test_env.h"
#include "tests/test_server.h"

namespace vecgate {
namespace {

using ::testing::HasSubstr;
using testutil::ChromaTestServer;
using testutil::PostgresTestServer;
using testutil::RunCommand;
using testutil::TempDir;

// 50 records at --scale 0.05: 4 % of them is 2 records a fault.
constexpr char kCollection[] = "sergio_personality";

struct Library {
  std::string writer;  // tools/clients/run_writer.sh's WRITER
  // The writer's options for tables named after `target`.
  std::function<std::string(const std::string& target)> write_options;
  // The URI parameters that read it back, and the collection it lands in.
  std::function<std::string(const std::string& target)> read_params;
  std::function<std::string(const std::string& target)> collection;
  std::string new_id;  // --new-id, "" when the library keeps the ids
  // The library's two tables hold every collection, with ids unique across
  // them: LangChain Python upserts by id and leaves an existing row in its
  // collection, so a second copy of the same ids would land nowhere. Each
  // run starts from no tables (the PostgreSQL tests run one at a time).
  bool fresh_tables = false;
};

void PrintTo(const Library& library, std::ostream* os) { *os << library.writer; }

std::vector<Library> Libraries() {
  auto named = [](const std::string& t) { return t; };
  auto chroma_name = [](const std::string&) { return std::string(kCollection); };
  return {
      {"langchain_py", [](const std::string& t) { return " --target " + t; },
       [](const std::string&) { return std::string("?layout=langchain"); }, named, "",
       /*fresh_tables=*/true},
      {"llamaindex_py", [](const std::string& t) { return " --target " + t; },
       [](const std::string&) { return std::string("?layout=llamaindex"); }, named, ""},
      {"langchain_js",
       [](const std::string& t) { return " --table " + t + " --collection-table " + t + "_coll"; },
       [](const std::string& t) {
         return "?layout=langchain-js&table=" + t + "&collection_table=" + t + "_coll";
       },
       chroma_name, "metadata.chroma_id"},
      {"llamaindex_js", [](const std::string& t) { return " --table " + t; },
       [](const std::string& t) { return "?layout=llamaindex-ts&table=" + t; }, chroma_name,
       "metadata.chroma_id"},
  };
}

class RealMigrationGateTest : public ::testing::TestWithParam<Library> {
 protected:
  static void SetUpTestSuite() {
    chroma_uri_ = new std::string(ChromaTestServer::Get().NewDatabaseUri("real_writers"));
    std::string out;
    ASSERT_EQ(RunCommand(std::string(VECGATE_CLI) + " fixtures load --store " + *chroma_uri_ +
                             " --create-database --scale 0.05 --dimension 64",
                         &out),
              0)
        << out;
  }

  // Runs the library's writer into fresh tables; returns the collection's
  // URI and name on the PostgreSQL side, and the fault log.
  struct Written {
    std::string uri, collection;
    nlohmann::json faults;
  };
  Written Write(const std::string& inject) {
    const Library& library = GetParam();
    static std::atomic<int> counter{0};
    const std::string target =
        "g_" + library.writer + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    const std::string rest = chroma_uri_->substr(std::string("chroma://").size());
    const std::string fault_log = dir_.path() + "/" + target + ".faults.json";
    std::string pg = PostgresTestServer::Get().BaseUri();
    if (library.fresh_tables) {
      Status dropped = ExecutePostgres(
          pg, "DROP TABLE IF EXISTS langchain_pg_embedding, langchain_pg_collection CASCADE");
      EXPECT_TRUE(dropped.ok()) << dropped.ToString();
    }
    std::string command = std::string(VECGATE_SOURCE_DIR) + "/tools/clients/run_writer.sh " +
                          library.writer + " --chroma http://" + rest.substr(0, rest.find('/')) +
                          " --database " + rest.substr(rest.rfind('/') + 1) +
                          " --collection " + kCollection + " --pg " + pg +
                          library.write_options(target) +
                          " --seed 5 --fault-log " + fault_log;
    if (!inject.empty()) command += " --inject " + inject;
    std::string out;
    EXPECT_EQ(RunCommand(command, &out), 0) << out;
    Written w;
    w.uri = PostgresTestServer::Get().BaseUri() + library.read_params(target);
    w.collection = library.collection(target);
    std::ifstream log(fault_log);
    w.faults = log ? nlohmann::json::parse(log) : nlohmann::json::object();
    return w;
  }

  // `vecgate validate` of the one collection; returns the exit code and the
  // JSON report.
  int Validate(const Written& w, const std::string& new_id, nlohmann::json* report) {
    const std::string suite = dir_.path() + "/suite_" + std::to_string(runs_) + ".json";
    std::ofstream(suite) << nlohmann::json{
        {"mappings", {{{"source", kCollection}, {"target", w.collection}}}},
        {"strict_collections", false}}
                                .dump();
    const std::string reports = dir_.path() + "/reports_" + std::to_string(runs_++);
    std::string out;
    const int code = RunCommand(std::string(VECGATE_CLI) + " validate --old " + *chroma_uri_ +
                                    " --new '" + w.uri + "' --suite " + suite +
                                    (new_id.empty() ? "" : " --new-id " + new_id) +
                                    " --report-dir " + reports,
                                &out);
    std::ifstream in(reports + "/validation_report.json");
    EXPECT_TRUE(in.good()) << out;
    *report = in ? nlohmann::json::parse(in) : nlohmann::json::object();
    return code;
  }

  static const nlohmann::json* Check(const nlohmann::json& report, const std::string& name) {
    for (const auto& c : report["checks"]) {
      if (c["name"] == name) return &c;
    }
    return nullptr;
  }

  static std::set<std::string> FindingIds(const nlohmann::json& check) {
    std::set<std::string> ids;
    for (const auto& f : check["findings"]) ids.insert(f["id"].get<std::string>());
    return ids;
  }

  static std::string* chroma_uri_;
  TempDir dir_;
  int runs_ = 0;
};

std::string* RealMigrationGateTest::chroma_uri_ = nullptr;

TEST_P(RealMigrationGateTest, ACleanMigrationIsNotFailed) {
  const Written w = Write("");
  nlohmann::json report;
  const int code = Validate(w, GetParam().new_id, &report);
  // PASSED, or WARNING where the library builds no HNSW index or adds keys
  // of its own (docs/pgvector.md): never FAILED.
  EXPECT_THAT(code, ::testing::AnyOf(0, 1)) << report.dump(1);
  for (const char* name : {"count", "embedding_integrity", "duplicates", "citations",
                           "field_types", "metadata_completeness"}) {
    const nlohmann::json* check = Check(report, name);
    ASSERT_NE(check, nullptr) << name;
    EXPECT_EQ((*check)["status"], "PASS") << name << ": " << (*check)["summary"];
  }
  const nlohmann::json* content = Check(report, "content");
  ASSERT_NE(content, nullptr);
  EXPECT_EQ((*content)["metrics"]["records_changed"], 0) << (*content)["summary"];
  if (GetParam().writer == "llamaindex_js") {
    EXPECT_THAT(report["notes"].dump(), HasSubstr("not compared: create_date"));
  }
  if (GetParam().writer == "llamaindex_py") {
    EXPECT_THAT(report["notes"].dump(), HasSubstr("_node_content"));
  }
}

TEST_P(RealMigrationGateTest, FaultsFailByTheCheckAboutThemNamingTheRecords) {
  const Written w = Write("drop:0.04,replace_vector:0.04,stringify:0.04");
  nlohmann::json report;
  EXPECT_EQ(Validate(w, GetParam().new_id, &report), 2) << report.dump(1);
  const auto dropped = w.faults["drop"].get<std::set<std::string>>();
  const auto replaced = w.faults["replace_vector"].get<std::set<std::string>>();
  const auto stringified = w.faults["stringify"].get<std::set<std::string>>();
  ASSERT_EQ(dropped.size(), 2u) << w.faults.dump();
  ASSERT_EQ(replaced.size(), 2u) << w.faults.dump();
  ASSERT_EQ(stringified.size(), 2u) << w.faults.dump();

  const nlohmann::json* count = Check(report, "count");
  ASSERT_NE(count, nullptr);
  EXPECT_EQ((*count)["status"], "FAIL");
  EXPECT_EQ(FindingIds(*count), dropped) << (*count)["summary"];

  const nlohmann::json* vectors = Check(report, "embedding_integrity");
  ASSERT_NE(vectors, nullptr);
  EXPECT_EQ((*vectors)["status"], "FAIL");
  EXPECT_EQ(FindingIds(*vectors), replaced) << (*vectors)["summary"];

  const nlohmann::json* content = Check(report, "content");
  ASSERT_NE(content, nullptr);
  EXPECT_EQ((*content)["status"], "FAIL");
  EXPECT_EQ(FindingIds(*content), stringified) << (*content)["summary"];
}

TEST_P(RealMigrationGateTest, WithoutTheMappingTheReportNamesTheFlag) {
  if (GetParam().new_id.empty()) GTEST_SKIP() << GetParam().writer << " keeps Chroma's ids";
  const Written w = Write("");
  nlohmann::json report;
  EXPECT_EQ(Validate(w, "", &report), 2);
  EXPECT_THAT(report["notes"].dump(), HasSubstr("add --new-id " + GetParam().new_id));
}

INSTANTIATE_TEST_SUITE_P(Libraries, RealMigrationGateTest, ::testing::ValuesIn(Libraries()),
                         [](const ::testing::TestParamInfo<Library>& info) {
                           return info.param.writer;
                         });

}  // namespace
}  // namespace vecgate
