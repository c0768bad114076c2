// OpenCL platform and device discovery through the ICD loader, the choice of
// a device by index ("opencl:N", or the best one), and the device limits the
// backend respects (work-group size, argument bytes, float64 support).
#pragma once

#include <CL/cl.h>

#include <cstddef>
#include <string>
#include <vector>

#include "backends/backend.h"

namespace neon::opencl {

// One device as the ICD loader reports it, numbered across all platforms.
struct DeviceRecord {
  cl_platform_id platform = nullptr;
  cl_device_id device = nullptr;
  DeviceInfo info;                   // name "opencl:N", kind "opencl", ...
  std::string device_name;           // CL_DEVICE_NAME
  std::string driver_version;        // CL_DRIVER_VERSION
  bool is_gpu = false;
  size_t max_work_group_size = 1;
  size_t max_parameter_bytes = 256;  // CL_DEVICE_MAX_PARAMETER_SIZE
  uint64_t max_alloc_bytes = 0;      // CL_DEVICE_MAX_MEM_ALLOC_SIZE
};

// Every device of every platform; empty when there is no platform or device.
std::vector<DeviceRecord> EnumerateDevices();

// The device an index selects: -1 picks the best (the first GPU, else the
// first device). BackendError when `devices` is empty (naming how to install
// a driver), ArgumentError listing the devices when the index is out of range.
const DeviceRecord& SelectDevice(const std::vector<DeviceRecord>& devices, int index);

// Error text for "no OpenCL platform / device": what is missing and how to install it.
std::string NoDeviceMessage(bool have_platform);

}  // namespace neon::opencl

namespace neon {

// The OpenCL devices of this machine as `neon devices` lists them; empty when
// no OpenCL platform is installed.
std::vector<DeviceInfo> ListOpenCLDevices();

}  // namespace neon
