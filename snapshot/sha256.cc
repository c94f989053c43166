// SHA-256 via OpenSSL EVP.
#include "snapshot/sha256.h"

#include <openssl/evp.h>

#include <cstring>
#include <vector>

namespace vecgate {

namespace {
EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }
}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Sha256::Update(const void* data, size_t size) {
  if (size > 0) EVP_DigestUpdate(Ctx(ctx_), data, size);
}

std::string Sha256::HexDigest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(Ctx(ctx_), digest, &length);
  EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

std::string Sha256::Of(std::string_view data) {
  Sha256 sha;
  sha.Update(data);
  return sha.HexDigest();
}

Result<std::string> FileSha256(Env* env, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file, env->NewSequentialFile(path));
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  while (true) {
    size_t got = 0;
    RETURN_IF_ERROR(file->Read(buffer.size(), buffer.data(), &got));
    if (got == 0) break;
    sha.Update(buffer.data(), got);
  }
  return sha.HexDigest();
}

}  // namespace vecgate
