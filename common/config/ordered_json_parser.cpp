#include "ordered_json_parser.hpp"

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace swarmlet::config {
namespace {

using json = nlohmann::ordered_json;

/// nlohmann's SAX interface building the document. An open object gathers its members apart
/// (keys not const, so growing moves them where the object's own vector would copy them
/// whole) and hands them over when it closes.
class ordered_builder {
 public:
  json result;

  bool null() { return place(json(nullptr)); }
  bool boolean(bool v) { return place(json(v)); }
  bool number_integer(json::number_integer_t v) { return place(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return place(json(v)); }
  bool number_float(json::number_float_t v, const json::string_t& /*as written*/) {
    return place(json(v));
  }
  bool string(json::string_t& v) { return place(json(std::move(v))); }
  bool binary(json::binary_t& v) { return place(json::binary(std::move(v))); }
  bool start_object(std::size_t /*unknown in JSON text*/) {
    place(json(json::value_t::object));
    open_.push_back({target_, {}, {}});
    return true;
  }
  bool key(json::string_t& k) {
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() {
    auto& object = open_.back();
    auto& into = object.value->get_ref<json::object_t&>();
    into.reserve(object.members.size());
    for (auto& [k, v] : object.members) into.emplace_back(std::move(k), std::move(v));
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*unknown in JSON text*/) {
    place(json(json::value_t::array));
    open_.push_back({target_, {}, {}});
    return true;
  }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last token*/,
                   const nlohmann::detail::exception& /*why*/) {
    return false;
  }

 private:
  /// Past this many members an object finds a repeated key through an index, not a scan.
  static constexpr std::size_t scanned_members = 16;

  struct open_value {
    json* value;  // stays put: nothing is added to its parent while it is open
    std::vector<std::pair<std::string, json>> members;   // an object's, until it closes
    std::unordered_map<std::string, std::size_t> index;  // of members, once past scanned_members
  };

  /// Puts `v` where the document is at (the root, the end of the open array, or the open
  /// object's pending key) and leaves target_ pointing at it.
  bool place(json&& v) {
    if (open_.empty()) {
      result = std::move(v);
      target_ = &result;
      return true;
    }
    auto& parent = open_.back();
    if (parent.value->is_array()) {
      parent.value->push_back(std::move(v));
      target_ = &parent.value->back();
      return true;
    }
    auto& members = parent.members;
    if (const auto at = find_member(parent, pending_key_)) {
      members[*at].second = std::move(v);
      target_ = &members[*at].second;
      return true;
    }
    if (!parent.index.empty() || members.size() == scanned_members) {
      if (parent.index.empty())
        for (std::size_t i = 0; i < members.size(); ++i) parent.index.emplace(members[i].first, i);
      parent.index.emplace(pending_key_, members.size());
    }
    members.emplace_back(std::move(pending_key_), std::move(v));
    target_ = &members.back().second;
    return true;
  }

  static std::optional<std::size_t> find_member(const open_value& object, const std::string& k) {
    if (!object.index.empty()) {
      const auto it = object.index.find(k);
      if (it == object.index.end()) return std::nullopt;
      return it->second;
    }
    for (std::size_t i = 0; i < object.members.size(); ++i)
      if (object.members[i].first == k) return i;
    return std::nullopt;
  }

  std::vector<open_value> open_;
  std::string pending_key_;
  json* target_ = nullptr;
};

}  // namespace

std::optional<nlohmann::ordered_json> parse_ordered_json(std::string_view text) {
  ordered_builder builder;
  if (!json::sax_parse(text.begin(), text.end(), &builder)) return std::nullopt;
  return std::move(builder.result);
}

}  // namespace swarmlet::config
