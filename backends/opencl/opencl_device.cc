#include "backends/opencl/opencl_device.h"

#include <string>
#include <vector>

#include "backends/opencl/opencl_handles.h"
#include "core/error.h"

namespace neon::opencl {

namespace {

std::string DeviceString(cl_device_id device, cl_device_info param) {
  size_t size = 0;
  if (clGetDeviceInfo(device, param, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string value(size, '\0');
  if (clGetDeviceInfo(device, param, size, value.data(), nullptr) != CL_SUCCESS) return "";
  while (!value.empty() && (value.back() == '\0' || value.back() == ' ')) value.pop_back();
  return value;
}

template <typename T>
T DeviceValue(cl_device_id device, cl_device_info param, T fallback) {
  T value{};
  return clGetDeviceInfo(device, param, sizeof(T), &value, nullptr) == CL_SUCCESS ? value : fallback;
}

bool HasFloat64(cl_device_id device) {
  std::string extensions = " " + DeviceString(device, CL_DEVICE_EXTENSIONS) + " ";
  return extensions.find(" cl_khr_fp64 ") != std::string::npos;
}

std::vector<cl_platform_id> Platforms() {
  cl_uint count = 0;
  // The ICD loader returns CL_PLATFORM_NOT_FOUND_KHR (-1001) when no driver is installed.
  if (clGetPlatformIDs(0, nullptr, &count) != CL_SUCCESS || count == 0) return {};
  std::vector<cl_platform_id> platforms(count);
  if (clGetPlatformIDs(count, platforms.data(), nullptr) != CL_SUCCESS) return {};
  return platforms;
}

}  // namespace

std::vector<DeviceRecord> EnumerateDevices() {
  std::vector<DeviceRecord> records;
  for (cl_platform_id platform : Platforms()) {
    cl_uint count = 0;
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &count) != CL_SUCCESS) continue;
    std::vector<cl_device_id> devices(count);
    if (clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, devices.data(), nullptr) != CL_SUCCESS) {
      continue;
    }
    for (cl_device_id device : devices) {
      DeviceRecord record;
      record.platform = platform;
      record.device = device;
      record.device_name = DeviceString(device, CL_DEVICE_NAME);
      record.driver_version = DeviceString(device, CL_DRIVER_VERSION);
      const auto type = DeviceValue<cl_device_type>(device, CL_DEVICE_TYPE, 0);
      record.is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
      record.max_work_group_size = DeviceValue<size_t>(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, 1);
      record.max_parameter_bytes = DeviceValue<size_t>(device, CL_DEVICE_MAX_PARAMETER_SIZE, 256);
      record.max_alloc_bytes = DeviceValue<cl_ulong>(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 0);
      DeviceInfo& info = record.info;
      info.name = "opencl:" + std::to_string(records.size());
      info.kind = "opencl";
      info.device_type = record.is_gpu ? "gpu" : (type & CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "accelerator" : "cpu";
      info.description = DeviceString(device, CL_DEVICE_VENDOR) + " " + record.device_name + " (" +
                         DeviceString(device, CL_DEVICE_VERSION) + ", driver " +
                         record.driver_version + ")";
      info.memory_bytes = DeviceValue<cl_ulong>(device, CL_DEVICE_GLOBAL_MEM_SIZE, 0);
      info.compute_units = static_cast<int>(DeviceValue<cl_uint>(device, CL_DEVICE_MAX_COMPUTE_UNITS, 0));
      info.supports_float64 = HasFloat64(device);
      records.push_back(std::move(record));
    }
  }
  return records;
}

std::string NoDeviceMessage(bool have_platform) {
  const char* install =
      "install an OpenCL driver (Debian: pocl-opencl-icd for CPUs, or your GPU vendor's ICD, "
      "e.g. mesa-opencl-icd, intel-opencl-icd, nvidia-opencl-icd)";
  return have_platform ? std::string("OpenCL platforms are installed but report no device: ") + install
                       : std::string("no OpenCL platform found: ") + install;
}

const DeviceRecord& SelectDevice(const std::vector<DeviceRecord>& devices, int index) {
  if (devices.empty()) throw BackendError(NoDeviceMessage(!Platforms().empty()));
  if (index == -1) {
    for (const DeviceRecord& record : devices) {
      if (record.is_gpu) return record;
    }
    return devices.front();
  }
  if (index < 0 || index >= static_cast<int>(devices.size())) {
    std::string list;
    for (const DeviceRecord& record : devices) {
      list += (list.empty() ? " " : "; ") + record.info.name + " (" + record.info.description + ")";
    }
    throw ArgumentError("no OpenCL device opencl:" + std::to_string(index) + "; expected opencl:0 to opencl:" +
                        std::to_string(devices.size() - 1) + ", or plain 'opencl' for the best device; devices:" +
                        list);
  }
  return devices[index];
}

}  // namespace neon::opencl

namespace neon {

std::vector<DeviceInfo> ListOpenCLDevices() {
  std::vector<DeviceInfo> infos;
  for (const opencl::DeviceRecord& record : opencl::EnumerateDevices()) infos.push_back(record.info);
  return infos;
}

}  // namespace neon
