// Exact top-k: float32 GEMM as a filter, double-precision distances for the
// rows that may enter a top-k, bounded heaps per query; OpenMP threads (or,
// without OpenMP, std::thread workers) share the work.
#include "validators/topk.h"

#include <unistd.h>

// Eigen 3.4's AVX-512 packet code trips GCC 12's uninitialized-use
// analysis once inlined here; the warnings are about Eigen, not this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace vecgate {
namespace {

using RowMajorMatrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajorMatrix>;
using MutableMap = Eigen::Map<RowMajorMatrix>;

// A row may enter a top-k when its GEMM distance is within this fraction of
// the distance scale above the current k-th distance. Float32 GEMM error on
// a dot product of d terms is at most about d * 6e-8 of |q||x| (4.6e-5 for
// d = 768) and in practice far less.
constexpr double kFilterSlack = 1e-4;

// Queries per worker thread below which splitting does not pay.
constexpr size_t kMinQueriesPerThread = 32;

// Queries are scored in chunks that the workers claim one at a time, so a
// worker that is preempted (other processes on the machine) holds up at
// most one chunk, not a fixed share of the block. About this many chunks
// per worker per block; a chunk keeps at least kMinQueriesPerThread queries
// and at most kMaxQueryChunk (Eigen's float GEMM against a kBlockRows block
// runs at full speed from about 256 query rows; at 128 it loses ~10 %, and
// more chunks mean packing each row block more often).
constexpr size_t kChunksPerWorker = 2;
constexpr size_t kMaxQueryChunk = 256;

// Squared norm in double, with eight independent partial sums so that the
// loop is not bound by the latency of one chain of additions (the compiler
// can keep the partial sums in one vector register).
double SquaredNorm(const float* x, size_t n) {
  double part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int l = 0; l < 8; ++l) part[l] += static_cast<double>(x[i + l]) * x[i + l];
  }
  for (; i < n; ++i) part[0] += static_cast<double>(x[i]) * x[i];
  return ((part[0] + part[1]) + (part[2] + part[3])) +
         ((part[4] + part[5]) + (part[6] + part[7]));
}

bool HeapLess(const ExactTopK::Neighbor& a, const ExactTopK::Neighbor& b) {
  return a.distance != b.distance ? a.distance < b.distance : a.index < b.index;
}

// Dot product and squared norms in double with four independent partial
// sums (a fixed order, so the result depends only on the inputs).
struct Sums {
  double ab = 0, aa = 0, bb = 0, diff = 0;
};

Sums ComputeSums(const float* a, const float* b, size_t n, bool want_diff) {
  double ab[4] = {0, 0, 0, 0}, aa[4] = {0, 0, 0, 0}, bb[4] = {0, 0, 0, 0};
  double df[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int l = 0; l < 4; ++l) {
      double x = a[i + l], y = b[i + l];
      ab[l] += x * y;
      aa[l] += x * x;
      bb[l] += y * y;
      if (want_diff) df[l] += (x - y) * (x - y);
    }
  }
  for (; i < n; ++i) {
    double x = a[i], y = b[i];
    ab[0] += x * y;
    aa[0] += x * x;
    bb[0] += y * y;
    if (want_diff) df[0] += (x - y) * (x - y);
  }
  Sums s;
  s.ab = (ab[0] + ab[1]) + (ab[2] + ab[3]);
  s.aa = (aa[0] + aa[1]) + (aa[2] + aa[3]);
  s.bb = (bb[0] + bb[1]) + (bb[2] + bb[3]);
  s.diff = (df[0] + df[1]) + (df[2] + df[3]);
  return s;
}

}  // namespace

double ExactDistance(const float* a, const float* b, size_t dim,
                     DistanceSpace space) {
  Sums s = ComputeSums(a, b, dim, space == DistanceSpace::kL2);
  switch (space) {
    case DistanceSpace::kL2:
      return s.diff;
    case DistanceSpace::kIp:
      return 1.0 - s.ab;
    case DistanceSpace::kCosine:
      if (s.aa == 0 || s.bb == 0) return 1.0;
      return 1.0 - s.ab / (std::sqrt(s.aa) * std::sqrt(s.bb));
  }
  return s.diff;
}

ExactTopK::ExactTopK(const float* queries, size_t nq, size_t dim, size_t k,
                     DistanceSpace space, unsigned threads)
    : nq_(nq),
      dim_(dim),
      k_(k),
      space_(space),
      threads_(threads != 0 ? threads
                            : std::max(1u, std::thread::hardware_concurrency())),
      queries_(queries, queries + nq * dim),
      gemm_queries_(queries_),
      query_sq_norm_(nq, 0.0f),
      heaps_(nq) {
  for (size_t q = 0; q < nq_; ++q) {
    const float* v = queries_.data() + q * dim_;
    double sq = 0;
    for (size_t i = 0; i < dim_; ++i) sq += static_cast<double>(v[i]) * v[i];
    query_sq_norm_[q] = static_cast<float>(sq);
    if (space_ == DistanceSpace::kCosine && sq > 0) {
      float inv = static_cast<float>(1.0 / std::sqrt(sq));
      float* g = gemm_queries_.data() + q * dim_;
      for (size_t i = 0; i < dim_; ++i) g[i] *= inv;
    }
    heaps_[q].reserve(k_);
  }
}

void ExactTopK::AddBlock(const float* rows, size_t n, const std::string* ids) {
  if (n == 0) return;
  if (k_ == 0 || nq_ == 0 || dim_ == 0) {
    rows_added_ += n;
    return;
  }
  // Per-row terms: approx distance = c_q + a_j + b_j * (q . x_j).
  row_a_.assign(n, 0.0f);
  row_b_.assign(n, -1.0f);
  double scale = 0;
  for (size_t j = 0; j < n; ++j) {
    const double sq = SquaredNorm(rows + j * dim_, dim_);
    switch (space_) {
      case DistanceSpace::kCosine:
        row_b_[j] = sq > 0 ? static_cast<float>(-1.0 / std::sqrt(sq)) : 0.0f;
        break;
      case DistanceSpace::kL2:
        row_a_[j] = static_cast<float>(sq);
        row_b_[j] = -2.0f;
        scale = std::max(scale, sq);
        break;
      case DistanceSpace::kIp:
        scale = std::max(scale, std::sqrt(sq));
        break;
    }
  }
  row_scale_ = static_cast<float>(scale);

#ifdef _OPENMP
  // One GEMM for all queries, parallelised inside Eigen (OpenMP), so the
  // threads share one packed copy of the row block instead of each packing
  // it again; the selection below is then split over queries.
  if (scores_.empty()) scores_.resize(1);
  Eigen::setNbThreads(static_cast<int>(threads_));
  ScoreRange(rows, n, ids, 0, nq_, &scores_[0]);
  rows_added_ += n;
  return;
#endif
  size_t workers = std::min<size_t>(threads_, std::max<size_t>(1, nq_ / kMinQueriesPerThread));
  if (scores_.size() < workers) scores_.resize(workers);
  if (workers == 1) {
    ScoreRange(rows, n, ids, 0, nq_, &scores_[0]);
  } else {
    // Every query belongs to exactly one chunk, so its heap is touched by
    // one worker only; which worker takes a chunk does not change results.
    const size_t chunk = std::clamp<size_t>(
        (nq_ + workers * kChunksPerWorker - 1) / (workers * kChunksPerWorker),
        kMinQueriesPerThread, kMaxQueryChunk);
    const size_t chunks = (nq_ + chunk - 1) / chunk;
    workers = std::min(workers, chunks);
    std::atomic<size_t> next_chunk{0};
    auto work = [&](size_t w) {
      for (size_t c = next_chunk.fetch_add(1); c < chunks; c = next_chunk.fetch_add(1)) {
        ScoreRange(rows, n, ids, c * chunk, std::min(nq_, (c + 1) * chunk), &scores_[w]);
      }
    };
    std::vector<std::thread> pool;
    for (size_t w = 1; w < workers; ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
  }
  rows_added_ += n;
}

void ExactTopK::ScoreRange(const float* rows, size_t n, const std::string* ids,
                           size_t q_begin, size_t q_end,
                           std::vector<float>* scores) {
  const size_t nqr = q_end - q_begin;
  scores->resize(nqr * std::min(n, kBlockRows));
  ConstMap queries(gemm_queries_.data() + q_begin * dim_, nqr, dim_);
  const float inf = std::numeric_limits<float>::infinity();
  for (size_t c0 = 0; c0 < n; c0 += kBlockRows) {
    const size_t m = std::min(kBlockRows, n - c0);
    ConstMap block(rows + c0 * dim_, m, dim_);
    MutableMap s(scores->data(), nqr, m);
    s.noalias() = queries * block.transpose();
    const float* a = row_a_.data() + c0;
    const float* b = row_b_.data() + c0;
    // Each query's heap is touched by one iteration only.
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads_) if (threads_ > 1)
#endif
    for (size_t r = 0; r < nqr; ++r) {
      const size_t q = q_begin + r;
      float c = 1.0f, slack = static_cast<float>(kFilterSlack);
      if (space_ == DistanceSpace::kL2) {
        c = query_sq_norm_[q];
        slack = static_cast<float>(kFilterSlack * (query_sq_norm_[q] + row_scale_));
      } else if (space_ == DistanceSpace::kIp) {
        slack = static_cast<float>(kFilterSlack * std::sqrt(query_sq_norm_[q]) *
                                   row_scale_);
      }
      std::vector<Neighbor>& heap = heaps_[q];
      float threshold = heap.size() < k_
                            ? inf
                            : static_cast<float>(heap.front().distance) + slack;
      const float* srow = s.data() + r * m;
      for (size_t j = 0; j < m; ++j) {
        float approx = c + a[j] + b[j] * srow[j];
        if (approx <= threshold) {
          const size_t row = c0 + j;
          Offer(q, rows + row * dim_, rows_added_ + row,
                ids != nullptr ? ids + row : nullptr);
          if (heap.size() >= k_) {
            threshold = static_cast<float>(heap.front().distance) + slack;
          }
        }
      }
    }
  }
}

void ExactTopK::Offer(size_t q, const float* row, uint64_t index,
                      const std::string* id) {
  std::vector<Neighbor>& heap = heaps_[q];
  Neighbor candidate;
  candidate.distance = ExactDistance(queries_.data() + q * dim_, row, dim_, space_);
  if (std::isnan(candidate.distance)) return;
  candidate.index = index;
  if (heap.size() >= k_ && !HeapLess(candidate, heap.front())) return;
  if (id != nullptr) candidate.id = *id;
  if (heap.size() >= k_) {
    std::pop_heap(heap.begin(), heap.end(), HeapLess);
    heap.back() = std::move(candidate);
  } else {
    heap.push_back(std::move(candidate));
  }
  std::push_heap(heap.begin(), heap.end(), HeapLess);
}

std::vector<ExactTopK::Neighbor> ExactTopK::Results(size_t q) const {
  std::vector<Neighbor> sorted = heaps_[q];
  std::sort(sorted.begin(), sorted.end(), HeapLess);
  return sorted;
}

VectorSpool::VectorSpool(size_t dim, size_t memory_budget_bytes)
    : dim_(dim), budget_floats_(memory_budget_bytes / sizeof(float)) {}

VectorSpool::~VectorSpool() {
  if (file_ != nullptr) std::fclose(file_);
}

Status VectorSpool::Append(const float* rows, size_t n, const std::string* ids) {
  if (n == 0) return Status::Ok();
  size_t in_memory = 0;
  if (file_ == nullptr && dim_ > 0) {
    size_t room = (budget_floats_ - std::min(budget_floats_, memory_.size())) / dim_;
    in_memory = std::min(n, room);
  } else if (dim_ == 0) {
    in_memory = n;
  }
  memory_.insert(memory_.end(), rows, rows + in_memory * dim_);
  memory_rows_ += in_memory;
  if (in_memory < n) {
    if (file_ == nullptr) {
      file_ = std::tmpfile();
      if (file_ == nullptr) {
        return IoError("cannot create a temporary file to hold old vectors beyond the " +
                       std::to_string(budget_floats_ * sizeof(float) / (1 << 20)) +
                       " MB memory budget; check TMPDIR and free disk space");
      }
    }
    const size_t count = (n - in_memory) * dim_;
    if (std::fwrite(rows + in_memory * dim_, sizeof(float), count, file_) != count) {
      return IoError("cannot write old vectors to a temporary file (disk full?)");
    }
    file_dirty_ = true;
  }
  ids_.insert(ids_.end(), ids, ids + n);
  return Status::Ok();
}

Status VectorSpool::ReadRow(size_t index, float* out) {
  if (index >= ids_.size()) {
    return InvalidArgument("old vector row " + std::to_string(index) + " past the end (" +
                           std::to_string(ids_.size()) + " rows)");
  }
  if (index < memory_rows_) {
    std::copy(memory_.data() + index * dim_, memory_.data() + (index + 1) * dim_, out);
    return Status::Ok();
  }
  if (file_dirty_) {
    if (std::fflush(file_) != 0) return IoError("cannot flush the temporary file of old vectors");
    file_dirty_ = false;
  }
  const size_t bytes = dim_ * sizeof(float);
  const off_t offset = static_cast<off_t>((index - memory_rows_) * bytes);
  size_t done = 0;
  while (done < bytes) {
    ssize_t got = ::pread(fileno(file_), reinterpret_cast<char*>(out) + done, bytes - done,
                          offset + static_cast<off_t>(done));
    if (got <= 0) return IoError("cannot read back the temporary file of old vectors");
    done += static_cast<size_t>(got);
  }
  return Status::Ok();
}

Status VectorSpool::Replay(const BlockSink& sink) {
  for (size_t r = 0; r < memory_rows_; r += kReplayRows) {
    size_t n = std::min(kReplayRows, memory_rows_ - r);
    sink(memory_.data() + r * dim_, n, ids_.data() + r);
  }
  if (file_ == nullptr) return Status::Ok();
  file_dirty_ = false;
  if (std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0) {
    return IoError("cannot rewind the temporary file of old vectors");
  }
  std::vector<float> buffer(kReplayRows * dim_);
  for (size_t r = memory_rows_; r < ids_.size(); r += kReplayRows) {
    size_t n = std::min(kReplayRows, ids_.size() - r);
    if (std::fread(buffer.data(), sizeof(float) * dim_, n, file_) != n) {
      return IoError("cannot read back the temporary file of old vectors");
    }
    sink(buffer.data(), n, ids_.data() + r);
  }
  return Status::Ok();
}

}  // namespace vecgate
