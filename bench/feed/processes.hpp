// Forks one child per role, starts them together and collects them. Children report through SharedRun; a
// child that throws records the message in its slot's error and exits non-zero.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "shared_run.hpp"

namespace feed {

struct Role {
  std::function<void()> body;            // runs in the child; must call ready_and_wait_for_go() once set up
  std::function<void(const std::string&)> on_error;  // runs in the child if body throws
};

class SharedRunMapping {
 public:
  SharedRunMapping();
  ~SharedRunMapping();
  SharedRunMapping(const SharedRunMapping&) = delete;
  SharedRunMapping& operator=(const SharedRunMapping&) = delete;
  SharedRun& operator*() const noexcept { return *run_; }
  SharedRun* operator->() const noexcept { return run_; }

 private:
  SharedRun* run_;
};

// Child side: announce readiness, spin until the parent says go.
void ready_and_wait_for_go(SharedRun& run) noexcept;

// Parent side: forks every role, waits for all to be ready, releases them, lets them run `seconds`, raises
// stop, then waits for them to exit (killing stragglers after `seconds + grace`). Returns a description of
// what went wrong, empty on success.
// `cpu_seconds` gets each role's user + system CPU time (from wait4), in role order.
std::string run_roles(SharedRun& run, const std::vector<Role>& roles, double seconds, double grace_seconds,
                      std::vector<double>& cpu_seconds);

}  // namespace feed
