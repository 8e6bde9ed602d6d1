// Linked only into the prebuilt binaries (CMake option NPUQ_PORTABLE), together with
// -Wl,--wrap=<symbol> for every symbol below, so a binary built against Debian 12's glibc 2.36 runs
// on the glibc of Node's own official binaries (2.28) and older:
//  - pthread_* got new symbol versions in glibc 2.34 (libpthread merged into libc); the old
//    versions are the same functions, so calls are bound to them (in libpthread.so.0 before 2.34,
//    in libc.so.6 since).
//  - exp/log/pow got new versions in 2.29 (without SVID error handling); the old ones return the
//    same values (the engine never reads errno).
//  - arc4random (2.36) is reached only through libstdc++'s std::random_device, which npuquant never
//    uses (lld keeps the reference anyway); the replacement reads getentropy (2.25).
//  - __libc_single_threaded (2.32) lets libstdc++ skip atomics while a process has one thread; the
//    replacement always says "not single-threaded", which is always correct.
// The references from the statically linked libstdc++ go through the same wrappers (--wrap applies
// to every object of the link).
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NPUQ_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define NPUQ_GLIBC_BASE "GLIBC_2.17"
#elif defined(__riscv) && __riscv_xlen == 64
#define NPUQ_GLIBC_BASE "GLIBC_2.27"
#else
#error "glibc-compat.cc: unknown architecture; build without NPUQ_PORTABLE"
#endif

#define NPUQ_OLD(name, alias) __asm__(".symver " #alias ", " #name "@" NPUQ_GLIBC_BASE)

extern "C" {

int npuq_old_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int npuq_old_pthread_join(pthread_t, void**);
int npuq_old_pthread_detach(pthread_t);
int npuq_old_pthread_once(pthread_once_t*, void (*)(void));
int npuq_old_pthread_key_create(pthread_key_t*, void (*)(void*));
int npuq_old___pthread_key_create(pthread_key_t*, void (*)(void*));
int npuq_old_pthread_key_delete(pthread_key_t);
void* npuq_old_pthread_getspecific(pthread_key_t);
int npuq_old_pthread_setspecific(pthread_key_t, const void*);
double npuq_old_exp(double);
double npuq_old_log(double);
double npuq_old_pow(double, double);

NPUQ_OLD(pthread_create, npuq_old_pthread_create);
NPUQ_OLD(pthread_join, npuq_old_pthread_join);
NPUQ_OLD(pthread_detach, npuq_old_pthread_detach);
NPUQ_OLD(pthread_once, npuq_old_pthread_once);
NPUQ_OLD(pthread_key_create, npuq_old_pthread_key_create);
NPUQ_OLD(__pthread_key_create, npuq_old___pthread_key_create);
NPUQ_OLD(pthread_key_delete, npuq_old_pthread_key_delete);
NPUQ_OLD(pthread_getspecific, npuq_old_pthread_getspecific);
NPUQ_OLD(pthread_setspecific, npuq_old_pthread_setspecific);
NPUQ_OLD(exp, npuq_old_exp);
NPUQ_OLD(log, npuq_old_log);
NPUQ_OLD(pow, npuq_old_pow);

int __wrap_pthread_create(pthread_t* t, const pthread_attr_t* a, void* (*f)(void*), void* arg) {
  return npuq_old_pthread_create(t, a, f, arg);
}
int __wrap_pthread_join(pthread_t t, void** r) { return npuq_old_pthread_join(t, r); }
int __wrap_pthread_detach(pthread_t t) { return npuq_old_pthread_detach(t); }
int __wrap_pthread_once(pthread_once_t* o, void (*f)(void)) { return npuq_old_pthread_once(o, f); }
int __wrap_pthread_key_create(pthread_key_t* k, void (*d)(void*)) { return npuq_old_pthread_key_create(k, d); }
int __wrap___pthread_key_create(pthread_key_t* k, void (*d)(void*)) { return npuq_old___pthread_key_create(k, d); }
int __wrap_pthread_key_delete(pthread_key_t k) { return npuq_old_pthread_key_delete(k); }
void* __wrap_pthread_getspecific(pthread_key_t k) { return npuq_old_pthread_getspecific(k); }
int __wrap_pthread_setspecific(pthread_key_t k, const void* v) { return npuq_old_pthread_setspecific(k, v); }
double __wrap_exp(double x) { return npuq_old_exp(x); }
double __wrap_log(double x) { return npuq_old_log(x); }
double __wrap_pow(double x, double y) { return npuq_old_pow(x, y); }

char __wrap___libc_single_threaded = 0;

uint32_t __wrap_arc4random(void) {
  uint32_t v = 0;
  if (getentropy(&v, sizeof v) == 0) return v;
  // No entropy source (a seccomp sandbox): a clock-seeded mix, still never the same twice in a row.
  static uint64_t state = 0;
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t x = __atomic_add_fetch(&state, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED) ^ uint64_t(ts.tv_nsec) ^ (uint64_t(ts.tv_sec) << 32);
  x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33;
  return uint32_t(x);
}

}  // extern "C"
