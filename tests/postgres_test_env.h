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
#include "tests/test_server.h"

namespace vecgate::testutil {

class PostgresTestServer {
 public:
  // The process-wide server; starts one if needed. Aborts the test program
  // with a clear message if no server can be had.
  static PostgresTestServer& Get();

  int port() const { return server_.port(); }
  // postgresql://postgres@127.0.0.1:PORT/postgres
  std::string BaseUri() const;
  // The URI of a new schema (not created yet) named after `hint` plus a
  // unique suffix; `params` is appended ("layout=langchain").
  std::string NewSchemaUri(const std::string& hint, const std::string& params = "");
  // Opens a store on a new schema.
  std::unique_ptr<Store> NewSchema(const std::string& hint, const std::string& params = "");

  void StopOwned();

 private:
  PostgresTestServer();

  SharedServer server_;
};

}  // namespace vecgate::testutil

#endif  // VECGATE_TESTS_POSTGRES_TEST_ENV_H_
