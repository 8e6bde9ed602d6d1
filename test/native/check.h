// A tiny check library for the native tests (no framework): CHECK(cond, fmt, ...) prints the failing
// condition with every parameter the caller passes (printf format) and counts the failure; main returns
// check_summary(name), non-zero if anything failed. Only the first 30 failures are printed.
#pragma once
#include <cstdarg>
#include <cstdio>
#include <string>

namespace check {

inline int& failures() {
  static int n = 0;
  return n;
}
inline int& passes() {
  static int n = 0;
  return n;
}

inline void report(const char* file, int line, const char* cond, const char* fmt, ...) {
  if (++failures() > 30) return;
  std::fprintf(stderr, "%s:%d: CHECK(%s) failed: ", file, line, cond);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
}

inline std::string format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

}  // namespace check

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (cond) {                                                            \
      ++check::passes();                                                   \
    } else {                                                               \
      check::report(__FILE__, __LINE__, #cond, __VA_ARGS__);               \
    }                                                                      \
  } while (0)

// Expects `stmt` to throw std::invalid_argument whose message contains `needle`.
#define CHECK_THROWS(stmt, needle)                                                                   \
  do {                                                                                               \
    bool thrown_ = false;                                                                            \
    std::string msg_;                                                                                \
    try {                                                                                            \
      stmt;                                                                                          \
    } catch (const std::invalid_argument& e) {                                                       \
      thrown_ = true;                                                                                \
      msg_ = e.what();                                                                               \
    }                                                                                                \
    CHECK(thrown_ && msg_.find(needle) != std::string::npos, "expected invalid_argument containing '%s', got %s", \
          needle, thrown_ ? ("'" + msg_ + "'").c_str() : "no exception");                            \
  } while (0)

inline int check_summary(const char* name) {
  std::printf("%s: %d checks passed, %d failed\n", name, check::passes(), check::failures());
  return check::failures() ? 1 : 0;
}
