#pragma once
// The scenario loader's reader of an HTTP request (method and path, headers and query, one
// body: body, json, form or multipart; checks, captures, on_failure), and the pieces of it that
// WebSocket steps share (a JSON body with templates, JSON checks, captures). Internal to the
// loader.
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scenario.hpp"
#include "scenario_reader.hpp"

namespace swarmlet::config::loading {

/// A request; `as_task`: it is a task of its own (weight and tags allowed). Its on_failure, if
/// not its own, is `inherited`.
request_spec read_request(const reader& r, const YAML::Node& n, bool as_task,
                          failure_action inherited);

/// A YAML value as JSON: scalars typed as YAML reads them (a quoted one stays a string).
nlohmann::json to_json(const reader& r, const YAML::Node& n);
/// A YAML value as a JSON body to send (`json:`, a ws `send:` mapping): as to_json, with object
/// keys in the order written, as Locust and k6 send them (a server may sign or hash the bytes).
nlohmann::ordered_json to_json_body(const reader& r, const YAML::Node& n);
/// Every string leaf of `j` that holds a substitution becomes a template at its pointer.
void collect_json_templates(const reader& r, const YAML::Node& at, const nlohmann::ordered_json& j,
                            const nlohmann::ordered_json::json_pointer& ptr, request_spec& req);
/// `json: {$.path: value or {comparison: value}}` checks.
void read_json_checks(const reader& r, const YAML::Node& n, std::vector<json_check>& out);
/// `capture: {variable: {json: $.path} | {regex: RE} | {header: Name}}`.
void read_captures(const reader& r, const YAML::Node& n, std::vector<capture_spec>& out);
/// `headers:` and `query:` (maps of templated values) of a request or a ws step. A header name
/// that is no token, or a value whose fixed text holds a CR, LF or other control character,
/// fails here (what variables bring in fails when the request is sent).
void read_headers_and_query(const reader& r, const YAML::Node& n, request_spec& req);
/// Fails naming `n` (`what`: "get path") when the fixed text of `path` holds a control character
/// that no request line may carry.
void refuse_unsendable_target(const reader& r, const YAML::Node& n, const std::string& what,
                              const template_string& path);
/// `on_failure: continue | end_task | stop_user`.
failure_action read_failure_action(const reader& r, const YAML::Node& n);
/// `tags: [name, ...]`.
std::vector<std::string> read_tags(const reader& r, const YAML::Node& n);

}  // namespace swarmlet::config::loading
