// Status and Result<T>: how every vecgate module reports failure.
//
// Functions that can fail return a Status (or a Result<T> that holds either a
// value or a Status) instead of throwing. Third-party exceptions are caught at
// the boundary where foreign input enters and turned into a Status whose
// message names what failed, where, and what to do. Messages never contain
// credentials.
#ifndef VECGATE_CORE_STATUS_H_
#define VECGATE_CORE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace vecgate {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the user: URI, suite, file content
  kNotFound,            // a collection, snapshot or file that does not exist
  kAlreadyExists,       // creating something that is already there
  kUnavailable,         // a server that cannot be reached or keeps failing
  kIoError,             // local file-system failure
  kCorruption,          // data that fails its checksum or does not parse
  kFailedPrecondition,  // the operation is not allowed in the current state
  kUnimplemented,       // the store does not support this operation
  kAborted,             // cancelled, e.g. a lock held by another process
  kInternal,            // a bug in vecgate
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NotFound: collection 'x' does not exist" or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "context: message".
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::kInvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) {
  return Status(StatusCode::kNotFound, std::move(m));
}
inline Status AlreadyExists(std::string m) {
  return Status(StatusCode::kAlreadyExists, std::move(m));
}
inline Status Unavailable(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}
inline Status IoError(std::string m) {
  return Status(StatusCode::kIoError, std::move(m));
}
inline Status Corruption(std::string m) {
  return Status(StatusCode::kCorruption, std::move(m));
}
inline Status FailedPrecondition(std::string m) {
  return Status(StatusCode::kFailedPrecondition, std::move(m));
}
inline Status Unimplemented(std::string m) {
  return Status(StatusCode::kUnimplemented, std::move(m));
}
inline Status Aborted(std::string m) {
  return Status(StatusCode::kAborted, std::move(m));
}
inline Status Internal(std::string m) {
  return Status(StatusCode::kInternal, std::move(m));
}

// Holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result built from an OK status without a value");
    if (status_.ok()) status_ = Internal("Result built from OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace vecgate

#define VG_CONCAT_INNER_(a, b) a##b
#define VG_CONCAT_(a, b) VG_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::vecgate::Status vg_status_ = (expr);           \
    if (!vg_status_.ok()) return vg_status_;         \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, FunctionReturningResult());`
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(VG_CONCAT_(vg_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // VECGATE_CORE_STATUS_H_
