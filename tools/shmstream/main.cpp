// shmstream: the `aws kinesis` command line, for streams in shared memory on this host.
#include <iostream>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "json_output.hpp"
#include "request_flags.hpp"
#include "service_model.hpp"
#include "shmstream/status.hpp"

namespace {

using namespace shmstream::cli;

int run_command(const Command& command) {
  try {
    // Like the service: a request that breaks the model is refused before anything else looks at it.
    const ServiceModel& model = ServiceModel::kinesis();
    if (model.has_operation(command.operation)) model.validate_input(command.operation, request_from_flags(command));
    return command.run();
  } catch (const UsageError& error) {
    std::cerr << "\n" << error.what() << std::endl;
    return kExitUsageError;
  } catch (const ServiceError& error) {
    print_service_error(command.operation, error.exception_name(), error.what());
    return kExitServiceError;
  } catch (const shmstream::Error& error) {
    print_service_error(command.operation, error.exception_name(), error.what());
    return kExitServiceError;
  } catch (const std::bad_alloc&) {
    print_service_error(command.operation, "InternalFailure", "out of memory");
    return kExitInternalError;
  } catch (const std::exception& error) {
    print_service_error(command.operation, "InternalFailure", error.what());
    return kExitInternalError;
  }
}

// Flags every aws CLI user types out of habit; they have no meaning for streams of this host.
void add_ignored_aws_options(CLI::App& app) {
  for (const char* name : {"--region", "--profile", "--endpoint-url", "--ca-bundle", "--cli-read-timeout",
                           "--cli-connect-timeout", "--color"}) {
    app.add_option(name)->description("Accepted and ignored, as for the aws CLI")->group("aws CLI options (ignored)");
  }
  for (const char* name : {"--no-cli-pager", "--no-verify-ssl", "--no-sign-request", "--debug",
                           "--cli-auto-prompt", "--no-cli-auto-prompt"}) {
    app.add_flag(std::string(name))->description("Accepted and ignored, as for the aws CLI")->group("aws CLI options (ignored)");
  }
}

// Options of every command that maps to a Kinesis operation.
void add_model_options(CommandTable& table) {
  const ServiceModel& model = ServiceModel::kinesis();
  for (const Command* command : table.commands()) {
    if (!model.has_operation(command->operation)) continue;
    // A command that defines one of these flags itself keeps its own.
    if (command->subcommand->get_option_no_throw("--cli-input-json") == nullptr) {
      command->subcommand->add_option("--cli-input-json")->description(
          "The request as JSON (inline or file://request.json); flags given as well win");
    }
    if (!model.member_for_flag(command->operation, "--stream-arn") ||
        command->subcommand->get_option_no_throw("--stream-arn") != nullptr) {
      continue;
    }
    CLI::Option* name = command->subcommand->get_option_no_throw("--stream-name");
    command->subcommand->add_option("--stream-arn")->description(
        name != nullptr ? "The stream's ARN, arn:aws:kinesis:local:000000000000:stream/NAME, instead of --stream-name"
                        : "The stream's ARN (checked against the model; the iterator names the stream)");
    // --stream-arn supplies --stream-name (expand_arguments): the name is required only without an ARN.
    if (name != nullptr) name->required(false);
  }
}

// The operation of the command named among `arguments`, for an error found before parsing.
std::string operation_named(const std::vector<std::string>& arguments, const CommandTable& table) {
  for (const std::string& argument : arguments) {
    for (const Command* command : table.commands()) {
      if (command->name == argument) return command->operation;
    }
  }
  return "";
}

std::string valid_commands(const CommandTable& table) {
  std::string names;
  for (const Command* command : table.commands()) names += "\n  " + command->name;
  return names;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{
      "shmstream: Amazon Kinesis Data Streams for one host, over memory-mapped files.\n"
      "Commands and JSON output follow `aws kinesis`.",
      "shmstream"};
  app.require_subcommand(0, 1);
  // --root and the aws CLI's global options may come before or after the command name.
  app.fallthrough();
  app.set_version_flag("--version", std::string("shmstream/") + SHMSTREAM_VERSION + " (aws kinesis API 2013-12-02)");
  GlobalOptions global;
  app.add_option("--root", global.root,
                 "Directory holding the streams (default $SHMSTREAM_ROOT, else /dev/shm/shmstream)");
  OutputOptions output;
  app.add_option("--output", output.format, "json (default), text or table, as the aws CLI prints them")
      ->check(CLI::IsMember({"json", "text", "table"}));
  app.add_option("--query", output.query, "A JMESPath query, evaluated by Debian's jp (package jp)");
  add_ignored_aws_options(app);

  CommandTable table;
  add_stream_commands(app, table, global);
  add_reshard_commands(app, table, global);
  add_retention_commands(app, table, global);
  add_stream_attribute_commands(app, table, global);
  add_record_commands(app, table, global);
  add_iterator_commands(app, table, global);
  add_tail_command(app, table, global);
  add_application_commands(app, table, global);
  add_consume_command(app, table, global);
  add_stat_command(app, table, global);
  add_janitor_command(app, table, global);
  add_encryption_commands(app, table, global);
  add_serve_command(app, table, global);
  add_demo_command(app, table, global);
  add_model_options(table);

  std::vector<std::string> arguments(argv + 1, argv + argc);
  try {
    arguments = expand_arguments(arguments, table);
  } catch (const UsageError& error) {
    std::cerr << "\n" << error.what() << std::endl;
    return kExitUsageError;
  } catch (const ServiceError& error) {
    print_service_error(operation_named(arguments, table), error.exception_name(), error.what());
    return kExitServiceError;
  } catch (const shmstream::Error& error) {
    print_service_error(operation_named(arguments, table), error.exception_name(), error.what());
    return kExitServiceError;
  }
  std::reverse(arguments.begin(), arguments.end());  // CLI11 takes the arguments last first
  try {
    app.parse(arguments);
  } catch (const CLI::ParseError& error) {
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr && table.selected() == nullptr) {
      std::cerr << "\nshmstream: error: argument command: Invalid choice, valid choices are:" << valid_commands(table)
                << "\n\n" << error.what() << std::endl;
      return kExitUsageError;
    }
    const int code = app.exit(error);  // prints help, or the problem plus a hint
    return code == 0 ? kExitSuccess : kExitUsageError;
  }
  const Command* command = table.selected();
  if (command == nullptr || !command->run) {
    std::cerr << app.help();
    return kExitUsageError;
  }
  output.operation = command->operation;
  set_output_options(output);
  return run_command(*command);
} catch (const std::exception& error) {
  std::cerr << "\nshmstream: " << error.what() << std::endl;
  return kExitInternalError;
}
