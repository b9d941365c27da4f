// Catch's main for the fault-injection tests: the allocator hooks must be in
// place before anything initializes SQLite.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "fault_injection.h"

int main(int argc, char* argv[]) {
  fault_injection::install();
  return Catch::Session().run(argc, argv);
}
