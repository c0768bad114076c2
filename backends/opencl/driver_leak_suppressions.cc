// LeakSanitizer suppressions for the OpenCL driver's own allocations: PoCL and
// the LLVM inside it keep compiler and device state until the process exits
// (checked under --config=asan with full stacks: no leak they report has a
// frame of ours). Linked into every program that links the OpenCL backend; in
// builds without LeakSanitizer nothing calls it.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpocl.so\n"
         "leak:libLLVM\n";
}
