// How commands plug into the CLI: every command group adds its subcommands to one CommandTable, and main()
// runs the selected one after parsing, so parse errors (exit 252) and service errors (exit 254) are told
// apart in one place.
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shmstream/stream.hpp"

namespace shmstream::cli {

// For an integer option: CLI11 turns a number its variable cannot hold into the nearest one it can, so the
// user would be told about a value they never typed. Such a number is a usage error quoting the text given.
inline CLI::Option* integer_as_given(CLI::Option* option) {
  return option->check(CLI::Validator(
      [](std::string& text) -> std::string {
        long long value = 0;
        const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
        if (std::from_chars(begin, text.data() + text.size(), value).ec == std::errc::result_out_of_range) {
          return "value " + text + " is out of range";
        }
        return "";
      },
      "INTEGER"));
}

// Options every command shares.
struct GlobalOptions {
  std::string root;  // --root; empty means $SHMSTREAM_ROOT, else /dev/shm/shmstream

  std::string resolved_root() const { return root.empty() ? default_root() : root; }
};

struct Command {
  std::string name;       // create-stream
  std::string operation;  // CreateStream: the name AWS error messages use
  std::function<int()> run;
  CLI::App* subcommand = nullptr;
};

class CommandTable {
 public:
  // Adds a subcommand; `run` is bound later by the caller through the returned Command.
  Command& add(CLI::App& app, const std::string& name, const std::string& operation, const std::string& description) {
    auto command = std::make_unique<Command>();
    command->name = name;
    command->operation = operation;
    command->subcommand = app.add_subcommand(name, description);
    commands_.push_back(std::move(command));
    return *commands_.back();
  }

  std::vector<const Command*> commands() const {
    std::vector<const Command*> all;
    for (const auto& command : commands_) all.push_back(command.get());
    return all;
  }

  const Command* selected() const {
    for (const auto& command : commands_) {
      if (command->subcommand->parsed()) return command.get();
    }
    return nullptr;
  }

 private:
  std::vector<std::unique_ptr<Command>> commands_;
};

void add_stream_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_record_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_iterator_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_tail_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_demo_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_reshard_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_retention_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_janitor_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_stat_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_application_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_consume_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);
// Limits, tags, stream mode, enhanced monitoring, consumers, throttling (attribute_commands.cpp).
void add_stream_attribute_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_encryption_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global);
void add_serve_command(CLI::App& app, CommandTable& table, const GlobalOptions& global);  // the HTTP endpoint

}  // namespace shmstream::cli
