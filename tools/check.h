// `neon check`: the conformance suite as a command. Runs the cross-device cases
// on one backend against `reference`, each case family in a child process (so a
// crash is reported by case name), and prints a table per family.
#pragma once

#include <string>

namespace neon {

struct CheckOptions {
  std::string backend;   // the spec under test
  std::string cases;     // a family, a glob over case names, or a substring; "" runs every case
  std::string json;      // report file, "" for none
};

// Returns the exit code: 0 when every case passed, 1 when one failed. Throws ArgumentError
// when no case matches and BackendError when the backend cannot be created.
int RunCheck(const CheckOptions& options);

}  // namespace neon
