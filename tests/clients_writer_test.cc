// The migration writers of tools/clients, run the way a gate test runs them
// (tools/clients/run_writer.sh through the shell): each copies a fixture
// collection from the real Chroma into PGlite through its library's own
// vector store, dropping the records its fault log names. What vecgate
// reads back from PostgreSQL must be the collection less exactly those
// ids, with every document and embedding as Chroma gave them and every
// metadata value Chroma had. This pins down what the README says each
// library writes: where the old id ends up, which tables and columns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/store.h"
#include "tests/chroma_test_env.h"
#include "tests/postgres_test_env.h"
#include "tests/test_server.h"

namespace vecgate {
namespace {

using testutil::ChromaTestServer;
using testutil::PostgresTestServer;
using testutil::RunCommand;
using testutil::TempDir;

// 50 records at --scale 0.05; 4 % of them dropped is 2.
constexpr char kCollection[] = "sergio_personality";

struct Writer {
  std::string name;  // run_writer.sh's WRITER
  // Options naming where it writes, for a unique `target`.
  std::function<std::string(const std::string& target)> options;
  // The vecgate URI parameters and collection to read that back.
  std::function<std::string(const std::string& target)> read_params;
  std::function<std::string(const std::string& target)> read_collection;
  // Where Chroma's id is: empty for the record id, else a metadata key.
  std::string id_key;
};

void PrintTo(const Writer& writer, std::ostream* os) { *os << writer.name; }

std::vector<Writer> Writers() {
  auto none = [](const std::string&) { return std::string(); };
  auto same = [](const std::string& target) { return target; };
  return {
      {"langchain_py", [](const std::string& t) { return " --target " + t; },
       [](const std::string&) { return std::string("?layout=langchain"); }, same, ""},
      {"llamaindex_py", [](const std::string& t) { return " --target " + t; },
       [](const std::string&) { return std::string("?id=node_id&metadata=metadata_"); },
       [](const std::string& t) { return "data_" + t; }, ""},
      {"langchain_js",
       [](const std::string& t) { return " --table " + t + " --collection-table " + t + "_coll"; },
       none, same, "chroma_id"},
      {"llamaindex_js", [](const std::string& t) { return " --table " + t; }, none, same,
       "chroma_id"},
  };
}

class ClientsWriterTest : public ::testing::TestWithParam<Writer> {
 protected:
  // The fixture corpus, loaded once into a Chroma database of its own.
  static void SetUpTestSuite() {
    chroma_uri_ = new std::string(ChromaTestServer::Get().NewDatabaseUri("writers"));
    std::string out;
    ASSERT_EQ(RunCommand(std::string(VECGATE_CLI) + " fixtures load --store " + *chroma_uri_ +
                             " --scale 0.05 --dimension 64",
                         &out),
              0)
        << out;
  }

  static std::string* chroma_uri_;
};

std::string* ClientsWriterTest::chroma_uri_ = nullptr;

std::string MetadataText(const MetadataValue& value) {
  // Numbers as doubles: JS writes a whole float as an integer.
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(double(*i));
  if (const auto* d = std::get_if<double>(&value)) return std::to_string(*d);
  if (const auto* s = std::get_if<std::string>(&value)) return "\"" + *s + "\"";
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return "null";
}

TEST_P(ClientsWriterTest, CopiesTheCollectionLessExactlyTheDroppedIds) {
  const Writer& writer = GetParam();
  static std::atomic<int> counter{0};
  const std::string target =
      "w_" + writer.name + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  TempDir dir;
  const std::string fault_log = dir.path() + "/faults.json";
  // chroma://HOST:PORT/TENANT/DATABASE -> the writer's options.
  const std::string rest = chroma_uri_->substr(std::string("chroma://").size());
  const std::string host_port = rest.substr(0, rest.find('/'));
  const std::string database = rest.substr(rest.rfind('/') + 1);
  const std::string pg = PostgresTestServer::Get().BaseUri();
  std::string out;
  ASSERT_EQ(RunCommand(std::string(VECGATE_SOURCE_DIR) + "/tools/clients/run_writer.sh " +
                           writer.name + " --chroma http://" + host_port +
                           " --database " + database + " --collection " + kCollection +
                           " --pg " + pg + writer.options(target) +
                           " --inject drop:0.04 --seed 11 --fault-log " + fault_log,
                       &out),
            0)
      << out;
  const auto log = nlohmann::json::parse(std::ifstream(fault_log));
  const std::set<std::string> dropped = log.at("drop").get<std::set<std::string>>();
  ASSERT_EQ(dropped.size(), 2u) << log.dump();

  auto old_store = OpenStore(*chroma_uri_, OpenOptions());
  ASSERT_TRUE(old_store.ok()) << old_store.status().ToString();
  auto old_records = ReadAll(**old_store, kCollection);
  ASSERT_TRUE(old_records.ok()) << old_records.status().ToString();
  std::map<std::string, size_t> old_row;
  for (size_t i = 0; i < old_records->size(); ++i) old_row[old_records->id(i)] = i;
  ASSERT_EQ(old_row.size(), 50u);

  auto new_store = OpenStore(pg + writer.read_params(target), OpenOptions());
  ASSERT_TRUE(new_store.ok()) << new_store.status().ToString();
  auto new_records = ReadAll(**new_store, writer.read_collection(target));
  ASSERT_TRUE(new_records.ok()) << new_records.status().ToString();

  std::set<std::string> copied;
  for (size_t i = 0; i < new_records->size(); ++i) {
    std::string id = new_records->id(i);
    if (!writer.id_key.empty()) {
      ASSERT_TRUE(new_records->metadata(i).has_value());
      const auto& metadata = *new_records->metadata(i);
      auto it = metadata.find(writer.id_key);
      ASSERT_NE(it, metadata.end()) << "row " << id << " has no " << writer.id_key;
      id = std::get<std::string>(it->second);
    }
    ASSERT_TRUE(copied.insert(id).second) << id << " twice";
    auto old = old_row.find(id);
    ASSERT_NE(old, old_row.end()) << id << " is not in Chroma";
    const size_t o = old->second;
    EXPECT_EQ(new_records->document(i).value_or(""), old_records->document(o).value_or(""))
        << id;
    ASSERT_EQ(new_records->embedding_size(i), old_records->embedding_size(o)) << id;
    for (size_t k = 0; k < old_records->embedding_size(o); ++k) {
      ASSERT_EQ(new_records->embedding(i)[k], old_records->embedding(o)[k])
          << id << " component " << k;
    }
    const Metadata empty;
    const Metadata& was = old_records->metadata(o) ? *old_records->metadata(o) : empty;
    const Metadata& now = new_records->metadata(i) ? *new_records->metadata(i) : empty;
    for (const auto& [key, value] : was) {
      auto it = now.find(key);
      ASSERT_NE(it, now.end()) << id << " lost " << key;
      EXPECT_EQ(MetadataText(it->second), MetadataText(value)) << id << " " << key;
    }
  }
  std::set<std::string> expected;
  for (const auto& [id, row] : old_row) {
    if (!dropped.count(id)) expected.insert(id);
  }
  EXPECT_EQ(copied, expected);
}

INSTANTIATE_TEST_SUITE_P(AllWriters, ClientsWriterTest, ::testing::ValuesIn(Writers()),
                         [](const ::testing::TestParamInfo<Writer>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace vecgate
