// main() of a benchmark program: bad input (a neon::Error) is one line on stderr and
// exit code 2, as the CLI does, never an abort.
#pragma once

#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>

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

// `value` of flag `name` as a whole number in [1, max]; ArgumentError otherwise ("5x" too).
inline int FlagInRange(const std::string& name, const char* value, int max) {
  int parsed = 0;
  const char* end = value + std::strlen(value);
  auto [stop, error] = std::from_chars(value, end, parsed);
  if (error != std::errc() || stop != end || parsed < 1 || parsed > max) {
    throw ArgumentError(name + " must be a whole number in [1, " + std::to_string(max) + "], got '" + value + "'");
  }
  return parsed;
}

}  // namespace neon::bench
