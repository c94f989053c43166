"""Exact l2 top-k by NumPy brute force: what a user would write.

Usage: numpy_topk.py VECTORS.f32 QUERIES.f32 DIM K [VECGATE_IDS.i64]

Loads the raw float32 files (numpy.fromfile), runs the search once untimed
(warm-up) and once timed: squared distances |q|^2 - 2 q.x + |x|^2 with one
float32 GEMM (Q @ X.T), argpartition for the k nearest, then a sort of those
k. Prints "seconds S", "blas LIB" (the BLAS library actually mapped into the
process, from /proc/self/maps, or threadpoolctl when installed) and, given
vecgate's ids (nq x k int64 row numbers), "agree_vecgate F": the share of
NumPy's top-k ids that are in vecgate's.
"""
import sys
import time

import numpy as np


def search(x, q, k):
    x_sq = np.einsum("ij,ij->i", x, x)
    q_sq = np.einsum("ij,ij->i", q, q)
    d = q @ x.T
    d *= -2.0
    d += x_sq[None, :]
    d += q_sq[:, None]
    idx = np.argpartition(d, k - 1, axis=1)[:, :k]
    order = np.argsort(np.take_along_axis(d, idx, axis=1), axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1)


def blas_in_use():
    try:
        from threadpoolctl import threadpool_info  # optional
        info = [f"{i.get('internal_api')} {i.get('filepath')} threads={i.get('num_threads')}"
                for i in threadpool_info() if i.get("user_api") == "blas"]
        if info:
            return "; ".join(info)
    except ImportError:
        pass
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if any(s in path for s in ("blas", "mkl", "blis", "atlas")):
                libs.add(path)
    return ", ".join(sorted(libs)) or "unknown"


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    dim, k = int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(sys.argv[1], dtype="<f4").reshape(-1, dim)
    q = np.fromfile(sys.argv[2], dtype="<f4").reshape(-1, dim)
    search(x, q, k)  # warm-up
    start = time.perf_counter()
    ids = search(x, q, k)
    seconds = time.perf_counter() - start
    print(f"seconds {seconds:.6f}")
    print(f"numpy {np.__version__}")
    print(f"blas {blas_in_use()}")
    if len(sys.argv) > 5:
        mine = np.fromfile(sys.argv[5], dtype="<i8").reshape(-1, k)
        shared = sum(len(set(a) & set(b)) for a, b in zip(ids.tolist(), mine.tolist()))
        print(f"agree_vecgate {shared / ids.size:.6f}")


if __name__ == "__main__":
    main()
