#include "regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>
#include <utility>

namespace swarmlet::config {
namespace {

std::string message_of(int code) {
  PCRE2_UCHAR text[256];
  if (pcre2_get_error_message(code, text, sizeof text) < 0) return "error " + std::to_string(code);
  return reinterpret_cast<const char*>(text);
}

// Offsets for the whole match and the first group: all a check or a capture reads. PCRE2
// still matches a pattern with more groups; it reports only the ones that fit.
constexpr std::uint32_t match_pairs = 2;

}  // namespace

regex_match_buffer::regex_match_buffer() : data_(pcre2_match_data_create(match_pairs, nullptr)) {
  if (data_ == nullptr) throw std::bad_alloc();
}

regex_match_buffer::~regex_match_buffer() {
  if (data_ != nullptr) pcre2_match_data_free(data_);
}

regex_match_buffer::regex_match_buffer(regex_match_buffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)) {}

regex_match_buffer& regex_match_buffer::operator=(regex_match_buffer&& other) noexcept {
  std::swap(data_, other.data_);
  return *this;
}

regex::regex(std::string_view pattern) : source_(pattern) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0,
                                   &error, &offset, nullptr);
  if (code == nullptr)
    throw std::invalid_argument("at character " + std::to_string(offset + 1) + ": " +
                                message_of(error));
  // Without JIT support (another platform, or a build without it) pcre2_match runs the
  // interpreter on the same code: slower, same answers.
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  std::uint32_t groups = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
  has_group_ = groups > 0;
  code_ = std::shared_ptr<const pcre2_code>(
      code, [](const pcre2_code* c) { pcre2_code_free(const_cast<pcre2_code*>(c)); });
}

regex_search regex::search(std::string_view subject, regex_match_buffer& buffer) const {
  regex_search out;
  if (!code_) return out;
  const int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, buffer.data_, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return out;
  if (rc < 0) {
    out.result = regex_search::outcome::failed;
    out.error = message_of(rc);
    return out;
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(buffer.data_);
  out.result = regex_search::outcome::matched;
  if (!has_group_) {
    out.text = subject.substr(ov[0], ov[1] - ov[0]);
  } else if (ov[2] != PCRE2_UNSET && (rc == 0 || rc >= 2)) {
    // rc == 0: more groups than the buffer holds, but group 1 fits; rc == 1: group 1 unset
    // (it sits in an alternative that did not match), so it is empty.
    out.text = subject.substr(ov[2], ov[3] - ov[2]);
  }
  return out;
}

}  // namespace swarmlet::config
