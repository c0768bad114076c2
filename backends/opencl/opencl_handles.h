// RAII owners of OpenCL objects (context, queue, memory, program, kernel) and
// the status check that turns a failing OpenCL call into a BackendError.
#pragma once

#include <CL/cl.h>

#include <string>
#include <string_view>
#include <utility>

namespace neon::opencl {

// Name of an OpenCL status code ("CL_OUT_OF_RESOURCES"), or its number.
std::string StatusName(cl_int status);

// Throws BackendError("<what> failed: <status name>") unless status is CL_SUCCESS.
void CheckCl(cl_int status, std::string_view what);

// Owns one reference to an OpenCL object; Release is clRelease*, Retain clRetain*.
template <typename T, cl_int (*Release)(T), cl_int (*Retain)(T)>
class Handle {
 public:
  Handle() = default;
  // Takes ownership of a reference the caller holds.
  explicit Handle(T object) : object_(object) {}
  Handle(const Handle& other) : object_(other.object_) {
    if (object_ != nullptr) Retain(object_);
  }
  Handle(Handle&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  Handle& operator=(Handle other) noexcept {
    std::swap(object_, other.object_);
    return *this;
  }
  ~Handle() {
    if (object_ != nullptr) Release(object_);
  }

  T get() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  T object_ = nullptr;
};

using ContextHandle = Handle<cl_context, clReleaseContext, clRetainContext>;
using QueueHandle = Handle<cl_command_queue, clReleaseCommandQueue, clRetainCommandQueue>;
using MemHandle = Handle<cl_mem, clReleaseMemObject, clRetainMemObject>;
using ProgramHandle = Handle<cl_program, clReleaseProgram, clRetainProgram>;
using KernelHandle = Handle<cl_kernel, clReleaseKernel, clRetainKernel>;

}  // namespace neon::opencl
