// Test harness for test/quantize/mirror.test.ts: reads lines "<op> <args...>" on stdin and prints
// one result line each, using native/include/npuq/rounding.h (the engine's arithmetic) and a copy of
// TPU-MLIR's get_scale_and_shift / calRightShiftNum (lib/Support/MathUtils.cpp) as the references
// the TypeScript mirrors in lib/quantize must equal.
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "npuq/rounding.h"

// TPU-MLIR MathUtils.cpp get_scale_and_shift, as published (bitwidth 32 or 8).
static void get_scale_and_shift(float scale_f, int &scale, int &shift, int bitwidth) {
  float min_err = FLT_MAX;
  int m_limit = (bitwidth == 32) ? INT_MAX : CHAR_MAX;
  for (int n = -32; n < 31; n++) {
    double v = std::round(scale_f * std::pow(2, n));
    if (std::fabs(v) > double(INT_MAX)) continue;  // the C++ cast would be undefined here
    int m = (int)v;
    float err = std::abs(m / std::pow(2, n) - scale_f);
    if (err < min_err && abs(m) < m_limit) {
      min_err = err;
      shift = n;
    }
  }
  scale = (int)std::round(scale_f * std::pow(2, shift));
}

static int calRightShiftNum(float fmax, double thBottom, double thTop, int numBits) {
  double dataTmp = 1.0 * fmax * thBottom / thTop;
  int m = 0;
  if (dataTmp <= 0.0) return 0;
  while (dataTmp < ((1 << (numBits - 1)) - 1)) {
    dataTmp = dataTmp * 2;
    m = m + 1;
  }
  m = m > 32 ? 31 : m - 1;
  return m;
}

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    in >> op;
    if (op == "qm") {  // quantize_multiplier <hex double>
      std::string hex;
      in >> hex;
      double m = std::strtod(hex.c_str(), nullptr);
      int32_t M;
      int shift;
      npuq::quantize_multiplier(m, &M, &shift);
      std::printf("%d %d\n", M, shift);
    } else if (op == "round") {  // round_mode <hex double> <mode>
      std::string hex;
      int mode;
      in >> hex >> mode;
      std::printf("%.17g\n", npuq::round_mode(std::strtod(hex.c_str(), nullptr), npuq::Round(mode)));
    } else if (op == "rshift") {  // rshift_round <v> <shift> <mode>
      long long v;
      int shift, mode;
      in >> v >> shift >> mode;
      std::printf("%lld\n", (long long)npuq::rshift_round(v, shift, npuq::Round(mode)));
    } else if (op == "sas") {  // get_scale_and_shift <hex double> <bits>
      std::string hex;
      int bits, scale = 0, shift = 0;
      in >> hex >> bits;
      get_scale_and_shift((float)std::strtod(hex.c_str(), nullptr), scale, shift, bits);
      std::printf("%d %d\n", scale, shift);
    } else if (op == "crs") {  // calRightShiftNum <hex fmax> <hex in> <hex out> <bits>
      std::string a, b, c;
      int bits;
      in >> a >> b >> c >> bits;
      std::printf("%d\n", calRightShiftNum((float)std::strtod(a.c_str(), nullptr), std::strtod(b.c_str(), nullptr),
                                           std::strtod(c.c_str(), nullptr), bits));
    }
  }
  return 0;
}
