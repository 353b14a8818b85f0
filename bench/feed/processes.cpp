#include "processes.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <new>
#include <stdexcept>
#include <thread>

#include "clock.hpp"

namespace feed {

SharedRunMapping::SharedRunMapping() {
  void* memory = ::mmap(nullptr, sizeof(SharedRun), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) throw std::runtime_error("mmap of the shared run state failed");
  run_ = new (memory) SharedRun();
}

SharedRunMapping::~SharedRunMapping() {
  run_->~SharedRun();
  ::munmap(run_, sizeof(SharedRun));
}

void ready_and_wait_for_go(SharedRun& run) noexcept {
  run.ready.fetch_add(1, std::memory_order_release);  // release: our set-up (bind, map) happened first
  // acquire: pairs with the parent's release of go, which follows its write of go_ns.
  while (run.go.load(std::memory_order_acquire) == 0) __builtin_ia32_pause();
}

std::string run_roles(SharedRun& run, const std::vector<Role>& roles, double seconds, double grace_seconds,
                      std::vector<double>& cpu_seconds) {
  std::vector<pid_t> children;
  for (const Role& role : roles) {
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int code = 0;
      try {
        role.body();
      } catch (const std::exception& e) {
        role.on_error(e.what());
        code = 1;
      }
      ::_exit(code);  // skip the parent's atexit handlers and static destructors
    }
    children.push_back(pid);
  }
  std::string problem;
  const int64_t setup_deadline = monotonic_ns() + 20'000'000'000;
  // acquire: every child finished its set-up before counting itself ready.
  while (run.ready.load(std::memory_order_acquire) < static_cast<int>(roles.size())) {
    int status = 0;
    bool died = false;
    for (pid_t pid : children) died |= ::waitpid(pid, &status, WNOHANG) == pid;
    if (died || monotonic_ns() > setup_deadline) {
      problem = died ? "a process failed during set-up" : "set-up timed out";
      run.stop.store(1, std::memory_order_relaxed);  // relaxed: a flag polled in loops, carries no data
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  run.go_ns = monotonic_ns();
  run.go.store(1, std::memory_order_release);  // release: go_ns is visible to whoever sees go
  if (problem.empty()) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  run.stop.store(1, std::memory_order_relaxed);  // relaxed: see above
  const int64_t deadline = monotonic_ns() + static_cast<int64_t>(grace_seconds * 1e9);
  for (pid_t pid : children) {
    int status = 0;
    rusage usage{};
    for (;;) {
      const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
      if (done == pid) break;
      if (monotonic_ns() > deadline) {
        ::kill(pid, SIGKILL);
        ::wait4(pid, &status, 0, &usage);
        if (problem.empty()) problem = "a process did not finish in time (killed)";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    cpu_seconds.push_back(static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6);
    if (problem.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) problem = "a process failed";
  }
  return problem;
}

}  // namespace feed
