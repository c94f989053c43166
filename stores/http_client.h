// HttpClient: a small libcurl wrapper for the Chroma adapter and benchmarks.
//
// One client owns one curl easy handle, reused for every request so that the
// TCP connection is kept alive. Requests that fail to connect, time out, or
// get a 5xx answer are retried with exponential backoff and jitter; a 4xx
// answer is returned at once. The response body lands in a buffer owned by
// the caller (reused between requests, so large pages do not reallocate) with
// SIMDJSON_PADDING spare bytes of capacity, so that a JSON parser can read it
// in place.
//
// Credentials: an optional token is read from the environment when the
// client is made (CHROMA_TOKEN -> "x-chroma-token: ...", else
// CHROMA_AUTH_TOKEN -> "Authorization: Bearer ..."). It is sent as a header
// and never appears in a Status message: messages name only the method, the
// URL path and what went wrong, and text a server sends back (which may echo
// the request's headers) has the token redacted (see SanitizeServerText).
//
// Hostile servers: a response body is capped (max_response_bytes), the
// Content-Length is trusted only below the cap, and nothing thrown inside the
// libcurl callback escapes it (an allocation failure becomes an error).
//
// Thread safety: a client is used by one thread at a time.
#ifndef VECGATE_STORES_HTTP_CLIENT_H_
#define VECGATE_STORES_HTTP_CLIENT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <vector>

#include "core/status.h"
#include "core/store.h"

namespace vecgate {

struct HttpClientOptions {
  // "http://127.0.0.1:8000" or "https://host:443"; paths are appended to it.
  std::string base_url;
  double timeout_seconds = 30.0;  // whole request, per attempt
  int max_retries = 4;            // extra attempts after a retryable failure
  double initial_backoff_seconds = 0.1;
  // When true, the token is read from CHROMA_TOKEN / CHROMA_AUTH_TOKEN.
  bool use_env_token = true;
  // Largest response body accepted (0: kDefaultMaxResponseBytes). A body the
  // server announces or sends beyond it ends the request with Corruption
  // naming the method, the path and the cap; nothing is reserved for a
  // Content-Length above it.
  size_t max_response_bytes = kDefaultMaxResponseBytes;
};

enum class HttpMethod { kGet, kPost, kPut, kDelete };
const char* HttpMethodName(HttpMethod method);

// What came back from a request that reached the server.
struct HttpResponse {
  long status = 0;  // HTTP status code
  // The body is in the `body` buffer passed to Send.
};

// How one request should be retried; overrides the client's defaults.
struct RequestPolicy {
  int max_retries = -1;  // -1: the client's max_retries
};

class HttpClient {
 public:
  // Unavailable if libcurl cannot make a handle.
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `method path` with `request_body` (JSON; may be empty for GET and
  // DELETE) and fills `*body` with the response body (cleared first; its
  // capacity is kept, and at least body->size() + SIMDJSON_PADDING on
  // return). Returns the HTTP status of the last attempt when the server
  // answered (any code, including 4xx and 5xx after the retries ran out);
  // Unavailable naming the method and path when no answer came after all
  // retries (connection refused, reset, timeout).
  Result<HttpResponse> Send(HttpMethod method, const std::string& path,
                            std::string_view request_body, std::string* body,
                            const RequestPolicy& policy = RequestPolicy());

  // The "raw HTTP" baseline: POSTs `request_body` and receives the raw body
  // with no decoding and no status interpretation. Same errors as Send.
  Result<HttpResponse> PostRaw(const std::string& path,
                               std::string_view request_body,
                               std::string* body) {
    return Send(HttpMethod::kPost, path, request_body, body);
  }

  const std::string& base_url() const { return options_.base_url; }
  // True when a token header is sent (the token itself is not exposed).
  bool has_token() const { return has_token_; }
  // The credentials this client sends, for redacting server text.
  const std::vector<std::string>& secrets() const { return secrets_; }
  size_t max_response_bytes() const { return options_.max_response_bytes; }

 private:
  explicit HttpClient(HttpClientOptions options);
  Status Init();

  HttpClientOptions options_;
  void* curl_ = nullptr;          // CURL*
  void* base_headers_ = nullptr;  // curl_slist* (content type, token, ...)
  bool has_token_ = false;
  std::vector<std::string> secrets_;
};

// Longest excerpt of server text put in a message (before escaping).
constexpr size_t kMaxServerTextChars = 300;

// Text a server sent, fit for a Status message: every occurrence of a
// `secrets` entry replaced by "***", cut to `max_chars` bytes ("..." marks
// the cut), invalid UTF-8 replaced and terminal controls (ESC, BEL, CR, LF,
// ...) escaped, on one line.
std::string SanitizeServerText(std::string_view text,
                               const std::vector<std::string>& secrets,
                               size_t max_chars = kMaxServerTextChars);

// Builds a message for a non-2xx answer: "POST /path: HTTP 400
// InvalidArgumentError: <message from the body>" (server text sanitized with
// `secrets`, capped). An HTML page (a web server or proxy that is not Chroma)
// is summarised with its <title>, naming `server` (the base URL) and asking
// whether it is a Chroma server, instead of being dumped.
std::string DescribeHttpError(HttpMethod method, const std::string& path,
                              long status, std::string_view body,
                              const std::vector<std::string>& secrets = {},
                              const std::string& server = "");

// True when `body` looks like an HTML page rather than JSON.
bool LooksLikeHtml(std::string_view body);

}  // namespace vecgate

#endif  // VECGATE_STORES_HTTP_CLIENT_H_
