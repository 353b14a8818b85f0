#include "service_model.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <unordered_map>
#include <vector>

#include "cli_errors.hpp"
#include "text_codecs.hpp"

namespace shmstream::cli {
namespace {

#include "kinesis_service_model.inc"

// 'StreamName' -> 'streamName': how the service names members in its validation messages.
std::string service_member_name(std::string_view member) {
  std::string name(member);
  if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

std::string shown_value(const Json& value) {
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    return text.size() > 256 ? text.substr(0, 256) + "..." : text;
  }
  return value.dump();
}

class Walker {
 public:
  explicit Walker(const ServiceModel& model) : model_(model) {}

  void walk(const std::string& shape_name, const Json& value, const std::string& path) {
    const Json& shape = model_.shape(shape_name);
    const std::string& type = shape.at("type").get_ref<const std::string&>();
    if (type == "structure") {
      if (!value.is_object()) return;
      static const Json kNoMembers = Json::object();
      const auto found_members = shape.find("members");
      const Json& members = found_members == shape.end() ? kNoMembers : *found_members;
      for (const auto& [member, item] : value.items()) {
        if (!members.contains(member)) continue;  // unknown members are the parameter parser's business
        walk(members.at(member).at("shape").get_ref<const std::string&>(), item,
             (path.empty() ? "" : path + ".") + service_member_name(member));
      }
    } else if (type == "list") {
      if (!value.is_array()) return;
      check_bounds(shape, static_cast<long long>(value.size()), value, path, "length");
      for (size_t i = 0; i < value.size(); ++i) {
        walk(shape["member"]["shape"].get<std::string>(), value[i], path + "." + std::to_string(i + 1) + ".member");
      }
    } else if (type == "map") {
      if (!value.is_object()) return;
      check_bounds(shape, static_cast<long long>(value.size()), value, path, "length");
      for (const auto& [key, item] : value.items()) {
        walk(shape["key"]["shape"].get<std::string>(), Json(key), path + "." + key + ".key");
        walk(shape["value"]["shape"].get<std::string>(), item, path + "." + key + ".value");
      }
    } else if (type == "string") {
      if (!value.is_string()) return;
      const std::string& text = value.get_ref<const std::string&>();
      check_bounds(shape, static_cast<long long>(unicode_length(text)), value, path, "length");
      if (shape.contains("enum")) {
        const Json& allowed = shape["enum"];
        if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
          std::string set;
          for (const Json& option : allowed) set += (set.empty() ? "" : ", ") + option.get<std::string>();
          add(value, path, "Member must satisfy enum value set: [" + set + "]");
        }
      }
      if (shape.contains("pattern")) {
        const std::string pattern = shape["pattern"].get<std::string>();
        // Compiled once per pattern and thread: a request checks the same few patterns again and again.
        thread_local std::unordered_map<std::string, std::regex> compiled;
        auto found_pattern = compiled.find(pattern);
        if (found_pattern == compiled.end()) found_pattern = compiled.emplace(pattern, std::regex(pattern)).first;
        if (!std::regex_match(text, found_pattern->second)) {
          add(value, path, "Member must satisfy regular expression pattern: " + pattern);
        }
      }
    } else if (type == "integer" || type == "long") {
      if (!value.is_number_integer()) return;
      check_bounds(shape, value.get<long long>(), value, path, "value");
    } else if (type == "blob") {
      // A request decoded from the wire (wire_protocol.hpp) carries the bytes themselves.
      if (value.is_binary()) {
        check_bounds(shape, static_cast<long long>(value.get_binary().size()), Json("<blob>"), path, "length");
        return;
      }
      if (!value.is_string()) return;
      // Blobs travel as base64 in a request document; the constraint is on the bytes.
      const auto bytes = base64_decode(value.get_ref<const std::string&>());
      if (bytes) check_bounds(shape, static_cast<long long>(bytes->size()), Json("<blob>"), path, "length");
    }
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void check_bounds(const Json& shape, long long measured, const Json& value, const std::string& path,
                    const char* what) {
    if (shape.contains("min") && measured < shape["min"].get<long long>()) {
      add(value, path, std::string("Member must have ") + what + " greater than or equal to " +
                           std::to_string(shape["min"].get<long long>()));
    }
    if (shape.contains("max") && measured > shape["max"].get<long long>()) {
      add(value, path, std::string("Member must have ") + what + " less than or equal to " +
                           std::to_string(shape["max"].get<long long>()));
    }
  }

  void add(const Json& value, const std::string& path, const std::string& constraint) {
    errors_.push_back("Value '" + shown_value(value) + "' at '" + path + "' failed to satisfy constraint: " +
                      constraint);
  }

  const ServiceModel& model_;
  std::vector<std::string> errors_;
};

}  // namespace

std::string kebab_case(std::string_view member) {
  std::string flag;
  for (size_t i = 0; i < member.size(); ++i) {
    const auto c = static_cast<unsigned char>(member[i]);
    if (std::isupper(c) && i > 0) {
      const auto previous = static_cast<unsigned char>(member[i - 1]);
      const bool next_is_lower = i + 1 < member.size() && std::islower(static_cast<unsigned char>(member[i + 1]));
      if (std::islower(previous) || std::isdigit(previous) || (std::isupper(previous) && next_is_lower)) {
        flag += '-';
      }
    }
    flag += static_cast<char>(std::tolower(c));
  }
  return flag;
}

size_t unicode_length(std::string_view text) {
  if (!is_utf8(text)) return text.size();
  size_t characters = 0;
  for (const char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return characters;
}

ServiceModel::ServiceModel() {
  std::string text;
  for (const char* chunk : kKinesisServiceModelChunks) text += chunk;
  model_ = Json::parse(text);
  for (const auto& [name, shape] : model_.at("shapes").items()) shape_index_.emplace(name, &shape);
}

const ServiceModel& ServiceModel::kinesis() {
  static const ServiceModel model;
  return model;
}

bool ServiceModel::has_operation(std::string_view operation) const {
  return model_["operations"].contains(std::string(operation));
}

const Json& ServiceModel::input_shape(std::string_view operation) const {
  static const Json kEmpty = Json{{"type", "structure"}, {"members", Json::object()}};
  const Json& operations = model_["operations"];
  const auto found = operations.find(std::string(operation));
  if (found == operations.end() || !found->contains("input")) return kEmpty;
  return model_["shapes"][(*found)["input"]["shape"].get<std::string>()];
}

std::optional<std::string> ServiceModel::member_for_flag(std::string_view operation, std::string_view flag) const {
  if (flag.substr(0, 2) == "--") flag.remove_prefix(2);
  const Json members = input_shape(operation).value("members", Json::object());
  for (const auto& [member, reference] : members.items()) {
    if (kebab_case(member) == flag) return member;
  }
  return std::nullopt;
}

std::string ServiceModel::member_type(std::string_view operation, std::string_view member) const {
  const Json members = input_shape(operation).value("members", Json::object());
  const auto found = members.find(std::string(member));
  if (found == members.end()) return "";
  return model_["shapes"][(*found)["shape"].get<std::string>()].value("type", "");
}

std::string ServiceModel::list_item_type(std::string_view operation, std::string_view member) const {
  const Json members = input_shape(operation).value("members", Json::object());
  const auto found = members.find(std::string(member));
  if (found == members.end()) return "";
  const Json& list = model_["shapes"][(*found)["shape"].get<std::string>()];
  if (list.value("type", "") != "list") return "";
  return model_["shapes"][list["member"]["shape"].get<std::string>()].value("type", "");
}

void ServiceModel::validate_input(std::string_view operation, const Json& request) const {
  if (!has_operation(operation) || !model_["operations"][std::string(operation)].contains("input")) return;
  Walker walker(*this);
  walker.walk(model_["operations"][std::string(operation)]["input"]["shape"].get<std::string>(), request, "");
  const auto& errors = walker.errors();
  if (errors.empty()) return;
  std::string message = std::to_string(errors.size()) + " validation error" + (errors.size() > 1 ? "s" : "") +
                        " detected: ";
  for (size_t i = 0; i < errors.size(); ++i) message += (i > 0 ? "; " : "") + errors[i];
  throw ServiceError("ValidationException", message);
}

}  // namespace shmstream::cli
