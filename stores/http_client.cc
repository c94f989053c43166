// HttpClient: libcurl easy handle, keep-alive, retries; see http_client.h.
#include "stores/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/text.h"
#include "stores/chroma_page_decoder.h"

namespace vecgate {

namespace {

// Spare capacity kept after every response body, for in-place JSON parsing
// (simdjson needs SIMDJSON_PADDING == 64; checked in chroma_page_decoder.cc).
constexpr size_t kBodyPadding = 64;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct WriteTarget {
  CURL* curl = nullptr;
  std::string* body = nullptr;
  size_t cap = 0;
  bool sized = false;
  // Set when the body went past `cap` (announced or received).
  bool over_cap = false;
  curl_off_t announced = -1;
  // Set when appending failed (std::bad_alloc and the like).
  std::string failure;
};

// libcurl's write callback. Returning anything but `n` aborts the transfer
// (CURLE_WRITE_ERROR); no exception may cross into libcurl's C frames.
size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) noexcept {
  auto* target = static_cast<WriteTarget*>(user);
  const size_t n = size * nmemb;
  try {
    if (!target->sized) {
      // Reserve the whole body once when the server announces a length
      // under the cap; a larger announcement is refused before any memory
      // is taken.
      target->sized = true;
      curl_off_t length = -1;
      if (curl_easy_getinfo(target->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                            &length) == CURLE_OK &&
          length > 0) {
        target->announced = length;
        if (static_cast<uint64_t>(length) > target->cap) {
          target->over_cap = true;
          return 0;
        }
        target->body->reserve(static_cast<size_t>(length) + kBodyPadding);
      }
    }
    if (n > target->cap || target->body->size() > target->cap - n) {
      target->over_cap = true;
      return 0;
    }
    target->body->append(data, n);
    return n;
  } catch (const std::bad_alloc&) {
    target->failure = "out of memory while receiving the response body (" +
                      std::to_string(target->body->size()) + " bytes so far)";
  } catch (const std::exception& e) {
    target->failure = std::string("cannot store the response body: ") + e.what();
  } catch (...) {
    target->failure = "cannot store the response body";
  }
  return 0;
}

std::string FormatBytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  return std::to_string(bytes) + " bytes";
}

// TLS spoken to a plain-HTTP server: OpenSSL reads the HTTP answer as a
// record header with an impossible version.
bool IsTlsToPlainHttp(const std::string& error) {
  return error.find("wrong version number") != std::string::npos ||
         error.find("WRONG_VERSION_NUMBER") != std::string::npos;
}

bool RetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool RetryableStatus(long status) {
  return status >= 500 && status != 501 && status != 505;
}

double Jitter() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.5, 1.5)(rng);
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string SanitizeServerText(std::string_view text,
                               const std::vector<std::string>& secrets,
                               size_t max_chars) {
  // Redact before the final cut, so that it cannot leave half a secret; a
  // first cut keeps a huge body from being copied whole.
  std::string clean = Redact(std::string(text.substr(0, max_chars + 4096)), secrets);
  bool cut = false;
  if (clean.size() > max_chars) {
    clean.resize(max_chars);
    cut = true;
  }
  clean = Printable(clean, /*one_line=*/true);
  if (cut) clean += "...";
  return clean;
}

bool LooksLikeHtml(std::string_view body) {
  size_t i = 0;
  while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
  const std::string head = LowerAscii(body.substr(i, 64));
  return head.rfind("<!doctype html", 0) == 0 || head.rfind("<html", 0) == 0 ||
         head.rfind("<head", 0) == 0 || head.rfind("<body", 0) == 0 ||
         head.rfind("<?xml", 0) == 0 || head.rfind("<!--", 0) == 0 ||
         head.rfind("<h1", 0) == 0 || head.rfind("<title", 0) == 0;
}

const char* HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string DescribeHttpError(HttpMethod method, const std::string& path,
                              long status, std::string_view body,
                              const std::vector<std::string>& secrets,
                              const std::string& server) {
  const std::string shown_path = SanitizeServerText(path, secrets, 200);
  std::string message = std::string(HttpMethodName(method)) + " " +
                        shown_path + ": HTTP " + std::to_string(status);
  if (LooksLikeHtml(body)) {
    const std::string lower = LowerAscii(body.substr(0, 64 * 1024));
    std::string title;
    const size_t open = lower.find("<title");
    if (open != std::string::npos) {
      const size_t start = lower.find('>', open);
      const size_t end = lower.find("</title", open);
      if (start != std::string::npos && end != std::string::npos && start < end) {
        title = SanitizeServerText(body.substr(start + 1, end - start - 1),
                                   secrets, 80);
      }
    }
    message = "the server" + (server.empty() ? std::string() : " at " + server) +
              " answered " + message + " with an HTML page" +
              (title.empty() ? std::string() : " ('" + title + "')") +
              "; is this a Chroma server? (Chroma answers its /api/v2 paths "
              "with JSON; check the host, the port and any proxy in between)";
    return message;
  }
  try {
    if (!JsonDepthWithin(body, kMaxJsonDepth)) throw std::runtime_error("deep");
    const auto json = nlohmann::json::parse(body.begin(), body.end());
    if (json.is_object()) {
      auto error = json.find("error");
      auto text = json.find("message");
      if (error != json.end() && error->is_string()) {
        message += " " + SanitizeServerText(error->get<std::string>(), secrets, 100);
      }
      if (text != json.end() && text->is_string()) {
        message += ": " + SanitizeServerText(text->get<std::string>(), secrets);
      }
      return message;
    }
  } catch (const std::exception&) {
    // Not JSON: fall through to a raw excerpt.
  }
  if (!body.empty()) message += ": " + SanitizeServerText(body, secrets, 200);
  return message;
}

HttpClient::HttpClient(HttpClientOptions options)
    : options_(std::move(options)) {}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
  if (base_headers_ != nullptr) {
    curl_slist_free_all(static_cast<curl_slist*>(base_headers_));
  }
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create(
    HttpClientOptions options) {
  std::unique_ptr<HttpClient> client(new HttpClient(std::move(options)));
  RETURN_IF_ERROR(client->Init());
  return client;
}

Status HttpClient::Init() {
  GlobalInitOnce();
  if (options_.max_response_bytes == 0) {
    options_.max_response_bytes = kDefaultMaxResponseBytes;
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return Unavailable("cannot create an HTTP client (curl_easy_init failed)");
  }
  curl_ = curl;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  // No "Expect: 100-continue" round trip before large bodies.
  headers = curl_slist_append(headers, "Expect:");
  if (options_.use_env_token) {
    const char* token = std::getenv("CHROMA_TOKEN");
    const char* bearer = std::getenv("CHROMA_AUTH_TOKEN");
    if (token != nullptr && *token != '\0') {
      headers = curl_slist_append(
          headers, (std::string("x-chroma-token: ") + token).c_str());
      has_token_ = true;
      secrets_.push_back(token);
    } else if (bearer != nullptr && *bearer != '\0') {
      headers = curl_slist_append(
          headers, (std::string("Authorization: Bearer ") + bearer).c_str());
      has_token_ = true;
      secrets_.push_back(bearer);
    }
  }
  base_headers_ = headers;

  const long timeout_ms =
      static_cast<long>(std::max(0.001, options_.timeout_seconds) * 1000.0);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   std::min(timeout_ms, 10000L));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024L);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024L * 1024L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  // libcurl refuses a Content-Length above the cap itself; WriteBody also
  // counts what arrives (chunked or lying servers).
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(options_.max_response_bytes));
  return Status::Ok();
}

Result<HttpResponse> HttpClient::Send(HttpMethod method,
                                      const std::string& path,
                                      std::string_view request_body,
                                      std::string* body,
                                      const RequestPolicy& policy) {
  CURL* curl = static_cast<CURL*>(curl_);
  const std::string url = options_.base_url + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  switch (method) {
    case HttpMethod::kGet:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
      break;
    case HttpMethod::kDelete:
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
      break;
    case HttpMethod::kPost:
    case HttpMethod::kPut:
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request_body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request_body.size()));
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                       method == HttpMethod::kPut ? "PUT" : nullptr);
      break;
  }
  char error_buffer[CURL_ERROR_SIZE];
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

  const int max_retries =
      policy.max_retries >= 0 ? policy.max_retries : options_.max_retries;
  std::string last_error;
  const std::string what = std::string(HttpMethodName(method)) + " " + path;
  for (int attempt = 0;; ++attempt) {
    body->clear();
    error_buffer[0] = '\0';
    WriteTarget target;
    target.curl = curl;
    target.body = body;
    target.cap = options_.max_response_bytes;
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &target);
    const CURLcode code = curl_easy_perform(curl);
    bool retry = false;
    HttpResponse response;
    if (target.over_cap || code == CURLE_FILESIZE_EXCEEDED) {
      curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
      curl_off_t announced = target.announced;
      if (announced < 0) {
        curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
      }
      body->clear();
      body->shrink_to_fit();
      return Corruption(
          what + ": the server " +
          (announced > 0 && static_cast<uint64_t>(announced) >
                                options_.max_response_bytes
               ? "announced a response body of " +
                     std::to_string(static_cast<uint64_t>(announced)) + " bytes"
               : std::string("sent a response body")) +
          ", more than the cap of " + FormatBytes(options_.max_response_bytes) +
          " (max_response_bytes); the transfer was stopped. A Chroma page is "
          "far smaller: check that this is a Chroma server, or raise "
          "max_response_bytes if its answers really are this large");
    }
    if (!target.failure.empty()) {
      curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
      body->clear();
      body->shrink_to_fit();
      return Unavailable(what + ": " + target.failure);
    }
    if (code == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
      retry = RetryableStatus(response.status);
      last_error = "HTTP " + std::to_string(response.status);
    } else {
      last_error = error_buffer[0] != '\0' ? std::string(error_buffer)
                                           : curl_easy_strerror(code);
      last_error = SanitizeServerText(last_error, secrets_);
      // A TLS/plain-HTTP mix-up does not heal by retrying.
      retry = RetryableCurlError(code) && !IsTlsToPlainHttp(last_error);
      if (!retry) {
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
        return Unavailable(what + ": " + last_error);
      }
    }
    if (!retry || attempt >= max_retries) {
      curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
      if (code != CURLE_OK) {
        return Unavailable(std::string(HttpMethodName(method)) + " " + path +
                           ": " + last_error + " (after " +
                           std::to_string(attempt + 1) + " attempts)");
      }
      if (body->capacity() < body->size() + kBodyPadding) {
        body->reserve(body->size() + kBodyPadding);
      }
      return response;
    }
    const double delay =
        std::min(5.0, options_.initial_backoff_seconds *
                          double(1 << std::min(attempt, 10)) * Jitter());
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
  }
}

}  // namespace vecgate
