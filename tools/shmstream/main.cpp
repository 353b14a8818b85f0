// shmstream: the `aws kinesis` command line, for streams in shared memory on this host.
#include <iostream>

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "shmstream/status.hpp"

namespace {

using namespace shmstream::cli;

int run_command(const Command& command) {
  try {
    return command.run();
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

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{
      "shmstream: Amazon Kinesis Data Streams for one host, over memory-mapped files.\n"
      "Commands and JSON output follow `aws kinesis`.",
      "shmstream"};
  app.require_subcommand(1, 1);
  // --root may come before or after the command name.
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--root", global.root,
                 "Directory holding the streams (default $SHMSTREAM_ROOT, else /dev/shm/shmstream)");

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
  add_demo_command(app, table, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);  // prints help, or the problem plus a hint
    return code == 0 ? kExitSuccess : kExitUsageError;
  }
  const Command* command = table.selected();
  if (command == nullptr || !command->run) {
    std::cerr << app.help();
    return kExitUsageError;
  }
  return run_command(*command);
} catch (const std::exception& error) {
  std::cerr << "\nshmstream: " << error.what() << std::endl;
  return kExitInternalError;
}
