// feed: the multi-process market-data harness. See docs/PERFORMANCE.md for how the numbers were taken.
//
//   feed throughput|latency|pingpong [--transports shmstream,shmstream-x,spsc,boost_mq,zmq,unix,pipe] [--seconds S]
//        [--runs N] [--producers P] [--consumers C] [--rates 100000,1000000] [--burst B] [--size mix|32..256]
//        [--symbols N] [--zipf S] [--wait spin|block] [--producer-cpu 0] [--consumer-cpu 1] [--no-verify]
//        [--warmup S] [--stamp scheduled|send] [--idle-backoff-ns N]
//        [--prepare-segments N] [--scratch /dev/shm] [--json out.json]
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
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

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

std::vector<int> parse_cpus(const std::string& text) {
  std::vector<int> cpus;
  for (const auto& part : split(text)) cpus.push_back(std::stoi(part));
  return cpus;
}

[[noreturn]] void usage(const char* problem) {
  std::cerr << "feed: " << problem << "\n"
            << "usage: feed throughput|latency|pingpong [--transports LIST] [--seconds S] [--runs N]\n"
               "            [--producers P] [--consumers C] [--rates R1,R2] [--burst B] [--size mix|32..256]\n"
               "            [--symbols N] [--zipf S] [--wait spin|block] [--producer-cpu LIST] [--consumer-cpu LIST]\n"
               "            [--no-verify] [--warmup S] [--stamp scheduled|send] [--idle-backoff-ns N]\n"
               "            [--prepare-segments N] [--scratch DIR] [--json FILE]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options options;
  if (argc < 2) usage("missing mode");
  const std::string mode = argv[1];
  if (mode == "throughput") options.config.mode = Mode::kThroughput;
  else if (mode == "latency") options.config.mode = Mode::kLatency;
  else if (mode == "pingpong") options.config.mode = Mode::kPingPong;
  else usage("unknown mode");
  if (online_cpus() >= 2) {  // the default placement of BENCHMARKING.md: one side per vCPU
    options.config.producer_cpus = {0};
    options.config.consumer_cpus = {1};
  }
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + flag).c_str());
      return argv[++i];
    };
    if (flag == "--transports") options.transports = split(value());
    else if (flag == "--seconds") options.config.seconds = std::stod(value());
    else if (flag == "--runs") options.runs = std::stoi(value());
    else if (flag == "--producers") options.config.producers = std::stoi(value());
    else if (flag == "--consumers") options.config.consumers = std::stoi(value());
    else if (flag == "--rates" || flag == "--rate") {
      options.rates.clear();
      for (const auto& rate : split(value())) options.rates.push_back(std::stod(rate));
    } else if (flag == "--burst") options.config.burst = static_cast<uint32_t>(std::stoul(value()));
    else if (flag == "--size") {
      options.size_text = value();
      options.feed.fixed_size = options.size_text == "mix" ? 0 : static_cast<uint32_t>(std::stoul(options.size_text));
    } else if (flag == "--symbols") options.feed.symbols = static_cast<uint32_t>(std::stoul(value()));
    else if (flag == "--zipf") options.feed.zipf_exponent = std::stod(value());
    else if (flag == "--wait") {
      const std::string wait = value();
      if (wait != "spin" && wait != "block") usage("--wait is spin or block");
      options.config.wait = wait == "spin" ? WaitMode::kSpin : WaitMode::kBlock;
    } else if (flag == "--producer-cpu") options.config.producer_cpus = parse_cpus(value());
    else if (flag == "--consumer-cpu") options.config.consumer_cpus = parse_cpus(value());
    else if (flag == "--no-verify") options.config.verify_checksums = false;
    else if (flag == "--stamp") {
      const std::string stamp = value();
      if (stamp != "scheduled" && stamp != "send") usage("--stamp is scheduled or send");
      options.config.stamp_scheduled = stamp == "scheduled";
    } else if (flag == "--prepare-segments") options.config.prepared_segments = std::stoi(value());
    else if (flag == "--idle-backoff-ns") options.config.idle_backoff_ns = std::stoll(value());
    else if (flag == "--warmup") options.config.warmup_seconds = std::stod(value());
    else if (flag == "--json") options.json_path = value();
    else if (flag == "--scratch") options.scratch_parent = value();
    else usage(("unknown option " + flag).c_str());
  }
  if (options.config.producers < 1 || options.config.producers > kMaxProcesses || options.config.consumers < 1 ||
      options.config.consumers > kMaxProcesses) {
    usage("--producers and --consumers must be 1..16");
  }
  if (options.runs < 1 || options.config.seconds <= 0) usage("--runs and --seconds must be positive");
  if (options.config.mode != Mode::kLatency) options.rates = {0};
  for (int cpu : options.config.producer_cpus) {
    if (cpu >= online_cpus()) usage("--producer-cpu names a CPU that is not online");
  }
  for (int cpu : options.config.consumer_cpus) {
    if (cpu >= online_cpus()) usage("--consumer-cpu names a CPU that is not online");
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
