// HttpClient: libcurl easy handle, keep-alive, retries; see http_client.h.
#include "stores/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

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
  CURL* curl;
  std::string* body;
  bool sized = false;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* target = static_cast<WriteTarget*>(user);
  const size_t n = size * nmemb;
  if (!target->sized) {
    // Reserve the whole body once when the server announces its length.
    target->sized = true;
    curl_off_t length = -1;
    if (curl_easy_getinfo(target->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &length) == CURLE_OK &&
        length > 0) {
      target->body->reserve(static_cast<size_t>(length) + kBodyPadding);
    }
  }
  target->body->append(data, n);
  return n;
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

std::string Excerpt(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, max_chars)) + "...";
}

}  // namespace

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
                              long status, std::string_view body) {
  std::string message = std::string(HttpMethodName(method)) + " " + path +
                        ": HTTP " + std::to_string(status);
  try {
    const auto json = nlohmann::json::parse(body.begin(), body.end());
    if (json.is_object()) {
      auto error = json.find("error");
      auto text = json.find("message");
      if (error != json.end() && error->is_string()) {
        message += " " + error->get<std::string>();
      }
      if (text != json.end() && text->is_string()) {
        message += ": " + Excerpt(text->get<std::string>(), 400);
      }
      return message;
    }
  } catch (const std::exception&) {
    // Not JSON: fall through to a raw excerpt.
  }
  if (!body.empty()) message += ": " + Excerpt(body, 200);
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
    } else if (bearer != nullptr && *bearer != '\0') {
      headers = curl_slist_append(
          headers, (std::string("Authorization: Bearer ") + bearer).c_str());
      has_token_ = true;
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
  for (int attempt = 0;; ++attempt) {
    body->clear();
    error_buffer[0] = '\0';
    WriteTarget target{curl, body};
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &target);
    const CURLcode code = curl_easy_perform(curl);
    bool retry = false;
    HttpResponse response;
    if (code == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
      retry = RetryableStatus(response.status);
      last_error = "HTTP " + std::to_string(response.status);
    } else {
      last_error = error_buffer[0] != '\0' ? std::string(error_buffer)
                                           : curl_easy_strerror(code);
      retry = RetryableCurlError(code);
      if (!retry) {
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
        return Unavailable(std::string(HttpMethodName(method)) + " " + path +
                           ": " + last_error);
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
