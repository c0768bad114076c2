// main() of a benchmark program: bad input (a neon::Error) is one line on stderr and
// exit code 2, as the CLI does, never an abort.
#pragma once

#include <cstdio>

#include "core/error.h"

namespace neon::bench {

// Returns body(argc, argv), or 2 after printing "program: message" for a neon::Error.
template <typename Body>
int RunMain(const char* program, Body&& body, int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const Error& error) {
    std::fprintf(stderr, "%s: %s\n", program, error.what());
    return 2;
  }
}

}  // namespace neon::bench
