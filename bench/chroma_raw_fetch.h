// The raw-HTTP baselines of the Chroma benchmarks: an HttpClient to the
// server a ChromaStore talks to (chroma_bench and snapshot_bench send their
// pre-encoded requests through it), and ChromaRawFetch, every page of every
// collection of some Chroma databases fetched with HttpClient (POST .../get,
// embeddings, documents and metadatas), bodies not decoded: the cost of
// moving the data at all, as chroma_bench's SCAN baseline. ChromaRawFetch
// is what validate_chroma_bench and pgvector_bench compare with.
#ifndef VECGATE_BENCH_CHROMA_RAW_FETCH_H_
#define VECGATE_BENCH_CHROMA_RAW_FETCH_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "stores/chroma_store.h"
#include "stores/http_client.h"

namespace vecgate::bench {

// A client of the server `store` talks to, for requests sent raw.
inline Result<std::unique_ptr<HttpClient>> RawClient(const ChromaStore& store,
                                                     double timeout_seconds) {
  HttpClientOptions http;
  http.base_url = store.uri().BaseUrl();
  http.timeout_seconds = timeout_seconds;
  return HttpClient::Create(http);
}

class ChromaRawFetch {
 public:
  // Plans the fetch of every collection of `stores` (all on one server),
  // `page_size` records a request.
  static Result<ChromaRawFetch> Plan(const std::vector<ChromaStore*>& stores,
                                     double timeout_seconds, size_t page_size) {
    ChromaRawFetch fetch;
    fetch.page_size_ = page_size;
    if (stores.empty()) return InvalidArgument("raw fetch: no stores");
    ASSIGN_OR_RETURN(fetch.client_, RawClient(*stores.front(), timeout_seconds));
    for (ChromaStore* store : stores) {
      ASSIGN_OR_RETURN(std::vector<CollectionInfo> collections, store->ListCollections());
      for (const CollectionInfo& c : collections) {
        ASSIGN_OR_RETURN(std::string id, store->CollectionId(c.name));
        ASSIGN_OR_RETURN(int64_t count, store->Count(c.name));
        fetch.targets_.push_back({store->CollectionsPath() + "/" + id + "/get", count});
      }
    }
    return fetch;
  }

  // Fetches every page once; bytes() and pages() say how much came.
  Status Fetch() {
    bytes_ = 0;
    pages_ = 0;
    for (const Target& t : targets_) {
      for (int64_t offset = 0; offset < t.count; offset += static_cast<int64_t>(page_size_)) {
        const std::string request =
            R"({"include":["embeddings","documents","metadatas"],"limit":)" +
            std::to_string(page_size_) + ",\"offset\":" + std::to_string(offset) + "}";
        ASSIGN_OR_RETURN(HttpResponse r, client_->PostRaw(t.path, request, &response_));
        if (r.status != 200) {
          return Unavailable("raw get " + t.path + ": HTTP " + std::to_string(r.status));
        }
        bytes_ += response_.size();
        ++pages_;
      }
    }
    return Status::Ok();
  }

  size_t bytes() const { return bytes_; }
  size_t pages() const { return pages_; }

 private:
  struct Target {
    std::string path;
    int64_t count = 0;
  };
  std::unique_ptr<HttpClient> client_;
  std::vector<Target> targets_;
  std::string response_;
  size_t page_size_ = 1000;
  size_t bytes_ = 0;
  size_t pages_ = 0;
};

}  // namespace vecgate::bench

#endif  // VECGATE_BENCH_CHROMA_RAW_FETCH_H_
