// LeakSanitizer suppressions for the OpenCL driver: PoCL and the LLVM inside
// it lose allocations made while building programs and reading their binaries.
// Checked under --config=asan with full stacks (fast_unwind_on_malloc=0): every
// leak is allocated inside libpocl / libLLVM; our frames appear only further
// out, as callers of clBuildProgram / clGetProgramInfo (the program cache's and
// CLBlast's builds). Linked into every program that links the OpenCL backend;
// in builds without LeakSanitizer nothing calls it.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpocl.so\n"
         "leak:libLLVM\n";
}
