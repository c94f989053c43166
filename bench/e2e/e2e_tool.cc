// e2e_tool: the C++ side of the end-to-end benchmark (bench/e2e_bench.sh).
//
// Subcommands (each prints "key value" lines on stdout for the driver):
//   load    --uri U --collection C --records N --dim D
//           Creates collection C (l2 space) and adds N records of the fixture
//           corpus (fixtures/generator.h: the four sergio_* collections at
//           scale ~N/9832, concatenated and cut at N; documents, the 12-field
//           metadata, clustered unit-norm embeddings of D dimensions).
//   scan    --uri U --collection C [--page 1000]
//           vecgate's read path: ChromaStore::Open + Scan of every record
//           (ids, documents, metadatas, embeddings) in pages. Prints
//           "seconds S" and "records N"; the time excludes process start.
//   dump    --uri U --collection C --vectors X.f32 --queries-out Q.f32
//           [--queries 1000]
//           Writes the collection's embeddings in scan order as raw
//           little-endian float32 (N x D) and the query block: rows
//           floor(i * N / nq), i < nq (the same rows for every peer).
//   topk    --vectors X.f32 --queries-in Q.f32 --dim D [--k 10]
//           [--first vecgate|faiss] [--ids-dir DIR]
//           Exact l2 top-k of every query: vecgate's ExactTopK and, when
//           built with FAISS, IndexFlatL2 (add + search). Each side runs once
//           untimed, then once timed, in the order given by --first. Prints
//           "vecgate S", "faiss S" and "agree_faiss F" (share of FAISS's
//           top-k ids that are in vecgate's). --ids-dir writes vecgate.i64
//           (nq x k int64 row numbers) for the NumPy peer to compare with.
//   report  --results TSV --meta TSV --json OUT --md OUT
//           Medians of the driver's samples (lines "task peer round seconds")
//           and the ratios vecgate/peer; meta lines are "key<TAB>value".
//   compare OLD.json NEW.json [--tolerance 10]
//           Prints each ratio's change; exit 1 if a vecgate/peer ratio grew by
//           more than the tolerance (percent). Ratios, not seconds, are
//           compared, so the speed of the machine cancels.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/record.h"
#include "core/store.h"
#include "fixtures/generator.h"
#include "stores/chroma_store.h"
#include "validators/topk.h"

#ifdef VECGATE_HAVE_FAISS
#include <faiss/IndexFlat.h>
#include <omp.h>
#endif

namespace vecgate {
namespace {

using Args = std::map<std::string, std::string>;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "e2e_tool: %s\n", message.c_str());
  std::exit(2);
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

// --key value pairs; a bare positional argument gets the key "#0", "#1", ...
Args ParseArgs(int argc, char** argv) {
  Args args;
  int positional = 0;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      if (i + 1 >= argc) Die("missing value after " + a);
      args[a.substr(2)] = argv[++i];
    } else {
      args["#" + std::to_string(positional++)] = a;
    }
  }
  return args;
}

std::string Need(const Args& args, const std::string& key) {
  auto it = args.find(key);
  if (it == args.end()) Die("missing --" + key);
  return it->second;
}

std::string Get(const Args& args, const std::string& key,
                const std::string& fallback) {
  auto it = args.find(key);
  return it == args.end() ? fallback : it->second;
}

std::unique_ptr<ChromaStore> OpenChroma(const std::string& uri) {
  OpenOptions options;
  options.timeout_seconds = 300;
  auto store = ChromaStore::Open(uri, options);
  Check(store.status(), "open");
  return std::move(store).value();
}

// ------------------------------------------------------------------ load

int Load(const Args& args) {
  const std::string collection = Need(args, "collection");
  const size_t records = std::stoul(Need(args, "records"));
  const int dim = std::stoi(Need(args, "dim"));
  auto store = OpenChroma(Need(args, "uri"));
  Check(store->EnsureDatabase(), "ensure database");
  CollectionInfo info;
  info.name = collection;
  info.space = DistanceSpace::kL2;
  info.dimension = dim;
  info.configuration_json = R"({"hnsw":{"space":"l2"}})";
  Check(store->CreateCollection(info), "create collection");

  CorpusOptions options;
  options.dimension = dim;
  // Each corpus collection rounds its count; +4 records keep the total at
  // least `records`, and the excess is cut off.
  options.scale = (static_cast<double>(records) + 4) / 9832.0;
  size_t added = 0;
  const auto start = Clock::now();
  for (const CollectionInfo& source : CorpusCollections(options)) {
    if (added >= records) break;
    Status s = GenerateCollection(
        options, source.name, 1000, [&](RecordBatch& page) -> Status {
          if (added >= records) return Status::Ok();
          RecordBatch cut;
          const RecordBatch* batch = &page;
          if (added + page.size() > records) {
            for (size_t i = 0; added + i < records; ++i) cut.AddFrom(page, i);
            batch = &cut;
          }
          RETURN_IF_ERROR(store->Add(collection, *batch));
          added += batch->size();
          return Status::Ok();
        });
    Check(s, "load");
  }
  auto count = store->Count(collection);
  Check(count.status(), "count");
  if (static_cast<size_t>(*count) != records) {
    Die("loaded " + std::to_string(*count) + " records, wanted " +
        std::to_string(records));
  }
  std::printf("records %zu\nload_seconds %.3f\n", added, Since(start));
  return 0;
}

// ------------------------------------------------------------ scan, dump

int Scan(const Args& args) {
  const std::string collection = Need(args, "collection");
  ScanOptions options;
  options.page_size = std::stoul(Get(args, "page", "1000"));
  size_t records = 0;
  double checksum = 0;  // keeps the pages' contents observable
  const auto start = Clock::now();
  auto store = OpenChroma(Need(args, "uri"));
  Check(store->Scan(collection, options,
                    [&](RecordBatch& page) {
                      records += page.size();
                      if (!page.empty() && page.has_embedding(0)) {
                        checksum += page.embedding(0)[0];
                      }
                      return Status::Ok();
                    }),
        "scan");
  const double seconds = Since(start);
  std::printf("seconds %.6f\nrecords %zu\nchecksum %.6g\n", seconds, records,
              checksum);
  return 0;
}

void WriteFloats(const std::string& path, const float* data, size_t n) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, sizeof(float), n, f) != n ||
      std::fclose(f) != 0) {
    Die("cannot write " + path);
  }
}

std::vector<float> ReadFloats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) Die("cannot read " + path);
  const std::streamsize bytes = in.tellg();
  std::vector<float> data(static_cast<size_t>(bytes) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(data.data()), bytes);
  if (!in) Die("cannot read " + path);
  return data;
}

int Dump(const Args& args) {
  const std::string collection = Need(args, "collection");
  const size_t nq = std::stoul(Get(args, "queries", "1000"));
  auto store = OpenChroma(Need(args, "uri"));
  std::vector<float> vectors;
  size_t rows = 0, dim = 0;
  ScanOptions options;
  options.include.documents = false;
  options.include.metadatas = false;
  Check(store->Scan(collection, options,
                    [&](RecordBatch& page) -> Status {
                      for (size_t i = 0; i < page.size(); ++i) {
                        if (dim == 0) dim = page.embedding_size(i);
                        if (page.embedding_size(i) != dim) {
                          return Corruption("record " + page.id(i) +
                                            " has another dimension");
                        }
                        vectors.insert(vectors.end(), page.embedding(i),
                                       page.embedding(i) + dim);
                        ++rows;
                      }
                      return Status::Ok();
                    }),
        "scan");
  if (rows == 0 || nq == 0) Die("nothing to dump");
  std::vector<float> queries;
  for (size_t q = 0; q < nq; ++q) {
    const size_t row = q * rows / nq;
    queries.insert(queries.end(), vectors.begin() + row * dim,
                   vectors.begin() + (row + 1) * dim);
  }
  WriteFloats(Need(args, "vectors"), vectors.data(), vectors.size());
  WriteFloats(Need(args, "queries-out"), queries.data(), queries.size());
  std::printf("rows %zu\ndim %zu\nqueries %zu\n", rows, dim, nq);
  return 0;
}

// ------------------------------------------------------------------ topk

int TopK(const Args& args) {
  const size_t dim = std::stoul(Need(args, "dim"));
  const size_t k = std::stoul(Get(args, "k", "10"));
  const std::vector<float> x = ReadFloats(Need(args, "vectors"));
  const std::vector<float> q = ReadFloats(Need(args, "queries-in"));
  const size_t n = x.size() / dim, nq = q.size() / dim;
  if (n == 0 || nq == 0 || x.size() % dim || q.size() % dim) {
    Die("vector files do not hold whole rows of " + std::to_string(dim));
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::printf("rows %zu\nqueries %zu\nk %zu\nthreads %u\n", n, nq, k, threads);

  std::vector<int64_t> vecgate_ids(nq * k, -1);
  auto run_vecgate = [&] {
    ExactTopK topk(q.data(), nq, dim, k, DistanceSpace::kL2, threads);
    for (size_t begin = 0; begin < n; begin += ExactTopK::kBlockRows) {
      const size_t rows = std::min(ExactTopK::kBlockRows, n - begin);
      topk.AddBlock(x.data() + begin * dim, rows);
    }
    for (size_t i = 0; i < nq; ++i) {
      const auto result = topk.Results(i);
      for (size_t j = 0; j < result.size() && j < k; ++j) {
        vecgate_ids[i * k + j] = static_cast<int64_t>(result[j].index);
      }
    }
  };
  std::vector<std::string> sides = {"vecgate"};
  std::map<std::string, std::function<void()>> runs = {{"vecgate", run_vecgate}};
#ifdef VECGATE_HAVE_FAISS
  omp_set_num_threads(static_cast<int>(threads));
  std::vector<faiss::Index::idx_t> faiss_ids(nq * k);
  std::vector<float> faiss_distances(nq * k);
  auto run_faiss = [&] {
    faiss::IndexFlatL2 index(static_cast<faiss::Index::idx_t>(dim));
    index.add(static_cast<faiss::Index::idx_t>(n), x.data());
    index.search(static_cast<faiss::Index::idx_t>(nq), q.data(),
                 static_cast<faiss::Index::idx_t>(k), faiss_distances.data(),
                 faiss_ids.data());
  };
  sides.push_back("faiss");
  runs["faiss"] = run_faiss;
  std::printf("faiss_blas %s\n", VECGATE_FAISS_BLAS);
#else
  std::printf("faiss_missing built without libfaiss-dev\n");
#endif
  if (Get(args, "first", "vecgate") != "vecgate") {
    std::reverse(sides.begin(), sides.end());
  }
  for (const std::string& name : sides) runs[name]();  // warm-up
  for (const std::string& name : sides) {
    const auto start = Clock::now();
    runs[name]();
    std::printf("%s %.6f\n", name.c_str(), Since(start));
  }
#ifdef VECGATE_HAVE_FAISS
  size_t shared = 0;
  for (size_t i = 0; i < nq; ++i) {
    std::set<int64_t> mine(vecgate_ids.begin() + i * k,
                           vecgate_ids.begin() + (i + 1) * k);
    for (size_t j = 0; j < k; ++j) shared += mine.count(faiss_ids[i * k + j]);
  }
  std::printf("agree_faiss %.6f\n", static_cast<double>(shared) / (nq * k));
#endif
  const std::string ids_dir = Get(args, "ids-dir", "");
  if (!ids_dir.empty()) {
    const std::string path = ids_dir + "/vecgate.i64";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr ||
        std::fwrite(vecgate_ids.data(), sizeof(int64_t), vecgate_ids.size(),
                    f) != vecgate_ids.size() ||
        std::fclose(f) != 0) {
      Die("cannot write " + path);
    }
  }
  return 0;
}

// ---------------------------------------------------------------- report

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size();
  return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

// The peers of each task, in table order; the first peer of fetch is the
// transfer floor.
const std::vector<std::pair<std::string, std::vector<std::string>>>&
TaskPeers() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>>
      kPeers = {{"fetch", {"curl", "chromadb-js"}},
                {"topk", {"numpy", "faiss"}}};
  return kPeers;
}

std::string PeerLabel(const std::string& task, const std::string& peer) {
  if (peer == "curl") return "curl, raw pages (floor)";
  if (peer == "chromadb-js") return "chromadb JS client";
  if (peer == "numpy") return "NumPy brute force";
  if (peer == "faiss") return "FAISS IndexFlatL2";
  return task + "/" + peer;
}

int Report(const Args& args) {
  using nlohmann::json;
  json out;
  out["benchmark"] = "vecgate e2e";
  out["config"] = json::object();
  out["machine"] = json::object();
  out["notes"] = json::array();
  {
    std::ifstream meta(Need(args, "meta"));
    std::string line;
    while (std::getline(meta, line)) {
      const size_t tab = line.find('\t');
      if (tab == std::string::npos) continue;
      const std::string key = line.substr(0, tab), value = line.substr(tab + 1);
      if (key == "note") {
        out["notes"].push_back(value);
      } else if (key.rfind("config.", 0) == 0) {
        out["config"][key.substr(7)] = value;
      } else if (key.rfind("machine.", 0) == 0) {
        out["machine"][key.substr(8)] = value;
      }
    }
  }
  std::map<std::string, std::map<std::string, std::vector<double>>> samples;
  {
    std::ifstream results(Need(args, "results"));
    std::string task, peer;
    int round;
    double seconds;
    while (results >> task >> peer >> round >> seconds) {
      samples[task][peer].push_back(seconds);
    }
  }
  json medians = json::object(), ratios = json::object();
  for (const auto& [task, peers] : samples) {
    for (const auto& [peer, v] : peers) {
      medians[task][peer] = Median(v);
      out["samples"][task][peer] = v;
    }
  }
  out["medians"] = medians;

  std::ostringstream md;
  md << "# vecgate end-to-end benchmark\n\n";
  md << "| task | peer | peer s | vecgate s | vecgate/peer |\n";
  md << "|---|---|---:|---:|---:|\n";
  for (const auto& [task, peers] : TaskPeers()) {
    const bool have_vecgate =
        medians.contains(task) && medians[task].contains("vecgate");
    for (const std::string& peer : peers) {
      char row[512];
      if (!have_vecgate || !medians[task].contains(peer)) {
        const bool have_peer = medians.contains(task) && medians[task].contains(peer);
        char peer_s[32] = "skipped", vecgate_s[32] = "missing";
        if (have_peer) {
          std::snprintf(peer_s, sizeof(peer_s), "%.3f",
                        medians[task][peer].get<double>());
        }
        if (have_vecgate) {
          std::snprintf(vecgate_s, sizeof(vecgate_s), "%.3f",
                        medians[task]["vecgate"].get<double>());
        }
        std::snprintf(row, sizeof(row), "| %s | %s | %s | %s | - |\n",
                      task.c_str(), PeerLabel(task, peer).c_str(), peer_s,
                      vecgate_s);
      } else {
        const double p = medians[task][peer].get<double>();
        const double v = medians[task]["vecgate"].get<double>();
        ratios[task + "/" + peer] = v / p;
        std::snprintf(row, sizeof(row), "| %s | %s | %.3f | %.3f | %.2f |\n",
                      task.c_str(), PeerLabel(task, peer).c_str(), p, v, v / p);
      }
      md << row;
    }
  }
  out["ratios"] = ratios;
  md << "\nSeconds are medians of " << out["config"].value("reps", "?")
     << " interleaved rounds; vecgate/peer < 1 means vecgate is faster.\n\n";
  md << "Data: " << out["config"].value("records", "?") << " records x "
     << out["config"].value("dim", "?") << " dims (l2), pages of "
     << out["config"].value("page", "?") << "; top-k: "
     << out["config"].value("queries", "?") << " queries, k = "
     << out["config"].value("k", "?") << ".\n\n";
  md << "Machine:";
  for (const auto& [key, value] : out["machine"].items()) {
    md << "\n- " << key << ": " << value.get<std::string>();
  }
  md << "\n";
  if (!out["notes"].empty()) {
    md << "\nNotes:";
    for (const auto& note : out["notes"]) {
      md << "\n- " << note.get<std::string>();
    }
    md << "\n";
  }
  std::ofstream(Need(args, "json")) << out.dump(2) << "\n";
  std::ofstream(Need(args, "md")) << md.str();
  std::fputs(md.str().c_str(), stdout);
  return 0;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) Die("cannot read " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    Die(path + ": " + e.what());
  }
}

int Compare(const Args& args) {
  const std::string old_path = Need(args, "#0"), new_path = Need(args, "#1");
  const double tolerance = std::stod(Get(args, "tolerance", "10"));
  const nlohmann::json a = ReadJson(old_path), b = ReadJson(new_path);
  std::set<std::string> keys;
  for (const auto& j : {a, b}) {
    if (j.contains("ratios")) {
      for (const auto& [key, value] : j["ratios"].items()) keys.insert(key);
    }
  }
  std::printf("old: %s\nnew: %s\ntolerance: %.1f%% (vecgate/peer ratios; "
              "seconds shown for reference)\n\n",
              old_path.c_str(), new_path.c_str(), tolerance);
  std::printf("| metric | old ratio | new ratio | change | verdict |\n");
  std::printf("|---|---:|---:|---:|---|\n");
  int regressions = 0;
  for (const std::string& key : keys) {
    const bool in_a = a["ratios"].contains(key), in_b = b["ratios"].contains(key);
    if (!in_a || !in_b) {
      std::printf("| %s | %s | %s | - | not in both runs |\n", key.c_str(),
                  in_a ? "yes" : "-", in_b ? "yes" : "-");
      continue;
    }
    const double r0 = a["ratios"][key].get<double>();
    const double r1 = b["ratios"][key].get<double>();
    const double change = 100.0 * (r1 / r0 - 1.0);
    const char* verdict = "ok";
    if (change > tolerance) {
      verdict = "REGRESSION";
      ++regressions;
    } else if (change < -tolerance) {
      verdict = "improved";
    }
    std::printf("| %s | %.3f | %.3f | %+.1f%% | %s |\n", key.c_str(), r0, r1,
                change, verdict);
  }
  std::printf("\n| median seconds | old | new | change |\n|---|---:|---:|---:|\n");
  const nlohmann::json new_medians =
      b.value("medians", nlohmann::json::object());
  for (const auto& [task, peers] : new_medians.items()) {
    for (const auto& [peer, value] : peers.items()) {
      if (!a.contains("medians") || !a["medians"].contains(task) ||
          !a["medians"][task].contains(peer)) {
        continue;
      }
      const double s0 = a["medians"][task][peer].get<double>();
      const double s1 = value.get<double>();
      std::printf("| %s/%s | %.3f | %.3f | %+.1f%% |\n", task.c_str(),
                  peer.c_str(), s0, s1, 100.0 * (s1 / s0 - 1.0));
    }
  }
  if (regressions > 0) {
    std::printf("\n%d vecgate ratio(s) regressed by more than %.1f%%\n",
                regressions, tolerance);
    return 1;
  }
  std::printf("\nno vecgate ratio regressed by more than %.1f%%\n", tolerance);
  return 0;
}

}  // namespace
}  // namespace vecgate

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  const vecgate::Args args = vecgate::ParseArgs(argc, argv);
  if (command == "load") return vecgate::Load(args);
  if (command == "scan") return vecgate::Scan(args);
  if (command == "dump") return vecgate::Dump(args);
  if (command == "topk") return vecgate::TopK(args);
  if (command == "report") return vecgate::Report(args);
  if (command == "compare") return vecgate::Compare(args);
  std::fprintf(stderr,
               "usage: e2e_tool load|scan|dump|topk|report|compare ... "
               "(see bench/e2e/e2e_tool.cc)\n");
  return 2;
}
