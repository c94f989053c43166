// SHA-256 through OpenSSL's EVP API (SHA-NI where the CPU has it), with
// lowercase hex output as manifests store it.
//
// Thread safety: one Sha256 object per thread.
#ifndef VECGATE_SNAPSHOT_SHA256_H_
#define VECGATE_SNAPSHOT_SHA256_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/env.h"
#include "core/status.h"

namespace vecgate {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view data) { Update(data.data(), data.size()); }
  // Finishes and returns 64 lowercase hex digits; the object starts over.
  std::string HexDigest();

  static std::string Of(std::string_view data);

 private:
  void* ctx_;  // EVP_MD_CTX*
};

// SHA-256 of a whole file, read in 1 MiB blocks (memory does not grow with
// the file). IoError/NotFound naming the path.
Result<std::string> FileSha256(Env* env, const std::string& path);

}  // namespace vecgate

#endif  // VECGATE_SNAPSHOT_SHA256_H_
