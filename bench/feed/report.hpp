// Turns the runs into the human table (medians of the repeats, min/median/max, ratios to the SPSC floor and
// between shmstream and each peer) and the JSON file the plot script and docs/PERFORMANCE.md read.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "modes.hpp"

namespace feed {

struct ReportContext {
  std::string command_line;
  std::string wait_mode;
  std::string message_sizes;
  double mean_message_bytes = 0;
  int producers = 1;
  int consumers = 1;
};

void print_run_line(std::ostream& out, const RunResult& result);
void print_table(std::ostream& out, const std::vector<RunResult>& results);
void write_json(std::ostream& out, const ReportContext& context, const std::vector<RunResult>& results);

}  // namespace feed
