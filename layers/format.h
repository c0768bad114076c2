// How layers, transforms, optimizers and initializers print their numbers in
// describe() (model descriptions, messages): shortest round-trip-ish form.
#pragma once

#include <cstdio>
#include <string>

namespace neon {

inline std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

}  // namespace neon
