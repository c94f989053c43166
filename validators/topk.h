// Exact top-k nearest neighbours over streamed blocks of vectors.
//
// The kernel of semantic_divergence (and of its benchmark): a fixed set of
// nq query vectors is compared with row blocks as they stream past. Each block
// is scored with one float32 GEMM (Eigen, scores = Q x B^T over row-major
// n x d maps of the caller's memory), then every query keeps its k nearest
// rows in a bounded heap. The GEMM score is only a filter: a row that may
// enter a query's top-k gets its distance recomputed in double precision, so
// the distances returned are exact to double rounding and identical vectors
// always get identical distances (ties at the k-th distance are real ties,
// whatever the block position of the row).
//
// Distances follow Chroma (hnswlib): cosine = 1 - cos(q, x) (0 vectors have
// cosine 0), l2 = squared Euclidean distance, ip = 1 - q.x. Smaller is
// nearer; equal distances are ordered by row index (the order rows were
// added), so results are deterministic.
//
// Layout: queries and rows are row-major blocks of float32, `dim` components
// a row (core/record.h). Rows are numbered 0, 1, ... across AddBlock calls.
// Rows containing NaN never enter a top-k; callers should skip them.
//
// Memory: O(nq * (dim + k)) plus a score buffer of nq x kBlockRows floats;
// nothing grows with the number of rows added. Thread safety: one thread
// calls an ExactTopK at a time; AddBlock itself uses up to `threads` threads
// (0 = the machine's hardware concurrency). Built with OpenMP (the default
// when the compiler has it, validators/CMakeLists.txt), Eigen parallelises
// the GEMM and an OpenMP loop splits the selection over queries; without
// OpenMP, AddBlock splits the queries over std::thread workers instead.
#ifndef VECGATE_VALIDATORS_TOPK_H_
#define VECGATE_VALIDATORS_TOPK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/record.h"
#include "core/status.h"

namespace vecgate {

// Exact distance between two vectors of `dim` components, in double.
double ExactDistance(const float* a, const float* b, size_t dim,
                     DistanceSpace space);

class ExactTopK {
 public:
  struct Neighbor {
    double distance = 0;
    uint64_t index = 0;  // row number across AddBlock calls
    std::string id;      // empty when AddBlock had no ids
  };

  // Copies the `nq` x `dim` query block. k == 0 keeps nothing.
  ExactTopK(const float* queries, size_t nq, size_t dim, size_t k,
            DistanceSpace space, unsigned threads = 0);

  // Scores `n` rows (row-major n x dim) against every query. `ids`, when not
  // null, points to n ids that are kept with the rows that enter a top-k.
  void AddBlock(const float* rows, size_t n, const std::string* ids = nullptr);

  // The nearest rows of query q so far, nearest first (at most k).
  std::vector<Neighbor> Results(size_t q) const;

  size_t num_queries() const { return nq_; }
  size_t dim() const { return dim_; }
  size_t k() const { return k_; }
  uint64_t rows_added() const { return rows_added_; }

  // Rows scored per GEMM.
  static constexpr size_t kBlockRows = 1024;

 private:
  // Scores rows [0, n) of the current block for queries [q_begin, q_end).
  void ScoreRange(const float* rows, size_t n, const std::string* ids,
                  size_t q_begin, size_t q_end, std::vector<float>* scores);
  // Recomputes the exact distance of a candidate row and keeps it when it
  // beats the worst of query q's top-k. Returns the new filter threshold.
  void Offer(size_t q, const float* row, uint64_t index, const std::string* id);

  size_t nq_;
  size_t dim_;
  size_t k_;
  DistanceSpace space_;
  unsigned threads_;
  std::vector<float> queries_;       // as given, for exact distances
  std::vector<float> gemm_queries_;  // normalised for cosine, else as given
  std::vector<float> query_sq_norm_;  // |q|^2 (l2)
  // Per-row terms of the current block: approx distance = c_q + a_j + b_j*s.
  std::vector<float> row_a_;
  std::vector<float> row_b_;
  float row_scale_ = 0;  // max |x| or |x|^2 of the block, for the filter slack
  std::vector<std::vector<Neighbor>> heaps_;  // max-heaps by (distance, index)
  std::vector<std::vector<float>> scores_;    // per worker thread
  uint64_t rows_added_ = 0;
};

// Rows of `dim` float32 components with their ids, kept to be replayed once:
// in memory while the vectors fit in `memory_budget_bytes`, then in an
// anonymous temporary file (std::tmpfile, removed when closed). Ids stay in
// memory (they grow with the number of rows, not with embedding bytes).
// Replay hands out row-major blocks of at most kReplayRows rows.
class VectorSpool {
 public:
  VectorSpool(size_t dim, size_t memory_budget_bytes);
  ~VectorSpool();
  VectorSpool(const VectorSpool&) = delete;
  VectorSpool& operator=(const VectorSpool&) = delete;

  // Appends n rows (row-major n x dim). IoError when the temporary file
  // cannot be created or written.
  Status Append(const float* rows, size_t n, const std::string* ids);

  using BlockSink =
      std::function<void(const float* rows, size_t n, const std::string* ids)>;
  // Calls `sink` for every row, in append order. IoError on a read failure.
  Status Replay(const BlockSink& sink);

  // Copies row `index` (in append order) into `out` (dim floats). IoError on
  // a read failure; InvalidArgument for an index past the end.
  Status ReadRow(size_t index, float* out);

  size_t dim() const { return dim_; }

  size_t rows() const { return ids_.size(); }
  size_t rows_in_memory() const { return memory_rows_; }
  size_t rows_spilled() const { return ids_.size() - memory_rows_; }

  static constexpr size_t kReplayRows = 4096;

 private:
  size_t dim_;
  size_t budget_floats_;
  std::vector<float> memory_;
  size_t memory_rows_ = 0;
  std::vector<std::string> ids_;
  std::FILE* file_ = nullptr;
  bool file_dirty_ = false;  // appended since the last flush
};

}  // namespace vecgate

#endif  // VECGATE_VALIDATORS_TOPK_H_
