#include "tools/check.h"

#include <fnmatch.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "backends/registry.h"
#include "core/error.h"
#include "tests/conformance.h"

namespace neon {

namespace {

using conformance::Case;
using conformance::CaseResult;
using conformance::CheckCases;

// ---- selecting cases ----

bool Matches(const std::string& pattern, const std::string& name) {
  if (pattern.empty()) return true;
  const bool glob = pattern.find_first_of("*?[") != std::string::npos;
  return glob ? fnmatch(pattern.c_str(), name.c_str(), 0) == 0 : name.find(pattern) != std::string::npos;
}

std::vector<size_t> SelectCases(const std::string& pattern) {
  std::vector<size_t> selected;
  for (size_t i = 0; i < CheckCases().size(); ++i) {
    const Case& test_case = CheckCases()[i];
    if (test_case.name == pattern) return {i};  // an exact name (as "reproduce:" prints) is that case alone
    if (test_case.family == pattern || Matches(pattern, test_case.name)) selected.push_back(i);
  }
  if (selected.empty()) {
    throw ArgumentError("--cases=" + pattern + " matches none of the " + std::to_string(CheckCases().size()) +
                        " cases (a family such as 'unary', a glob such as 'exp_*' or a substring such as 'argmax')");
  }
  return selected;
}

// Case indices grouped by family, families in registry order.
std::vector<std::pair<std::string, std::vector<size_t>>> GroupByFamily(const std::vector<size_t>& selected) {
  std::vector<std::pair<std::string, std::vector<size_t>>> families;
  for (size_t index : selected) {
    const std::string& family = CheckCases()[index].family;
    if (families.empty() || families.back().first != family) families.push_back({family, {}});
    families.back().second.push_back(index);
  }
  return families;
}

// ---- the child process: runs cases, reports one line per event on a pipe ----

// Text on one protocol line: tabs and newlines become spaces.
std::string OneLine(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\t' || c == '\n' || c == '\r'; }, ' ');
  return text;
}

void WriteLine(int fd, const std::string& line) {
  std::string text = line + "\n";
  for (size_t done = 0; done < text.size();) {
    ssize_t written = write(fd, text.data() + done, text.size() - done);
    if (written <= 0) _exit(4);  // the parent is gone
    done += static_cast<size_t>(written);
  }
}

// Runs `indices` from `first` on, announcing each case before it starts so a crash names it.
[[noreturn]] void RunChild(int fd, const std::string& spec, const std::vector<size_t>& indices, size_t first) {
  std::unique_ptr<Backend> device, reference;
  try {
    device = CreateBackend(spec);
    reference = CreateBackend("reference");
  } catch (const std::exception& error) {
    WriteLine(fd, "error\t" + OneLine(error.what()));
    _exit(3);
  }
  for (size_t position = first; position < indices.size(); ++position) {
    WriteLine(fd, "begin\t" + std::to_string(position));
    CaseResult result;
    try {
      result = conformance::RunCase(CheckCases(), indices[position], *device, *reference);
    } catch (const std::exception& error) {
      result.ok = false;
      result.message = std::string("reference failed: ") + error.what();
    }
    char numbers[96];
    std::snprintf(numbers, sizeof(numbers), "%d\t%d\t%.17g\t%d\t%.9g", result.ok, result.skipped, result.nmse,
                  result.nonfinite_mismatch, result.seconds);
    WriteLine(fd, "result\t" + std::to_string(position) + "\t" + numbers + "\t" + OneLine(result.sentinel_damage) +
                      "\t" + OneLine(result.message));
  }
  _exit(0);
}

// ---- the parent: one child per family, a new one after a crash ----

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    return std::string("signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  }
  return "exit code " + std::to_string(WEXITSTATUS(status));
}

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, '\t');) fields.push_back(field);
  if (!line.empty() && line.back() == '\t') fields.push_back("");
  return fields;
}

class FamilyRunner {
 public:
  FamilyRunner(const std::string& spec, const std::vector<size_t>& indices, bool progress, const std::string& family)
      : spec_(spec), indices_(indices), progress_(progress), family_(family), results_(indices.size()) {}

  std::vector<CaseResult> Run() {
    size_t next = 0;
    while (next < indices_.size()) next = RunOneChild(next);
    return results_;
  }

 private:
  // Runs a child from `first`; returns the position to restart from.
  size_t RunOneChild(size_t first) {
    int fds[2];
    if (pipe(fds) != 0) throw BackendError("neon check: cannot create a pipe: " + std::string(strerror(errno)));
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) throw BackendError("neon check: cannot fork: " + std::string(strerror(errno)));
    if (pid == 0) {
      close(fds[0]);
      RunChild(fds[1], spec_, indices_, first);
    }
    close(fds[1]);
    FILE* stream = fdopen(fds[0], "r");
    size_t running = first;
    bool started = false;
    std::string backend_error;
    char* buffer = nullptr;
    size_t capacity = 0;
    for (ssize_t length; (length = getline(&buffer, &capacity, stream)) > 0;) {
      std::vector<std::string> fields = Split(std::string(buffer, static_cast<size_t>(length) - 1));
      if (fields[0] == "error" && fields.size() >= 2) backend_error = fields[1];
      if (fields[0] == "begin" && fields.size() >= 2) {
        running = std::stoul(fields[1]);
        started = true;
      }
      if (fields[0] == "result" && fields.size() >= 9) {
        CaseResult& result = results_[std::stoul(fields[1])];
        result.ok = fields[2] == "1";
        result.skipped = fields[3] == "1";
        result.nmse = std::stod(fields[4]);
        result.nonfinite_mismatch = fields[5] == "1";
        result.seconds = std::stod(fields[6]);
        result.sentinel_damage = fields[7];
        result.message = fields[8];
        started = false;
        ShowProgress(std::stoul(fields[1]) + 1);
      }
    }
    std::free(buffer);
    std::fclose(stream);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!backend_error.empty()) throw BackendError(backend_error);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return indices_.size();
    // The process died: the case it was running (or the first it never began) is the culprit.
    CaseResult& culprit = results_[running];
    culprit.ok = false;
    culprit.message = std::string(started ? "crashed the process" : "the process died before the case began") +
                      ": " + DescribeExit(status);
    return running + 1;
  }

  void ShowProgress(size_t done) const {
    if (progress_) std::fprintf(stderr, "\r%-12s %zu/%zu ", family_.c_str(), done, indices_.size());
  }

  const std::string& spec_;
  const std::vector<size_t>& indices_;
  bool progress_;
  std::string family_;
  std::vector<CaseResult> results_;
};

// ---- reporting ----

std::string InputsText(const Case& test_case) {
  if (test_case.inputs.empty()) return "(made by the case itself)";
  std::string text;
  for (const conformance::InputSpec& input : test_case.inputs) {
    const char* layout = input.layout == conformance::Layout::kPlain        ? "plain"
                         : input.layout == conformance::Layout::kTransposed ? "transposed"
                                                                            : "sliced";
    text += (text.empty() ? "" : ", ") + std::to_string(input.shape[0]) + "x" + std::to_string(input.shape[1]) + " " +
            std::string(DTypeName(input.dtype)) + " " + layout;
  }
  return text;
}

// The case's op-tree, rendered from inputs made on a reference backend.
std::string OpTreeText(const Case& test_case, Backend& reference) {
  if (!test_case.build) return "(not one assignment)";
  std::vector<Tensor> inputs;
  for (const conformance::InputSpec& input : test_case.inputs) {
    inputs.push_back(empty(reference, input.shape, input.dtype, "x" + std::to_string(inputs.size())));
  }
  return test_case.build(inputs).ToString();
}

std::string Scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2e", value);
  return text;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

void WriteJson(const std::string& path, const std::string& spec, const std::vector<size_t>& indices,
               const std::map<size_t, CaseResult>& results) {
  std::ofstream out(path);
  if (!out) throw IoError("--json=" + path + ": cannot open the file for writing");
  out << "{\"backend\": " << JsonString(spec) << ", \"cases\": [\n";
  for (size_t n = 0; n < indices.size(); ++n) {
    const Case& test_case = CheckCases()[indices[n]];
    const CaseResult& result = results.at(indices[n]);
    out << "  {\"case\": " << JsonString(test_case.name) << ", \"family\": " << JsonString(test_case.family)
        << ", \"inputs\": " << JsonString(InputsText(test_case))
        << ", \"dtype\": " << JsonString(std::string(DTypeName(test_case.output_dtype)))
        << ", \"status\": " << JsonString(result.skipped ? "skipped" : result.ok ? "passed" : "failed")
        << ", \"nmse\": " << JsonNumber(result.nmse) << ", \"tolerance\": " << JsonNumber(test_case.tolerance)
        << ", \"nan_position_mismatch\": " << (result.nonfinite_mismatch ? "true" : "false")
        << ", \"sentinel_damage\": " << JsonString(result.sentinel_damage)
        << ", \"seconds\": " << JsonNumber(result.seconds) << ", \"message\": " << JsonString(result.message) << "}"
        << (n + 1 < indices.size() ? ",\n" : "\n");
  }
  out << "]}\n";
  if (!out.flush()) throw IoError("--json=" + path + ": write failed");
}

}  // namespace

int RunCheck(const CheckOptions& options) {
  const std::vector<size_t> selected = SelectCases(options.cases);
  const bool progress = isatty(STDERR_FILENO);
  std::map<size_t, CaseResult> results;
  size_t passed = 0, failed = 0, skipped = 0;
  for (const auto& [family, indices] : GroupByFamily(selected)) {
    std::vector<CaseResult> family_results = FamilyRunner(options.backend, indices, progress, family).Run();
    if (progress) std::fprintf(stderr, "\r%40s\r", "");
    if (results.empty()) {  // the backend exists: the first family ran
      std::cout << "neon check: " << selected.size() << " cases on " << options.backend << " against reference\n";
      std::printf("%-12s %6s %7s %7s %8s %11s  %s\n", "family", "cases", "passed", "failed", "skipped",
                  "worst NMSE", "slowest case");
    }
    size_t family_passed = 0, family_failed = 0, family_skipped = 0, slowest = 0;
    double worst = 0.0;
    for (size_t n = 0; n < indices.size(); ++n) {
      const CaseResult& result = family_results[n];
      results[indices[n]] = result;
      if (result.skipped) {
        ++family_skipped;
        continue;
      }
      ++(result.ok ? family_passed : family_failed);
      worst = std::max(worst, result.nmse);
      if (result.seconds > family_results[slowest].seconds) slowest = n;
    }
    std::printf("%-12s %6zu %7zu %7zu %8zu %11s  %s (%.1f ms)\n", family.c_str(), indices.size(), family_passed,
                family_failed, family_skipped, Scientific(worst).c_str(), CheckCases()[indices[slowest]].name.c_str(),
                family_results[slowest].seconds * 1e3);
    std::fflush(stdout);
    passed += family_passed;
    failed += family_failed;
    skipped += family_skipped;
  }
  std::unique_ptr<Backend> reference = CreateBackend("reference");
  for (size_t index : selected) {
    const CaseResult& result = results[index];
    if (result.ok || result.skipped) continue;
    const Case& test_case = CheckCases()[index];
    std::cout << "FAIL " << test_case.name << ": " << result.message << "\n"
              << "  op-tree:   " << OpTreeText(test_case, *reference) << "\n"
              << "  inputs:    " << InputsText(test_case) << " -> " << DTypeName(test_case.output_dtype) << "\n"
              << "  reproduce: neon check --backend=" << options.backend << " --cases=" << test_case.name << "\n";
  }
  if (!options.json.empty()) WriteJson(options.json, options.backend, selected, results);
  std::cout << "neon check: " << selected.size() << " cases, " << passed << " passed, " << failed << " failed, "
            << skipped << " skipped on " << options.backend << "\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace neon
