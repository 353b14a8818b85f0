// feed: the multi-process market-data harness. See docs/PERFORMANCE.md for how the numbers were taken.
//
//   feed throughput|latency|pingpong [--transports shmstream,shmstream-x,spsc,boost_mq,zmq,unix,pipe] [--seconds S]
//        [--runs N] [--producers P] [--consumers C] [--rates 100000,1000000] [--burst B] [--size mix|32..256]
//        [--symbols N] [--zipf S] [--wait spin|block] [--producer-cpu 0] [--consumer-cpu 1] [--no-verify]
//        [--warmup S] [--stamp scheduled|send] [--idle-backoff-ns N]
//        [--prepare-segments N] [--scratch /dev/shm] [--json out.json]
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "market_data.hpp"
#include "modes.hpp"
#include "placement.hpp"
#include "report.hpp"
#include "shared_run.hpp"

namespace {

using namespace feed;

struct Options {
  RunConfig config;
  FeedOptions feed;
  std::vector<std::string> transports = {"shmstream", "spsc", "boost_mq", "zmq", "unix", "pipe"};
  std::vector<double> rates = {100000, 1000000};
  int runs = 3;
  std::string json_path;
  std::string size_text = "mix";
  std::string scratch_parent = "/dev/shm";  // --scratch: e.g. a tmpfs mounted with huge=always
};

// Every flag of the usage line above, parsed by CLI11; a bad value is a usage error (exit 2) naming the flag.
Options parse(int argc, char** argv) {
  Options options;
  if (online_cpus() >= 2) {  // the default placement of BENCHMARKING.md: one side per vCPU
    options.config.producer_cpus = {0};
    options.config.consumer_cpus = {1};
  }
  CLI::App app{"feed: the multi-process market-data harness (docs/PERFORMANCE.md)", "feed"};
  const std::map<std::string, Mode> modes{
      {"throughput", Mode::kThroughput}, {"latency", Mode::kLatency}, {"pingpong", Mode::kPingPong}};
  std::string mode;
  app.add_option("mode", mode, "throughput|latency|pingpong")->required()->check(CLI::IsMember(modes));
  app.add_option("--transports", options.transports, "comma-separated transports")->delimiter(',');
  app.add_option("--seconds", options.config.seconds)->check(CLI::PositiveNumber);
  app.add_option("--runs", options.runs)->check(CLI::PositiveNumber);
  app.add_option("--producers", options.config.producers)->check(CLI::Range(1, kMaxProcesses));
  app.add_option("--consumers", options.config.consumers)->check(CLI::Range(1, kMaxProcesses));
  app.add_option("--rates,--rate", options.rates, "latency mode: messages per second")->delimiter(',');
  app.add_option("--burst", options.config.burst)->check(CLI::PositiveNumber);
  app.add_option("--size", options.size_text, "mix or a fixed size 32..256")
      ->check(CLI::IsMember({"mix"}) | CLI::Range(32, 256));
  app.add_option("--symbols", options.feed.symbols)->check(CLI::PositiveNumber);
  app.add_option("--zipf", options.feed.zipf_exponent);
  const std::map<std::string, WaitMode> waits{{"spin", WaitMode::kSpin}, {"block", WaitMode::kBlock}};
  std::string wait = "spin";
  app.add_option("--wait", wait)->check(CLI::IsMember(waits));
  const auto online = CLI::Range(0, online_cpus() - 1, "online CPU");
  app.add_option("--producer-cpu", options.config.producer_cpus)->delimiter(',')->check(online);
  app.add_option("--consumer-cpu", options.config.consumer_cpus)->delimiter(',')->check(online);
  bool no_verify = false;
  app.add_flag("--no-verify", no_verify, "consumers skip the payload check");
  std::string stamp = "scheduled";
  app.add_option("--stamp", stamp)->check(CLI::IsMember({"scheduled", "send"}));
  app.add_option("--prepare-segments", options.config.prepared_segments)->check(CLI::NonNegativeNumber);
  app.add_option("--group", options.config.group, "throughput mode: shmstream sends N messages per put_records")
      ->check(CLI::Range(1, 500));
  app.add_option("--idle-backoff-ns", options.config.idle_backoff_ns)->check(CLI::NonNegativeNumber);
  app.add_option("--warmup", options.config.warmup_seconds)->check(CLI::NonNegativeNumber);
  app.add_option("--json", options.json_path, "write every run as JSON here");
  app.add_option("--scratch", options.scratch_parent, "parent of the scratch directory")->check(CLI::ExistingDirectory);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    std::exit(app.exit(error) == 0 ? 0 : 2);
  }
  options.config.mode = modes.at(mode);
  options.config.wait = waits.at(wait);
  options.config.verify_checksums = !no_verify;
  options.config.stamp_scheduled = stamp == "scheduled";
  options.feed.fixed_size = options.size_text == "mix" ? 0 : static_cast<uint32_t>(std::stoul(options.size_text));
  if (options.config.mode != Mode::kLatency) options.rates = {0};
  if (options.config.group != 1 && options.config.mode != Mode::kThroughput) {
    std::cerr << "--group applies to throughput mode only\n";
    std::exit(2);
  }
  return options;
}

// A private directory under /dev/shm (or --scratch) for this invocation, removed on the way out.
struct ScratchDirectory {
  explicit ScratchDirectory(const std::string& parent) {
    std::string pattern = parent + "/shmstream-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp under " + parent + " failed");
    path = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string path;
};

}  // namespace

int main(int argc, char** argv) try {
  Options options = parse(argc, argv);
  ScratchDirectory scratch(options.scratch_parent);
  options.config.scratch_dir = scratch.path;
  const MessagePool pool(options.feed);
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  std::cout << "# " << command_line << "\n# " << online_cpus() << " CPUs, messages " << options.size_text
            << " (mean " << pool.mean_length() << " B), " << options.feed.symbols << " symbols zipf "
            << options.feed.zipf_exponent << ", wait " << (options.config.wait == WaitMode::kSpin ? "spin" : "block")
            << (options.config.mode == Mode::kLatency ? (options.config.stamp_scheduled ? ", stamps at scheduled send time" : ", stamps at actual send time") : "")
            << ", " << options.config.producers << " producer(s) -> " << options.config.consumers << " consumer(s)"
            << std::endl;
  std::vector<RunResult> results;
  // Transports interleave within each repeat, so a drift of the host (placement, neighbours) spreads over all.
  for (int run = 0; run < options.runs; ++run) {
    for (double rate : options.rates) {
      for (const auto& name : options.transports) {
        RunConfig config = options.config;
        config.rate = rate;
        auto transport = make_transport(name);
        RunResult result = run_once(*transport, pool, config);
        result.run = run;
        print_run_line(std::cout, result);
        results.push_back(std::move(result));
      }
    }
  }
  print_table(std::cout, results);
  if (!options.json_path.empty()) {
    std::ofstream json(options.json_path);
    ReportContext context{command_line, options.config.wait == WaitMode::kSpin ? "spin" : "block", options.size_text,
                          pool.mean_length(), options.config.producers, options.config.consumers};
    write_json(json, context, results);
    if (!json) throw std::runtime_error("cannot write " + options.json_path);
  }
  bool all_ok = true;
  for (const auto& result : results) all_ok &= result.error.empty();
  return all_ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "feed: " << e.what() << "\n";
  return 1;
}
