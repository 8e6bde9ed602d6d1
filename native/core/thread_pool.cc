#include "npuq/thread_pool.h"

#include <algorithm>
#include <exception>

namespace npuq {

namespace {
thread_local bool tl_inside_task = false;
}

ThreadPool::ThreadPool(size_t threads) {
  if (threads < 1) threads = 1;
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_start_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run_tasks() {
  bool was_inside = tl_inside_task;
  tl_inside_task = true;
  for (;;) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_ >= n_) break;
      i = next_++;
    }
    try {
      (*fn_)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
      next_ = n_;  // stop handing out work
    }
  }
  tl_inside_task = was_inside;
}

void ThreadPool::worker_loop() {
  unsigned long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    run_tasks();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_workers_ == 0) cv_done_.notify_all();
    }
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1 || tl_inside_task) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> run_lock(run_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    next_ = 0;
    error_ = nullptr;
    pending_workers_ = workers_.size();
    ++generation_;
  }
  cv_start_.notify_all();
  run_tasks();
  std::exception_ptr err;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_done_.wait(lock, [&] { return pending_workers_ == 0; });
    fn_ = nullptr;
    err = error_;
    error_ = nullptr;
  }
  if (err) std::rethrow_exception(err);
}

void parallel_ranges(ThreadPool* pool, size_t n, size_t chunks,
                     const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  chunks = std::max<size_t>(1, std::min(chunks, n));
  if (!pool || chunks == 1) {
    fn(0, n);
    return;
  }
  size_t step = (n + chunks - 1) / chunks;
  size_t count = (n + step - 1) / step;
  pool->parallel_for(count, [&](size_t c) {
    size_t b = c * step, e = std::min(n, b + step);
    fn(b, e);
  });
}

}  // namespace npuq
