// Typed errors. Every message says what was wrong and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace neon {

// Base of every error the runtime throws on bad input or a failing device.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Operand shapes that do not fit an op (names the op and both shapes).
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A device or driver failed, or a backend cannot do what was asked.
class BackendError : public Error {
 public:
  using Error::Error;
};

// Shadow validation (--validate) found a stage whose result differs from `reference`; the
// message is a multi-line report (stage, program, shapes, strides, NMSE, first differing element).
class ShadowMismatchError : public BackendError {
 public:
  using BackendError::BackendError;
};

// A file could not be read or written, or its contents are malformed.
class IoError : public Error {
 public:
  using Error::Error;
};

// An argument out of its valid range (unknown name, bad axis, bad dtype).
class ArgumentError : public Error {
 public:
  using Error::Error;
};

}  // namespace neon
