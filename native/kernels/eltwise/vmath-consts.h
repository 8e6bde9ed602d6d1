// Constants of the one polynomial math library (vmath-scalar.h and vmath-avx2.h evaluate the same
// operations on them in the same order, so the tiers agree bit for bit).
//  exp:   Cephes expf: n = round(x log2 e) by the 1.5*2^23 trick, r = x - n ln2 (two fma), degree-5
//         polynomial, result scaled by 2^(n/2) * 2^(n - n/2) so denormal results and overflow are right.
//  log:   Cephes logf: mantissa in [sqrt(1/2), sqrt(2)), degree-8 polynomial, denormals prescaled by 2^23.
//  tanh:  |x| < 0.625: Cephes odd polynomial; else 1 - 2 / (exp(2|x|) + 1) with the sign of x.
//  erf:   |x| < 0.921875: x * P(x^2) (degree 6 in x^2); else 1 - erfc, erfc(z) = exp(-z^2) * R(t),
//         t = 1 / (1 + z/2), R of degree 9, z^2 split exactly (fma) so exp's argument carries no error.
//  expm1: |x| < ln 2: x + x^2 * P(x) (degree 6); else exp(x) - 1.
//  log1p(u) = u when 1 + u == 1, else log(1 + u) * (u / ((1 + u) - 1)) (Goldberg).
// The erf, erfc and expm1 coefficients are least-squares fits on Chebyshev nodes (relative error) made
// for this library; exp, log and tanh coefficients are Cephes's.
#pragma once

namespace npuq {
namespace vmath {

constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: x + kMagic rounds x to an integer in the low bits
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kExpLo = -110.0f;  // exp(x) = 0 below (and n/2 stays a normal exponent)
constexpr float kExpHi = 89.0f;    // exp(x) = inf above
constexpr float kExpP0 = 1.9875691500e-4f, kExpP1 = 1.3981999507e-3f, kExpP2 = 8.3334519073e-3f,
                kExpP3 = 4.1665795894e-2f, kExpP4 = 1.6666665459e-1f, kExpP5 = 5.0000001201e-1f;

constexpr float kSqrtHalf = 0.707106781186547524f;
constexpr float kMinNormal = 1.17549435e-38f;
constexpr float kTwo23 = 8388608.0f;
constexpr float kLogP0 = 7.0376836292e-2f, kLogP1 = -1.1514610310e-1f, kLogP2 = 1.1676998740e-1f,
                kLogP3 = -1.2420140846e-1f, kLogP4 = 1.4249322787e-1f, kLogP5 = -1.6668057665e-1f,
                kLogP6 = 2.0000714765e-1f, kLogP7 = -2.4999993993e-1f, kLogP8 = 3.3333331174e-1f;

constexpr float kTanhSmall = 0.625f;
constexpr float kTanhP0 = -5.70498872745e-3f, kTanhP1 = 2.06390887954e-2f, kTanhP2 = -5.37397155531e-2f,
                kTanhP3 = 1.33314422036e-1f, kTanhP4 = -3.33332819422e-1f;

constexpr float kErfSmall = 0.921875f;
constexpr float kErfMax = 10.0f;  // erfc(10) ~ 2e-45: clamp so inf never reaches the z^2 split
constexpr float kErfP0 = 8.370426075998694e-05f, kErfP1 = -0.000814279483165592f,
                kErfP2 = 0.005201042164117098f, kErfP3 = -0.026859402656555176f,
                kErfP4 = 0.11283695697784424f, kErfP5 = -0.37612634897232056f, kErfP6 = 1.128379225730896f;
constexpr float kErfcR0 = -0.06967606395483017f, kErfcR1 = 0.33465152978897095f,
                kErfcR2 = -0.5860546827316284f, kErfcR3 = 0.3854351043701172f,
                kErfcR4 = -0.09733141958713531f, kErfcR5 = 0.23192299902439117f,
                kErfcR6 = 0.2355285882949829f, kErfcR7 = 0.2835589349269867f,
                kErfcR8 = 0.2819853723049164f, kErfcR9 = 3.5894195207220037e-06f;
constexpr float kFrac1Sqrt2 = 0.707106781186547524f;
constexpr float kGeluZero = -20.0f;  // gelu(x) rounds to -0 below
constexpr float kGeluMax = 15.0f;    // |x| clamp for gelu's erfc part

constexpr float kExpm1Small = 0.693147182f;
constexpr float kExpm1P0 = 2.4878398107830435e-05f, kExpm1P1 = 0.00020073425548616797f,
                kExpm1P2 = 0.0013889450347051024f, kExpm1P3 = 0.00833277776837349f,
                kExpm1P4 = 0.04166664928197861f, kExpm1P5 = 0.16666670143604279f, kExpm1P6 = 0.5f;

}  // namespace vmath
}  // namespace npuq
