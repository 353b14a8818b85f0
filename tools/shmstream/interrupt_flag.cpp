#include "interrupt_flag.hpp"

namespace shmstream::cli {
namespace {

volatile std::sig_atomic_t interrupt_received = 0;

extern "C" void on_interrupt(int) { interrupt_received = 1; }

}  // namespace

void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocking sleep or wait returns early so the loop sees the flag at once.
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool interrupted() noexcept { return interrupt_received != 0; }

}  // namespace shmstream::cli
