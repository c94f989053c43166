// main() for the integration tests: registers the store schemes, then runs
// googletest. The Chroma server is brought up lazily by the first test that
// asks for it (ChromaTestServer::Get).
#include <gtest/gtest.h>

#include "stores/register.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  vecgate::RegisterBuiltinStores();
  return RUN_ALL_TESTS();
}
