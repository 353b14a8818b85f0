// `wait stream-exists` / `wait stream-not-exists`: the aws CLI's waiters for Kinesis. The aws CLI asks
// DescribeStream every 10 s, 18 times; streams here change state at once, so the same 180 s are spent polling
// every 100 ms. A waiter that runs out prints "Waiter StreamExists failed: Max attempts exceeded" and exits 255,
// as the aws CLI does.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "command_table.hpp"
#include "common/environment_duration.hpp"
#include "interrupt_flag.hpp"

namespace shmstream::cli {
namespace {

constexpr int kExitWaiterFailed = 255;

// 180 s, as the aws CLI's 18 attempts 10 s apart; SHMSTREAM_WAITER_TIMEOUT_SECONDS overrides it (tests).
std::chrono::nanoseconds waiter_timeout() {
  return detail::duration_from_environment("SHMSTREAM_WAITER_TIMEOUT_SECONDS", std::chrono::seconds(180), 1e6);
}

// Whether the stream is there and ACTIVE; any other answer than ResourceNotFound is the waiter's failure.
bool stream_is_active(const std::string& name, const std::string& root) {
  try {
    return Stream::open(name, root)->describe().status == "ACTIVE";
  } catch (const Error& error) {
    if (error.code() == StatusCode::kResourceNotFound) return false;
    throw;
  }
}

void add_waiter(CLI::App& wait, CommandTable& table, const GlobalOptions& global, bool exists) {
  const char* name = exists ? "stream-exists" : "stream-not-exists";
  Command& command = table.add(wait, name, "DescribeStream",
                               exists ? "Wait until the stream exists and is ACTIVE (at most 180 s)"
                                      : "Wait until the stream does not exist (at most 180 s)");
  auto stream_name = std::make_shared<std::string>();
  command.subcommand->add_option("--stream-name", *stream_name, "Stream name")->required();
  command.run = [stream_name, exists, &global] {
    catch_interrupts();
    const auto deadline = std::chrono::steady_clock::now() + waiter_timeout();
    while (stream_is_active(*stream_name, global.resolved_root()) != exists) {
      if (interrupted()) return 130;
      if (std::chrono::steady_clock::now() >= deadline) {
        std::cerr << "\nWaiter " << (exists ? "StreamExists" : "StreamNotExists")
                  << " failed: Max attempts exceeded" << std::endl;
        return kExitWaiterFailed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;  // prints nothing, like the aws CLI
  };
}

}  // namespace

void add_wait_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  CLI::App* wait = app.add_subcommand("wait", "Wait for a stream to exist or to be gone, as `aws kinesis wait`");
  wait->require_subcommand(1, 1);
  add_waiter(*wait, table, global, /*exists=*/true);
  add_waiter(*wait, table, global, /*exists=*/false);
}

}  // namespace shmstream::cli
