// The real PostgreSQL server (PGlite with pgvector) for tests.
//
// Either the one the `pglite` CTest fixture started (found through
// VECGATE_TEST_PGLITE_STATE) or, when a test binary runs by hand, one started
// for this process and stopped at exit. Each test gets a schema of its own.
#ifndef VECGATE_TESTS_POSTGRES_TEST_ENV_H_
#define VECGATE_TESTS_POSTGRES_TEST_ENV_H_

#include <memory>
#include <string>

#include "core/store.h"

namespace vecgate::testing {

class PostgresTestServer {
 public:
  // The process-wide server; starts one if needed. Aborts the test program
  // with a clear message if no server can be had.
  static PostgresTestServer& Get();

  int port() const { return port_; }
  // postgresql://postgres@127.0.0.1:PORT/postgres
  std::string BaseUri() const;
  // The URI of a new schema (not created yet) named after `hint` plus a
  // unique suffix; `params` is appended ("layout=langchain").
  std::string NewSchemaUri(const std::string& hint, const std::string& params = "");
  // Opens a store on a new schema.
  std::unique_ptr<Store> NewSchema(const std::string& hint, const std::string& params = "");

  void StopOwned();

 private:
  PostgresTestServer() = default;
  void Start();

  int port_ = 0;
  long owned_pid_ = 0;
  std::string owned_dir_;
};

// Starts a PGlite server of its own (for tests that stop it): "PORT PID".
// Returns false and the script's output in *error on failure.
bool StartPrivatePglite(const std::string& data_dir, int* port, long* pid, std::string* error);
void StopPrivatePglite(long pid);

}  // namespace vecgate::testing

#endif  // VECGATE_TESTS_POSTGRES_TEST_ENV_H_
