#include "request_flags.hpp"

#include <algorithm>
#include <set>

#include "cli_errors.hpp"
#include "common/aws_names.hpp"
#include "service_model.hpp"
#include "shorthand.hpp"
#include "stream_target.hpp"
#include "text_codecs.hpp"
#include "value_parsers.hpp"

namespace shmstream::cli {
namespace {

constexpr std::string_view kCliInputJson = "--cli-input-json";
constexpr std::string_view kStreamArnFlag = "--stream-arn";
constexpr std::string_view kStreamNameFlag = "--stream-name";

bool is_flag(const std::string& argument) { return argument.size() > 2 && argument.rfind("--", 0) == 0; }

// The value of `flag` in "--flag value" or "--flag=value"; nullopt when absent.
std::optional<std::string> flag_value(const std::vector<std::string>& arguments, std::string_view flag) {
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i] == flag && i + 1 < arguments.size()) return arguments[i + 1];
    if (arguments[i].rfind(std::string(flag) + "=", 0) == 0) return arguments[i].substr(flag.size() + 1);
  }
  return std::nullopt;
}

bool has_flag(const std::vector<std::string>& arguments, const std::string& flag) {
  return std::any_of(arguments.begin(), arguments.end(), [&](const std::string& argument) {
    return argument == flag || argument.rfind(flag + "=", 0) == 0;
  });
}

const Command* command_named(const std::vector<std::string>& arguments, const CommandTable& table) {
  for (const std::string& argument : arguments) {
    for (const Command* command : table.commands()) {
      if (command->name == argument) return command;
    }
  }
  return nullptr;
}

// The flags that --cli-input-json stands for, appended after the command's own arguments.
void append_input_json(std::vector<std::string>& arguments, const Command& command, const std::string& text) {
  const ServiceModel& model = ServiceModel::kinesis();
  Json document;
  try {
    document = Json::parse(load_parameter_value(kCliInputJson, text));
  } catch (const Json::exception& error) {
    throw UsageError("Error parsing parameter 'cli-input-json': Invalid JSON received: " + std::string(error.what()));
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
  if (!document.is_object()) throw UsageError("Error parsing parameter 'cli-input-json': expected a JSON object");
  const std::vector<std::string> given(arguments.begin(), arguments.end());
  for (const auto& [member, value] : document.items()) {
    const std::string flag = "--" + kebab_case(member);
    if (model.member_type(command.operation, member).empty() || command.subcommand->get_option_no_throw(flag) == nullptr) {
      throw UsageError("Parameter validation failed:\nUnknown parameter in input: \"" + member + "\"");
    }
    if (has_flag(given, flag)) continue;  // the command line wins, as in the aws CLI
    if (value.is_boolean()) {
      arguments.push_back(value.get<bool>() ? flag : "--no-" + kebab_case(member));
    } else if (value.is_string()) {
      arguments.push_back(flag);
      arguments.push_back(value.get<std::string>());
    } else {
      arguments.push_back(flag);
      arguments.push_back(value.dump());
    }
  }
}

// List members take several values (`--records A B`, `--tag-keys a b`), structures and maps one; shorthand values (and
// the items of a list of strings) become JSON text.
std::vector<std::string> normalize_structured_values(const std::vector<std::string>& arguments,
                                                     const Command& command) {
  const ServiceModel& model = ServiceModel::kinesis();
  std::vector<std::string> result;
  for (size_t i = 0; i < arguments.size(); ++i) {
    result.push_back(arguments[i]);
    if (!is_flag(arguments[i]) || arguments[i].find('=') != std::string::npos) continue;
    const auto member = model.member_for_flag(command.operation, arguments[i]);
    if (!member) continue;
    const std::string type = model.member_type(command.operation, *member);
    if (type != "structure" && type != "map" && type != "list") continue;
    std::vector<std::string> values;
    while (i + 1 < arguments.size() && !is_flag(arguments[i + 1]) && (values.empty() || type == "list")) {
      values.push_back(arguments[++i]);
    }
    if (values.empty()) continue;  // CLI11 reports the missing value
    const bool literal = values.size() == 1 && (looks_like_json(values[0]) || values[0].rfind("file://", 0) == 0 ||
                                                values[0].rfind("fileb://", 0) == 0);
    if (literal) {
      result.push_back(values[0]);
    } else if (type == "list") {
      Json list = Json::array();
      const bool scalar_items = model.list_item_type(command.operation, *member) != "structure";
      for (const std::string& value : values) {
        list.push_back(scalar_items ? Json(value) : parse_shorthand(arguments[i - values.size()], value));
      }
      result.push_back(list.dump());
    } else {
      result.push_back(parse_shorthand(arguments[i - 1], values[0]).dump());
    }
  }
  return result;
}

// A structure, map or list flag's value (JSON after normalize_structured_values, or a file:// of JSON or
// shorthand) as a request member. An unreadable file or malformed JSON is refused naming the flag.
Json structured_value(const std::string& flag, const std::string& text) {
  const std::string value = load_parameter_value(flag, text);  // InvalidArgumentException when unreadable
  if (!looks_like_json(value)) return parse_shorthand(flag, value);
  Json document = Json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) throw_invalid_argument("Error parsing parameter '" + flag + "': Invalid JSON: " + value);
  return document;
}

}  // namespace

std::vector<std::string> expand_arguments(const std::vector<std::string>& arguments, const CommandTable& table) {
  const Command* command = command_named(arguments, table);
  if (command == nullptr || !ServiceModel::kinesis().has_operation(command->operation)) return arguments;
  std::vector<std::string> expanded = normalize_structured_values(arguments, *command);
  if (const auto input = flag_value(arguments, kCliInputJson)) {
    append_input_json(expanded, *command, *input);
    expanded = normalize_structured_values(expanded, *command);
  }
  if (const auto arn = flag_value(expanded, kStreamArnFlag)) {
    ServiceModel::kinesis().validate_input(command->operation, Json{{"StreamARN", *arn}});
    const std::string name = stream_name_from_arn(*arn);  // ResourceNotFound for another region or account
    const auto given_name = flag_value(expanded, kStreamNameFlag);
    if (given_name && *given_name != name) {
      throw_invalid_argument("StreamARN " + *arn + " and StreamName " + *given_name + " name different streams");
    }
    if (!given_name && command->subcommand->get_option_no_throw(std::string(kStreamNameFlag)) != nullptr) {
      expanded.push_back(std::string(kStreamNameFlag));
      expanded.push_back(name);
    }
  }
  return expanded;
}

Json request_from_flags(const Command& command) {
  const ServiceModel& model = ServiceModel::kinesis();
  Json request = Json::object();
  const CLI::Option* binary_format = command.subcommand->get_option_no_throw("--cli-binary-format");
  const bool raw_blobs = binary_format != nullptr && binary_format->count() > 0 &&
                         binary_format->results().front() == "raw-in-base64-out";
  for (const CLI::Option* option : command.subcommand->get_options()) {
    if (option->count() == 0 || option->get_lnames().empty()) continue;
    const auto member = model.member_for_flag(command.operation, "--" + option->get_lnames().front());
    if (!member) continue;
    const std::string type = model.member_type(command.operation, *member);
    const std::string& text = option->results().front();
    if (type == "integer" || type == "long") {
      try {
        request[*member] = std::stoll(text);
      } catch (const std::exception&) {
        // CLI11 has already refused what is not an integer; out-of-range numbers are reported by the command.
      }
    } else if (type == "boolean") {
      request[*member] = option->as<bool>();
    } else if (type == "structure" || type == "map" || type == "list") {
      request[*member] = structured_value(option->get_name(), text);
    } else if (type == "blob") {
      try {
        const std::string value = load_parameter_value(option->get_name(), text);
        request[*member] = raw_blobs || text.rfind("fileb://", 0) == 0 ? base64_encode(value) : value;
      } catch (const Error&) {
      }
    } else {
      request[*member] = text;
    }
  }
  return request;
}

}  // namespace shmstream::cli
