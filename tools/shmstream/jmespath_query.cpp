#include "jmespath_query.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli_errors.hpp"
#include "common/file_descriptor.hpp"

extern char** environ;

namespace shmstream::cli {
namespace {

// Reads everything from `fd` until end of file.
std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      return text;
    }
  }
}

}  // namespace

Json run_jmespath_query(const std::string& expression, const Json& document) {
  // The document goes through a memory file (no pipe to deadlock on when jp writes before reading it all).
  const detail::FileDescriptor input(::memfd_create("shmstream-query-input", MFD_CLOEXEC));
  const std::string text = document.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (input.fd < 0 || ::write(input.fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::lseek(input.fd, 0, SEEK_SET) != 0) {
    throw UsageError(std::string("--query: cannot hand the output to jp: ") + std::strerror(errno));
  }
  int output_pipe[2];
  int error_pipe[2];
  if (::pipe2(output_pipe, O_CLOEXEC) != 0 || ::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw UsageError(std::string("--query: cannot start jp: ") + std::strerror(errno));
  }
  const detail::FileDescriptor output_read(output_pipe[0]), error_read(error_pipe[0]);
  detail::FileDescriptor output_write(output_pipe[1]), error_write(error_pipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, error_write.fd, STDERR_FILENO);
  std::string program = "jp", compact = "--compact", end_of_options = "--";
  std::string query = expression;
  char* arguments[] = {program.data(), compact.data(), end_of_options.data(), query.data(), nullptr};
  pid_t child = 0;
  const int spawned = ::posix_spawnp(&child, "jp", &actions, nullptr, arguments, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    throw UsageError("--query needs Debian's jp (apt-get install jp): " + std::string(std::strerror(spawned)));
  }
  output_write = detail::FileDescriptor();  // jp holds the write ends now: end of file when it exits
  error_write = detail::FileDescriptor();
  const std::string result = read_all(output_read.fd);
  const std::string problem = read_all(error_read.fd);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw UsageError("Bad value for --query " + expression + ": " + (problem.empty() ? result : problem));
  }
  try {
    return Json::parse(result);
  } catch (const Json::exception& error) {
    throw UsageError("--query: jp printed something that is not JSON: " + result);
  }
}

}  // namespace shmstream::cli
