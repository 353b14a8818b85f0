#include "command_table.hpp"
namespace shmstream::cli { void add_demo_command(CLI::App&, CommandTable&, const GlobalOptions&) {} }
