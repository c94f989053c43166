// chroma_bench: the chroma:// adapter against raw HTTP on a real Chroma.
//
// Starts the pinned Chroma server (tools/chroma/start.sh) on a free port with
// a temporary data folder, builds a synthetic corpus shaped like the fixture corpus
// (9,832 records x 1,536 dimensions, ~300-character documents, 12 metadata
// fields), and measures in one run:
//   ADD   ChromaStore::Add of every record, vs. POSTing the same batches'
//         pre-encoded bodies with HttpClient into a second collection;
//   SCAN  ChromaStore::Scan (pages of 1,000, all columns), vs. fetching the
//         same pages with HttpClient and not decoding them;
//   DECODE the page decoder (simdjson DOM) and nlohmann_json on the fetched
//         pages, without the network.
// Each measurement is repeated (alternating which side goes first) and the
// median is reported, with MB/s and the adapter/raw ratios, on stdout and in
// a JSON file (--out, default bench_results/chroma_bench.json). The server
// is stopped at exit. Exit status 1 when a ratio misses its target
// (ADD <= 1.15, SCAN <= 1.25) or the scanned records differ from the added.
//
// Usage: chroma_bench [--out FILE] [--reps N] [--records N] [--dim N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_server.h"
#include "bench/chroma_raw_fetch.h"
#include "core/store.h"
#include "stores/chroma_page_decoder.h"
#include "stores/chroma_request_encoder.h"
#include "stores/chroma_store.h"
#include "stores/http_client.h"

namespace vecgate {
namespace {

using bench::Median;

// Adapter / raw HTTP, at most.
constexpr double kAddTargetRatio = 1.15;
constexpr double kScanTargetRatio = 1.25;

struct Config {
  std::string out = "bench_results/chroma_bench.json";
  int reps = 3;
  size_t records = 9832;
  size_t dim = 1536;
  size_t page_size = 1000;
};

// --------------------------------------------------------------- the data

const char* const kWords[] = {
    "vector",   "migration",  "embedding", "collection", "cosine",
    "index",    "record",     "snapshot",  "rollback",   "divergence",
    "metadata", "schema",     "query",     "recall",     "chunk",
    "citation", "document",   "store",     "shard",      "batch",
    "latency",  "throughput", "integrity", "validation"};

RecordBatch MakeCorpus(const Config& config) {
  RecordBatch batch;
  batch.Reserve(config.records, config.dim);
  std::mt19937 rng(20240601);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<size_t> word(0, std::size(kWords) - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<float> embedding(config.dim);
  const char* const types[] = {"research", "code", "policy", "narrative"};
  const char* const levels[] = {"high", "medium", "low"};
  const char* const languages[] = {"en", "de", "fr", "es"};
  for (size_t i = 0; i < config.records; ++i) {
    for (float& v : embedding) v = normal(rng);
    char id[32];
    std::snprintf(id, sizeof(id), "r%06zu", i + 1);
    std::string document;
    while (document.size() < 300) {
      if (!document.empty()) document += ' ';
      document += kWords[word(rng)];
    }
    Metadata metadata{
        {"source", std::string("corpus/") + kWords[word(rng)]},
        {"source_file", "docs/file_" + std::to_string(i % 97) + ".md"},
        {"source_line", static_cast<int64_t>(i % 500)},
        {"author", std::string("author_") + std::to_string(i % 13)},
        {"collection_type", std::string(types[i % 4])},
        {"category", std::string(kWords[word(rng)])},
        {"language", std::string(languages[i % 4])},
        {"authenticity_score", unit(rng)},
        {"confidence_level", std::string(levels[i % 3])},
        {"disputed", i % 17 == 0},
        {"if_citation_uri", "if://doc/" + std::string(id)},
        {"chunk_index", static_cast<int64_t>(i % 40)}};
    batch.Add(id, std::move(document), std::move(metadata), embedding.data(),
              config.dim);
  }
  return batch;
}

// ------------------------------------------------------------ measurement

double Seconds(const std::function<bool()>& work, bool* ok) {
  const auto start = std::chrono::steady_clock::now();
  *ok = work() && *ok;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}


// Chroma 1.0 parses JSON doubles in metadata with about one ulp of error
// (0.16156896865876783 comes back as 0.16156896865876785), so metadata
// doubles are compared within a few ulps; everything else must be exact.
bool SameMetadata(const std::optional<Metadata>& a,
                  const std::optional<Metadata>& b, size_t* double_ulp_diffs) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  if (a->size() != b->size()) return false;
  for (auto x = a->begin(), y = b->begin(); x != a->end(); ++x, ++y) {
    if (x->first != y->first || x->second.index() != y->second.index())
      return false;
    if (std::holds_alternative<double>(x->second)) {
      const double u = std::get<double>(x->second),
                   v = std::get<double>(y->second);
      if (u != v) {
        if (std::fabs(u - v) >
            4 * std::numeric_limits<double>::epsilon() * std::fabs(u)) {
          return false;
        }
        ++*double_ulp_diffs;
      }
    } else if (x->second != y->second) {
      return false;
    }
  }
  return true;
}

// Prints how the first record that differs after the round trip differs.
void DescribeMismatch(const RecordBatch& page, size_t i,
                      const RecordBatch& corpus,
                      const std::map<std::string, size_t>& row_of) {
  auto it = row_of.find(page.id(i));
  if (it == row_of.end()) {
    std::printf("  unexpected id '%s'\n", page.id(i).c_str());
    return;
  }
  const size_t j = it->second;
  if (page.embedding_size(i) != corpus.embedding_size(j) ||
      std::memcmp(page.embedding(i), corpus.embedding(j),
                  corpus.embedding_size(j) * sizeof(float)) != 0) {
    std::printf("  '%s': embedding differs (%zu vs %zu components)\n",
                page.id(i).c_str(), page.embedding_size(i),
                corpus.embedding_size(j));
    for (size_t k = 0;
         k < std::min(page.embedding_size(i), corpus.embedding_size(j)); ++k) {
      if (page.embedding(i)[k] != corpus.embedding(j)[k]) {
        std::printf("    component %zu: sent %.9g, read back %.9g\n", k,
                    corpus.embedding(j)[k], page.embedding(i)[k]);
        break;
      }
    }
  }
  if (page.document(i) != corpus.document(j)) {
    std::printf("  '%s': document differs\n", page.id(i).c_str());
  }
  if (page.metadata(i) && corpus.metadata(j)) {
    for (const auto& [key, value] : *corpus.metadata(j)) {
      auto got = page.metadata(i)->find(key);
      const std::string seen = got == page.metadata(i)->end()
                                   ? "(absent)"
                                   : MetadataValueToString(got->second);
      if (seen != MetadataValueToString(value)) {
        std::printf("  '%s': metadata '%s' sent %s, read back %s\n",
                    page.id(i).c_str(), key.c_str(),
                    MetadataValueToString(value).c_str(), seen.c_str());
      }
    }
  } else if (page.metadata(i) != corpus.metadata(j)) {
    std::printf("  '%s': metadata presence differs\n", page.id(i).c_str());
  }
}

bool Check(const Status& s, const char* what) {
  if (!s.ok())
    std::fprintf(stderr, "chroma_bench: %s: %s\n", what, s.ToString().c_str());
  return s.ok();
}

int Run(const Config& config) {
  std::printf("chroma_bench: %zu records x %zu dims, %d repetitions\n",
              config.records, config.dim, config.reps);
  const std::string uri = bench::StartChroma("chroma_bench");
  if (uri.empty()) return 2;
  OpenOptions options;
  options.timeout_seconds = 120;
  Result<std::unique_ptr<ChromaStore>> opened = ChromaStore::Open(uri, options);
  if (!Check(opened.status(), "open")) return 2;
  ChromaStore& store = **opened;
  Result<std::unique_ptr<HttpClient>> raw_client =
      bench::RawClient(store, options.timeout_seconds);
  if (!Check(raw_client.status(), "http client")) return 2;
  HttpClient& raw = **raw_client;

  const RecordBatch corpus = MakeCorpus(config);
  // l2, because Chroma 1.0 does not give cosine collections' vectors back
  // bit for bit (it returns them off by an ulp or so), and the round-trip
  // check below is exact.
  CollectionInfo info;
  info.space = DistanceSpace::kL2;

  // Pre-encoded bodies of the same batches the adapter sends.
  Result<std::vector<AddBatchRange>> plan =
      PlanAddBatches(corpus, static_cast<size_t>(store.max_batch_size()),
                     store.add_body_budget());
  if (!Check(plan.status(), "plan")) return 2;
  std::vector<std::string> bodies(plan->size());
  size_t add_bytes = 0;
  for (size_t b = 0; b < plan->size(); ++b) {
    const AddBatchRange& range = (*plan)[b];
    if (!Check(BuildAddBody(corpus, range.begin, range.end, &bodies[b]),
               "encode"))
      return 2;
    add_bytes += bodies[b].size();
  }
  std::printf("add: %zu batches, %.1f MB of request bodies\n", plan->size(),
              add_bytes / 1e6);

  bool ok = true;
  std::vector<double> add_adapter, add_raw;
  std::string response;
  std::string scan_collection;
  for (int rep = 0; rep < config.reps; ++rep) {
    info.name = "bench_add_adapter_" + std::to_string(rep);
    const std::string adapter_name = info.name;
    ok = Check(store.CreateCollection(info), "create") && ok;
    info.name = "bench_add_raw_" + std::to_string(rep);
    const std::string raw_name = info.name;
    ok = Check(store.CreateCollection(info), "create") && ok;
    Result<std::string> raw_id = store.CollectionId(raw_name);
    if (!Check(raw_id.status(), "collection id")) return 2;
    const std::string raw_path =
        store.CollectionsPath() + "/" + *raw_id + "/add";

    auto run_adapter = [&] {
      add_adapter.push_back(Seconds(
          [&] { return Check(store.Add(adapter_name, corpus), "adapter add"); },
          &ok));
    };
    auto run_raw = [&] {
      add_raw.push_back(Seconds(
          [&] {
            for (const std::string& body : bodies) {
              Result<HttpResponse> r = raw.PostRaw(raw_path, body, &response);
              if (!Check(r.status(), "raw add")) return false;
              if (r->status / 100 != 2) {
                std::fprintf(stderr, "raw add: HTTP %ld %s\n", r->status,
                             response.c_str());
                return false;
              }
            }
            return true;
          },
          &ok));
    };
    bench::RunAlternating(rep, run_adapter, run_raw);
    std::printf("  add rep %d: adapter %.2f s, raw %.2f s\n", rep,
                add_adapter.back(), add_raw.back());
    if (rep + 1 < config.reps) {
      ok = Check(store.DeleteCollection(adapter_name), "delete") && ok;
    } else {
      scan_collection = adapter_name;
    }
    ok = Check(store.DeleteCollection(raw_name), "delete") && ok;
  }

  // SCAN. The raw side fetches the same pages and keeps them for DECODE.
  Result<int64_t> count = store.Count(scan_collection);
  if (!Check(count.status(), "count")) return 2;
  Result<std::string> scan_id = store.CollectionId(scan_collection);
  if (!Check(scan_id.status(), "collection id")) return 2;
  const std::string get_path =
      store.CollectionsPath() + "/" + *scan_id + "/get";
  std::vector<std::string> pages;
  size_t scan_bytes = 0;
  auto fetch_raw = [&](bool keep) {
    scan_bytes = 0;
    for (int64_t offset = 0; offset < *count;
         offset += static_cast<int64_t>(config.page_size)) {
      const std::string request =
          R"({"include":["embeddings","documents","metadatas"],"limit":)" +
          std::to_string(config.page_size) +
          ",\"offset\":" + std::to_string(offset) + "}";
      Result<HttpResponse> r = raw.PostRaw(get_path, request, &response);
      if (!Check(r.status(), "raw get") || r->status != 200) return false;
      scan_bytes += response.size();
      if (keep) pages.push_back(response);
    }
    return true;
  };
  ok = fetch_raw(true) && ok;  // warm-up, and the pages for DECODE

  // Correctness: what the adapter scans is what was added, bit for bit.
  std::map<std::string, size_t> row_of;
  for (size_t i = 0; i < corpus.size(); ++i) row_of[corpus.id(i)] = i;
  size_t scanned = 0, mismatched = 0, metadata_double_ulp_diffs = 0;
  ScanOptions scan_options;
  scan_options.page_size = config.page_size;
  ok = Check(
           store.Scan(scan_collection, scan_options,
                      [&](RecordBatch& page) {
                        for (size_t i = 0; i < page.size(); ++i, ++scanned) {
                          auto it = row_of.find(page.id(i));
                          if (it == row_of.end() ||
                              page.embedding_size(i) != config.dim ||
                              std::memcmp(page.embedding(i),
                                          corpus.embedding(it->second),
                                          config.dim * sizeof(float)) != 0 ||
                              page.document(i) != corpus.document(it->second) ||
                              !SameMetadata(page.metadata(i),
                                            corpus.metadata(it->second),
                                            &metadata_double_ulp_diffs)) {
                            if (mismatched++ == 0)
                              DescribeMismatch(page, i, corpus, row_of);
                          }
                        }
                        return Status::Ok();
                      }),
           "verify scan") &&
       ok;
  const bool round_trip_exact = scanned == corpus.size() && mismatched == 0;
  std::printf(
      "round trip: %zu records scanned, %zu differ from what was added "
      "(embeddings bit for bit; %zu metadata doubles came back 1-4 ulps off, "
      "Chroma's own parsing)\n",
      scanned, mismatched, metadata_double_ulp_diffs);

  std::vector<double> scan_adapter, scan_raw;
  const int scan_reps = std::max(config.reps, 5);
  for (int rep = 0; rep < scan_reps; ++rep) {
    size_t rows = 0;
    auto run_adapter = [&] {
      rows = 0;
      scan_adapter.push_back(Seconds(
          [&] {
            return Check(store.Scan(scan_collection, scan_options,
                                    [&](RecordBatch& page) {
                                      rows += page.size();
                                      return Status::Ok();
                                    }),
                         "adapter scan");
          },
          &ok));
    };
    auto run_raw = [&] {
      scan_raw.push_back(Seconds([&] { return fetch_raw(false); }, &ok));
    };
    bench::RunAlternating(rep, run_adapter, run_raw);
    ok = ok && rows == static_cast<size_t>(*count);
  }

  // DECODE, without the network.
  std::map<std::string, std::vector<double>> decode_seconds;
  for (int rep = 0; rep < 3; ++rep) {
    ChromaPageDecoder decoder;
    RecordBatch batch;
    decode_seconds["vecgate_page_decoder"].push_back(Seconds(
        [&] {
          PageContext context;
          context.collection = scan_collection;
          for (std::string& page : pages) {
            batch.Clear();
            size_t rows = 0;
            if (!Check(decoder.Decode(page, Include(), context, &batch, &rows),
                       "decode")) {
              return false;
            }
          }
          return true;
        },
        &ok));
    decode_seconds["nlohmann_parse_only"].push_back(Seconds(
        [&] {
          size_t floats = 0;
          for (const std::string& page : pages) {
            const auto json = nlohmann::json::parse(page);
            for (const auto& row : json["embeddings"]) floats += row.size();
          }
          return floats > 0;
        },
        &ok));
  }

  // Report.
  const double add_a = Median(add_adapter), add_r = Median(add_raw);
  const double scan_a = Median(scan_adapter), scan_r = Median(scan_raw);
  const bench::TimeRatio add_ratio(add_a, add_r, kAddTargetRatio);
  const bench::TimeRatio scan_ratio(scan_a, scan_r, kScanTargetRatio);
  // Its own table rather than TimeRatio::Print: both sides' seconds and
  // MB/s, and the target as a column.
  std::printf("\n%-8s %12s %12s %10s %10s %8s %s\n", "", "adapter s", "raw s",
              "adapter MB/s", "raw MB/s", "ratio", "target");
  std::printf("%-8s %12.3f %12.3f %12.1f %10.1f %8.3f <= %.2f %s\n", "ADD", add_a, add_r,
              add_bytes / 1e6 / add_a, add_bytes / 1e6 / add_r, add_ratio.value,
              add_ratio.target, add_ratio.pass ? "PASS" : "FAIL");
  std::printf("%-8s %12.3f %12.3f %12.1f %10.1f %8.3f <= %.2f %s\n", "SCAN", scan_a, scan_r,
              scan_bytes / 1e6 / scan_a, scan_bytes / 1e6 / scan_r, scan_ratio.value,
              scan_ratio.target, scan_ratio.pass ? "PASS" : "FAIL");
  std::printf(
      "(ADD MB/s: request bodies, %.1f MB; SCAN MB/s: JSON pages, %.1f MB)\n",
      add_bytes / 1e6, scan_bytes / 1e6);
  std::printf("\nDECODE of the %zu pages (%.1f MB), median of 3:\n",
              pages.size(), scan_bytes / 1e6);
  nlohmann::json decode_json = nlohmann::json::object();
  for (const auto& [name, seconds] : decode_seconds) {
    const double s = Median(seconds);
    std::printf("  %-22s %8.3f s %8.1f MB/s\n", name.c_str(), s,
                scan_bytes / 1e6 / s);
    decode_json[name] = {{"seconds", s}, {"mb_per_s", scan_bytes / 1e6 / s}};
  }

  nlohmann::json add_json = {{"adapter_seconds_median", add_a},
                              {"raw_seconds_median", add_r},
                              {"adapter_seconds", add_adapter},
                              {"raw_seconds", add_raw},
                              {"request_bytes", add_bytes},
                              {"batches", plan->size()},
                              {"adapter_mb_per_s", add_bytes / 1e6 / add_a},
                              {"raw_mb_per_s", add_bytes / 1e6 / add_r}};
  add_json.update(add_ratio.Json());
  nlohmann::json scan_json = {{"adapter_seconds_median", scan_a},
                               {"raw_seconds_median", scan_r},
                               {"adapter_seconds", scan_adapter},
                               {"raw_seconds", scan_raw},
                               {"response_bytes", scan_bytes},
                               {"adapter_mb_per_s", scan_bytes / 1e6 / scan_a},
                               {"raw_mb_per_s", scan_bytes / 1e6 / scan_r}};
  scan_json.update(scan_ratio.Json());
  const nlohmann::json report = {
      {"benchmark", "chroma_bench"},
      {"records", config.records},
      {"dimension", config.dim},
      {"page_size", config.page_size},
      {"repetitions", {{"add", config.reps}, {"scan", scan_reps}}},
      {"add", add_json},
      {"scan", scan_json},
      {"decode", decode_json},
      {"round_trip_exact", round_trip_exact},
      {"metadata_double_ulp_diffs", metadata_double_ulp_diffs},
      {"all_requests_ok", ok}};
  if (!bench::WriteResults(config.out, report)) return 2;
  return ok && round_trip_exact && add_ratio.pass && scan_ratio.pass ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  vecgate::Config config;
  CLI::App app("chroma_bench: the chroma:// adapter against raw HTTP on a real Chroma",
               "chroma_bench");
  vecgate::bench::AddCommonFlags(app, &config.out, &config.reps);
  app.add_option("--records", config.records, "records in the corpus")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  app.add_option("--dim", config.dim, "dimensions of each embedding")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  if (std::optional<int> exit_code = vecgate::bench::ParseFlags(app, argc, argv)) {
    return *exit_code;
  }
  vecgate::bench::StopServersAtExit();
  return vecgate::Run(config);
}
