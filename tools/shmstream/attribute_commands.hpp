// The command groups of the Kinesis operations on a stream's settings and attributes, registered together
// by add_stream_attribute_commands (command_table.hpp).
#pragma once

#include "command_table.hpp"

namespace shmstream::cli {

void add_limits_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);      // limits_command.cpp
void add_tags_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);       // tags_commands.cpp
void add_stream_mode_command(CLI::App& app, CommandTable& table, const GlobalOptions& global); // stream_mode_command.cpp
void add_monitoring_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global); // monitoring_commands.cpp
void add_consumer_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);   // consumer_commands.cpp
void add_throttling_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global); // throttling_commands.cpp

}  // namespace shmstream::cli
