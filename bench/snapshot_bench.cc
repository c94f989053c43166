// snapshot_bench: `snapshot create` and `rollback` against the network they
// depend on, on a real Chroma server, at the fixture corpus's scale.
//
// Starts the pinned Chroma server (tools/chroma/start.sh) on a free port,
// loads a synthetic corpus shaped like the fixture corpus (9,832 records x 1,536
// float32 in four collections of 1,000 / 500 / 800 / 7,532, ~300-character
// documents, 12 metadata fields; l2 space), and measures in one run:
//   CREATE   CreateSnapshot (scan, encode, compress, hash, write, read back,
//            manifest) vs fetching the same pages raw with HttpClient (HTTP
//            only, no decoding). Target: create <= 1.3 x raw.
//   ROLLBACK RunRollback into an empty database (archive check, decode,
//            ChromaStore::Add, journal, verification of 1,000 sampled
//            records per collection) vs POSTing the same batches'
//            pre-encoded bodies with HttpClient. Target: <= 1.15 x raw.
//   SIZE     the archive's bytes vs the raw float32 bytes.
//   CODECS   libdeflate levels 0/1/6 and zlib 6 on one page of float32, and
//            SHA-256, in MB/s (why float members are stored, level 0).
// Medians of --reps repetitions (alternating which side goes first) are
// printed and written as JSON (--out, default
// bench_results/snapshot_bench.json). Exit status 1 when a target is missed.
//
// Usage: snapshot_bench [--out FILE] [--reps N] [--records N] [--dim N]
//                       [--skip-rollback]
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "bench/bench_server.h"
#include "bench/chroma_raw_fetch.h"
#include "core/store.h"
#include "snapshot/rollback.h"
#include "snapshot/sha256.h"
#include "snapshot/snapshot.h"
#include "snapshot/snapshot_store.h"
#include "stores/chroma_request_encoder.h"
#include "stores/chroma_store.h"
#include "stores/http_client.h"

namespace vecgate {
namespace {

using bench::Median;

using Clock = std::chrono::steady_clock;

// Snapshot create / raw fetch and rollback / pre-encoded posts, at most.
constexpr double kCreateTargetRatio = 1.3;
constexpr double kRollbackTargetRatio = 1.15;

struct Config {
  std::string out = "bench_results/snapshot_bench.json";
  int reps = 3;
  size_t records = 9832;
  size_t dim = 1536;
  bool skip_rollback = false;  // --skip-rollback: CREATE, SIZE, CODECS only
};


const char* const kWords[] = {"vector", "migration", "embedding", "collection", "cosine",
                              "index", "record", "snapshot", "rollback", "divergence",
                              "metadata", "schema", "query", "recall", "chunk",
                              "citation", "document", "store", "shard", "batch"};

// Records [first, first + n) of the synthetic corpus, unit-norm vectors.
RecordBatch MakeRecords(size_t first, size_t n, size_t dim) {
  RecordBatch batch;
  batch.Reserve(n, dim);
  std::mt19937 rng(static_cast<unsigned>(20240601 + first));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<size_t> word(0, std::size(kWords) - 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<float> embedding(dim);
  for (size_t i = first; i < first + n; ++i) {
    double norm = 0;
    for (float& v : embedding) {
      v = normal(rng);
      norm += double(v) * v;
    }
    for (float& v : embedding) v = static_cast<float>(v / std::sqrt(norm));
    char id[32];
    std::snprintf(id, sizeof(id), "r%06zu", i + 1);
    std::string document;
    while (document.size() < 300) {
      if (!document.empty()) document += ' ';
      document += kWords[word(rng)];
    }
    Metadata metadata{{"source", std::string("corpus/") + kWords[word(rng)]},
                      {"source_file", "docs/file_" + std::to_string(i % 97) + ".md"},
                      {"source_line", static_cast<int64_t>(i % 500)},
                      {"author", "author_" + std::to_string(i % 13)},
                      {"collection_type", std::string("research")},
                      {"category", std::string(kWords[word(rng)])},
                      {"language", std::string("en")},
                      {"authenticity_score", unit(rng)},
                      {"confidence_level", std::string("high")},
                      {"disputed", i % 17 == 0},
                      {"if_citation_uri", "if://doc/" + std::string(id)},
                      {"chunk_index", static_cast<int64_t>(i % 40)}};
    batch.Add(id, std::move(document), std::move(metadata), embedding.data(), dim);
  }
  return batch;
}


double Time(const std::function<void()>& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool Check(const Status& s, const char* what) {
  if (!s.ok()) std::fprintf(stderr, "snapshot_bench: %s: %s\n", what, s.ToString().c_str());
  return s.ok();
}

// MB/s of each codec on one page of float32 (and its compressed/raw ratio).
nlohmann::json MeasureCodecs(const RecordBatch& page) {
  const char* data = reinterpret_cast<const char*>(page.values().data());
  const size_t bytes = page.values().size() * sizeof(float);
  nlohmann::json out = nlohmann::json::array();
  std::vector<char> buffer(libdeflate_gzip_compress_bound(nullptr, bytes) + 4096);
  for (int level : {0, 1, 6}) {
    libdeflate_compressor* c = libdeflate_alloc_compressor(level);
    size_t n = 0;
    const double s = Time([&] { n = libdeflate_gzip_compress(c, data, bytes, buffer.data(), buffer.size()); });
    libdeflate_free_compressor(c);
    out.push_back({{"codec", "libdeflate level " + std::to_string(level)},
                   {"mb_per_s", bytes / s / 1e6},
                   {"size_ratio", double(n) / bytes}});
  }
  {
    uLongf n = compressBound(bytes);
    std::vector<Bytef> z(n);
    const double s = Time([&] {
      compress2(z.data(), &n, reinterpret_cast<const Bytef*>(data), bytes, 6);
    });
    out.push_back({{"codec", "zlib level 6"}, {"mb_per_s", bytes / s / 1e6},
                   {"size_ratio", double(n) / bytes}});
  }
  {
    std::string hex;
    const double s = Time([&] {
      for (int r = 0; r < 4; ++r) hex = Sha256::Of(std::string_view(data, bytes));
    });
    out.push_back({{"codec", "SHA-256 (OpenSSL EVP)"}, {"mb_per_s", 4 * bytes / s / 1e6},
                   {"size_ratio", 1.0}});
  }
  return out;
}

int Run(const Config& config) {
  std::printf("snapshot_bench: %zu records x %zu dims, %d repetitions\n", config.records,
              config.dim, config.reps);
  const std::string base = bench::StartChroma("snapshot_bench");
  if (base.empty()) return 2;
  OpenOptions options;
  options.timeout_seconds = 300;
  auto opened = ChromaStore::Open(base, options);
  if (!Check(opened.status(), "open")) return 2;
  ChromaStore& store = **opened;
  auto raw_client = bench::RawClient(store, options.timeout_seconds);
  if (!Check(raw_client.status(), "http client")) return 2;
  HttpClient& raw = **raw_client;

  // The fixture corpus's four collections, scaled to --records.
  const std::vector<std::pair<std::string, size_t>> shape = {
      {"sergio_personality", 1000}, {"sergio_rhetorical", 500}, {"sergio_humor", 800},
      {"sergio_corpus", 7532}};
  std::vector<std::pair<std::string, size_t>> collections;
  size_t assigned = 0;
  for (size_t k = 0; k < shape.size(); ++k) {
    size_t n = k + 1 == shape.size() ? config.records - assigned
                                     : shape[k].second * config.records / 9832;
    collections.emplace_back(shape[k].first, n);
    assigned += n;
  }
  std::printf("loading the corpus...\n");
  size_t first = 0;
  RecordBatch sample_page;
  for (const auto& [name, n] : collections) {
    CollectionInfo info;
    info.name = name;
    info.space = DistanceSpace::kL2;
    info.metadata = {{"collection_type", std::string("bench")}};
    if (!Check(store.CreateCollection(info), "create")) return 2;
    for (size_t done = 0; done < n; done += 1000) {
      RecordBatch page = MakeRecords(first + done, std::min<size_t>(1000, n - done), config.dim);
      if (!Check(store.Add(name, page), "load")) return 2;
      if (sample_page.empty()) sample_page = page;
    }
    first += n;
  }

  bool ok = true;
  // ---------------------------------------------------------------- CREATE
  std::string response;
  size_t fetched_bytes = 0;
  auto raw_fetch = [&] {
    fetched_bytes = 0;
    for (const auto& [name, n] : collections) {
      auto id = store.CollectionId(name);
      ok = Check(id.status(), "collection id") && ok;
      const std::string path = store.CollectionsPath() + "/" + *id + "/get";
      for (size_t offset = 0; offset < n; offset += 1000) {
        const std::string request =
            R"({"include":["embeddings","documents","metadatas"],"limit":1000,"offset":)" +
            std::to_string(offset) + "}";
        auto r = raw.PostRaw(path, request, &response);
        if (!Check(r.status(), "raw get") || r->status != 200) ok = false;
        fetched_bytes += response.size();
      }
    }
  };
  const std::string snap_root = bench::g_chroma.data_dir() + "/snapshots";
  Manifest manifest;
  CreateStats last_stats;
  auto create = [&] {
    std::error_code ignored;
    std::filesystem::remove_all(snap_root, ignored);
    CreateSnapshotOptions o;
    o.snapshot_dir = snap_root;
    auto m = CreateSnapshot(store, o, &last_stats);
    ok = Check(m.status(), "snapshot create") && ok;
    if (m.ok()) manifest = *m;
  };
  // The adapter's own scan with a sink that does nothing: separates the
  // adapter's decoding cost from what the snapshot adds.
  auto adapter_scan = [&] {
    for (const auto& [name, n] : collections) {
      ScanOptions scan;
      ok = Check(store.Scan(name, scan, [](RecordBatch&) { return Status::Ok(); }),
                 "adapter scan") && ok;
    }
  };
  raw_fetch();  // warm-up
  std::vector<double> t_raw, t_create, t_scan;
  for (int rep = 0; rep < config.reps; ++rep) {
    if (rep % 2 == 0) {
      t_raw.push_back(Time(raw_fetch));
      t_scan.push_back(Time(adapter_scan));
      t_create.push_back(Time(create));
    } else {
      t_create.push_back(Time(create));
      t_scan.push_back(Time(adapter_scan));
      t_raw.push_back(Time(raw_fetch));
    }
    std::printf("  create rep %d: raw fetch %.3f s, adapter scan %.3f s, snapshot create %.3f s "
                "(compress %.3f s, hash %.3f s, read back %.3f s on the writer side)\n",
                rep, t_raw.back(), t_scan.back(), t_create.back(), last_stats.compress_seconds,
                last_stats.hash_seconds, last_stats.readback_seconds);
  }
  const double create_ratio = Median(t_create) / Median(t_raw);

  // -------------------------------------------------------------- ROLLBACK
  // The batches rollback sends: each archive page through ChromaStore::Add's
  // own batching, pre-encoded.
  std::vector<std::pair<std::string, std::vector<std::string>>> bodies;  // per collection
  size_t body_bytes = 0;
  {
    auto reader = SnapshotStore::OpenVerified(
        Env::Default(), SnapshotPaths{snap_root}.Archive(manifest.snapshot_id), manifest);
    if (!Check(reader.status(), "open snapshot")) return 2;
    for (const auto& mc : manifest.collections) {
      bodies.emplace_back(mc.info.name, std::vector<std::string>());
      for (size_t p = 0; p < mc.pages.size(); ++p) {
        RecordBatch page;
        if (!Check((*reader)->ReadPage(mc, p, Include(), &page), "read page")) return 2;
        auto plan = PlanAddBatches(page, static_cast<size_t>(store.max_batch_size()),
                                   store.add_body_budget());
        if (!Check(plan.status(), "plan")) return 2;
        for (const auto& range : *plan) {
          std::string body;
          if (!Check(BuildAddBody(page, range.begin, range.end, &body), "encode")) return 2;
          body_bytes += body.size();
          bodies.back().second.push_back(std::move(body));
        }
      }
    }
  }
  std::vector<double> t_post, t_rollback;
  const int rollback_reps = config.skip_rollback ? 0 : std::max(1, std::min(config.reps, 2));
  for (int rep = 0; rep < rollback_reps; ++rep) {
    auto post = [&] {
      auto db = ChromaStore::CreateDatabaseUri(base, "raw_" + std::to_string(rep));
      auto target = ChromaStore::Open(*db, options);
      ok = Check(target.status(), "open raw target") && Check((*target)->EnsureDatabase(), "db") && ok;
      std::vector<std::string> paths;
      for (const auto& [name, list] : bodies) {
        CollectionInfo info = manifest.Find(name)->info;
        ok = Check((*target)->CreateCollection(info), "create raw") && ok;
        paths.push_back((*target)->CollectionsPath() + "/" + *(*target)->CollectionId(name) + "/add");
      }
      t_post.push_back(Time([&] {
        for (size_t k = 0; k < bodies.size(); ++k) {
          for (const auto& body : bodies[k].second) {
            auto r = raw.PostRaw(paths[k], body, &response);
            if (!Check(r.status(), "raw add") || r->status / 100 != 2) ok = false;
          }
        }
      }));
    };
    auto rollback = [&] {
      auto db = ChromaStore::CreateDatabaseUri(base, "rollback_" + std::to_string(rep));
      auto target = ChromaStore::Open(*db, options);
      ok = Check(target.status(), "open target") && Check((*target)->EnsureDatabase(), "db") && ok;
      RollbackOptions o;
      o.snapshot_dir = snap_root;
      o.snapshot_id = manifest.snapshot_id;
      t_rollback.push_back(Time([&] {
        ok = Check(RunRollback(**target, o).status(), "rollback") && ok;
      }));
    };
    bench::RunAlternating(rep, post, rollback);
    std::printf("  rollback rep %d: pre-encoded posts %.2f s, rollback %.2f s\n", rep,
                t_post.back(), t_rollback.back());
  }
  const double rollback_ratio =
      t_rollback.empty() ? 0 : Median(t_rollback) / Median(t_post);

  const nlohmann::json codecs = MeasureCodecs(sample_page);
  const double size_ratio = double(manifest.archive_bytes) / manifest.embedding_bytes;
  std::printf("\nCREATE   raw fetch %.3f s (%.1f MB of JSON, %.0f MB/s), snapshot create "
              "%.3f s: ratio %.2f (target <= %.2f); the adapter's scan alone %.3f s (%.2f x raw)\n",
              Median(t_raw), fetched_bytes / 1e6, fetched_bytes / 1e6 / Median(t_raw),
              Median(t_create), create_ratio, kCreateTargetRatio, Median(t_scan),
              Median(t_scan) / Median(t_raw));
  if (!t_rollback.empty()) {
    std::printf("ROLLBACK pre-encoded posts %.2f s (%.1f MB), rollback %.2f s: ratio %.3f "
                "(target <= %.2f)\n",
                Median(t_post), body_bytes / 1e6, Median(t_rollback), rollback_ratio,
                kRollbackTargetRatio);
  }
  std::printf("SIZE     archive %.1f MB, raw float32 %.1f MB (archive/float32 %.3f), "
              "uncompressed tar %.1f MB, compression_ratio %.3f\n",
              manifest.archive_bytes / 1e6, manifest.embedding_bytes / 1e6, size_ratio,
              manifest.uncompressed_bytes / 1e6, manifest.compression_ratio);
  std::printf("CODECS   on one page of float32 (%zu x %zu):\n", sample_page.size(), config.dim);
  for (const auto& c : codecs) {
    std::printf("  %-24s %8.0f MB/s  size %.4f of raw\n", c["codec"].get<std::string>().c_str(),
                c["mb_per_s"].get<double>(), c["size_ratio"].get<double>());
  }

  nlohmann::json out{{"records", config.records},
                     {"dimension", config.dim},
                     {"reps", config.reps},
                     {"create", {{"raw_fetch_seconds", t_raw},
                                 {"snapshot_create_seconds", t_create},
                                 {"raw_fetch_median", Median(t_raw)},
                                 {"adapter_scan_seconds", t_scan},
                                 {"adapter_scan_median", Median(t_scan)},
                                 {"create_median", Median(t_create)},
                                 {"fetched_json_bytes", fetched_bytes},
                                 {"ratio", create_ratio},
                                 {"target", kCreateTargetRatio}}},
                     {"rollback", {{"pre_encoded_post_seconds", t_post},
                                   {"rollback_seconds", t_rollback},
                                   {"ratio", rollback_ratio},
                                   {"body_bytes", body_bytes},
                                   {"target", kRollbackTargetRatio}}},
                     {"size", {{"archive_bytes", manifest.archive_bytes},
                               {"embedding_bytes", manifest.embedding_bytes},
                               {"uncompressed_bytes", manifest.uncompressed_bytes},
                               {"archive_over_float32", size_ratio},
                               {"compression_ratio", manifest.compression_ratio}}},
                     {"codecs", codecs},
                     {"ok", ok}};
  if (!bench::WriteResults(config.out, out) || !ok) return 2;
  return (create_ratio <= kCreateTargetRatio && rollback_ratio <= kRollbackTargetRatio) ? 0 : 1;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  vecgate::Config config;
  CLI::App app("snapshot_bench: snapshot create and rollback against the network they depend "
               "on, on a real Chroma",
               "snapshot_bench");
  vecgate::bench::AddCommonFlags(app, &config.out, &config.reps);
  app.add_option("--records", config.records, "records in the corpus")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(4));
  app.add_option("--dim", config.dim, "dimensions of each embedding")
      ->type_name("N")
      ->check(vecgate::bench::AtLeast(1));
  app.add_flag("--skip-rollback", config.skip_rollback, "measure CREATE, SIZE and CODECS only");
  if (std::optional<int> exit_code = vecgate::bench::ParseFlags(app, argc, argv)) {
    return *exit_code;
  }
  vecgate::bench::StopServersAtExit();
  return vecgate::Run(config);
}
