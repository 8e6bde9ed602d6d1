// A small fork-join thread pool owned by one Session (no global state: the addon stays context-aware).
// parallel_for(n, fn) runs fn(i) for i in [0, n) on the pool's workers and the calling thread, and
// returns when all are done. Calls from inside a task run serially (no nested parallelism).
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace npuq {

class ThreadPool {
 public:
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Number of threads that execute tasks, the caller included (>= 1).
  size_t threads() const { return workers_.size() + 1; }

  // Runs fn(i) for every i in [0, n). Blocks until all calls returned. The first exception thrown by
  // a task is rethrown here after every task finished.
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);

 private:
  void worker_loop();
  void run_tasks();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::mutex run_mu_;  // one parallel_for at a time per pool
  std::condition_variable cv_start_, cv_done_;
  const std::function<void(size_t)>* fn_ = nullptr;
  size_t n_ = 0;
  std::atomic<size_t> next_{0}, pending_workers_{0};
  // Workers spin briefly on generation_ before sleeping, so back-to-back parallel_for calls (one per
  // op of a small model) do not pay a futex wake-up each.
  std::atomic<unsigned long> generation_{0};
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
};

// Splits [0, n) into about `chunks` contiguous ranges and runs fn(begin, end) for each, in parallel
// when a pool is given (nullptr = serial).
void parallel_ranges(ThreadPool* pool, size_t n, size_t chunks,
                     const std::function<void(size_t, size_t)>& fn);

// Chunks for n independent elements (an elementwise op): 4 per thread from 64K elements, else 1 (below
// that, waking the pool costs about what it saves).
inline size_t elementwise_chunks(const ThreadPool* pool, size_t n) { return pool && n >= 65536 ? pool->threads() * 4 : 1; }

}  // namespace npuq
