// `--output table`: the aws CLI's table form (awscli's TableFormatter and MultiTable, rule for rule: a section
// per object or list, titled by the operation or the member name, scalar members as sorted columns, sections
// rescaled to the widest one and made vertical when wider than the terminal).
#pragma once

#include <string>

#include "json_output.hpp"

namespace shmstream::cli {

// `title` is the operation name (DescribeStream); `terminal_width` the width of stdout's terminal, 80 when it
// is not a terminal.
std::string format_table(const std::string& title, const Json& document, int terminal_width);
int stdout_terminal_width();

}  // namespace shmstream::cli
