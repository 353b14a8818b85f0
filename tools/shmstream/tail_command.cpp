#include "command_table.hpp"
namespace shmstream::cli { void add_tail_command(CLI::App&, CommandTable&, const GlobalOptions&) {} }
