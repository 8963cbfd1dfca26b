#pragma once
// One worker's request name numbers (proto::report_names) -> the aggregator's rows. An honest
// worker numbers its names from 0 up, but a frame may define any number below
// proto::stats_frame::max_name_number (2^20): the table is paged, so a far number costs a page
// of 4 KiB, where a table as long as the number cost 4 MiB a worker id for a 40-byte frame.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace swarmlet::master {

class name_numbers {
 public:
  static constexpr std::uint32_t none = static_cast<std::uint32_t>(-1);
  static constexpr std::uint32_t page_size = 1024;
  /// What a page costs.
  static constexpr std::size_t page_bytes = page_size * sizeof(std::uint32_t);

  /// The row of `number`, or none.
  std::uint32_t find(std::uint32_t number) const noexcept {
    const std::uint32_t page = number / page_size;
    if (page >= pages_.size() || pages_[page] == nullptr) return none;
    return (*pages_[page])[number % page_size];
  }
  /// Where the row of `number` goes (none until set); makes its page on first use.
  std::uint32_t& slot(std::uint32_t number) {
    const std::uint32_t page = number / page_size;
    if (page >= pages_.size()) pages_.resize(page + 1);
    if (pages_[page] == nullptr) {
      pages_[page] = std::make_unique<std::array<std::uint32_t, page_size>>();
      pages_[page]->fill(none);
    }
    return (*pages_[page])[number % page_size];
  }

  /// Whether the page of `number` is made: slot() of it costs no page_bytes.
  bool has_page(std::uint32_t number) const noexcept {
    const std::uint32_t page = number / page_size;
    return page < pages_.size() && pages_[page] != nullptr;
  }

  /// Pages of 1,024 numbers made so far (what the table costs, beyond a pointer a page).
  std::size_t pages_made() const noexcept {
    std::size_t n = 0;
    for (const auto& p : pages_) n += p != nullptr ? 1 : 0;
    return n;
  }

 private:
  std::vector<std::unique_ptr<std::array<std::uint32_t, page_size>>> pages_;
};

}  // namespace swarmlet::master
