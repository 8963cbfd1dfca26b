#pragma once
// eventlet's Queue, LifoQueue and PriorityQueue: bounded or unbounded, put/get that block the
// green thread (optionally up to a timeout), and non-blocking variants.
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "hub.hpp"
#include "wait_list.hpp"

namespace swarmlet::green {

/// Ordering policies for basic_queue.
template <class T>
class fifo_order {
 public:
  void push(T&& v) { items_.push_back(std::move(v)); }
  T pop() {
    T v = std::move(items_.front());
    items_.pop_front();
    return v;
  }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::deque<T> items_;
};

template <class T>
class lifo_order {
 public:
  void push(T&& v) { items_.push_back(std::move(v)); }
  T pop() {
    T v = std::move(items_.back());
    items_.pop_back();
    return v;
  }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::vector<T> items_;
};

/// Smallest first, as Python's heapq-based PriorityQueue.
template <class T, class Compare = std::less<T>>
class priority_order {
 public:
  void push(T&& v) { items_.push(std::move(v)); }
  T pop() {
    T v = std::move(const_cast<T&>(items_.top()));
    items_.pop();
    return v;
  }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  struct reversed {
    bool operator()(const T& a, const T& b) const { return Compare{}(b, a); }
  };
  std::priority_queue<T, std::vector<T>, reversed> items_;
};

template <class T, class Order = fifo_order<T>>
class basic_queue {
 public:
  /// `maxsize` 0: unbounded.
  explicit basic_queue(std::size_t maxsize = 0) : maxsize_(maxsize) {}
  basic_queue(const basic_queue&) = delete;
  basic_queue& operator=(const basic_queue&) = delete;

  /// Adds `item`, blocking while the queue is full.
  void put(T item) { put_until(std::move(item), std::nullopt); }
  /// As put(), giving up after `timeout`: false (and `item` is dropped) when it expired.
  bool put_for(T item, duration timeout) {
    return put_until(std::move(item), clock::now() + timeout);
  }
  /// Adds `item` only if there is room now.
  bool put_nowait(T item) {
    if (full()) return false;
    push(std::move(item));
    return true;
  }

  /// Removes and returns the next item, blocking while the queue is empty.
  T get() { return *get_until(std::nullopt); }
  /// As get(), giving up after `timeout`.
  std::optional<T> get_for(duration timeout) { return get_until(clock::now() + timeout); }
  std::optional<T> get_nowait() {
    if (items_.size() == 0) return std::nullopt;
    return pop();
  }

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.size() == 0; }
  bool full() const noexcept { return maxsize_ != 0 && items_.size() >= maxsize_; }
  /// Green threads blocked in get / in put.
  std::size_t getting() const noexcept { return getters_.size(); }
  std::size_t putting() const noexcept { return putters_.size(); }

 private:
  void push(T&& item) {
    items_.push(std::move(item));
    getters_.wake_one();
  }
  T pop() {
    T v = items_.pop();
    putters_.wake_one();
    return v;
  }
  bool put_until(T&& item, deadline until) {
    hub& h = hub::get();
    while (full()) {
      try {
        if (!h.park(putters_, until, "queue::put") && full()) return false;
      } catch (...) {
        if (!full()) putters_.wake_one();  // pass on the wake-up this thread cannot use
        throw;
      }
    }
    push(std::move(item));
    return true;
  }
  std::optional<T> get_until(deadline until) {
    hub& h = hub::get();
    while (empty()) {
      try {
        if (!h.park(getters_, until, "queue::get") && empty()) return std::nullopt;
      } catch (...) {
        if (!empty()) getters_.wake_one();
        throw;
      }
    }
    return pop();
  }

  std::size_t maxsize_;
  Order items_;
  wait_list getters_;
  wait_list putters_;
};

template <class T>
using queue = basic_queue<T, fifo_order<T>>;
template <class T>
using lifo_queue = basic_queue<T, lifo_order<T>>;
template <class T, class Compare = std::less<T>>
using priority_queue = basic_queue<T, priority_order<T, Compare>>;

}  // namespace swarmlet::green
