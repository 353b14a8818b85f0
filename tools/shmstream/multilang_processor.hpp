// A RecordProcessor that runs a command and speaks the KCL MultiLangDaemon protocol with it: one JSON object
// per line on the command's stdin (initialize, processRecords, leaseLost, shardEnded, shutdownRequested, and
// the answers to its checkpoints) and on its stdout ({"action": "status", "responseFor": ...} after each
// message, {"action": "checkpoint", "sequenceNumber": ...} to checkpoint). One process per shard, as the
// MultiLangDaemon; a KCL multilang processor (amazon_kclpy, the Ruby or Node KCL) runs unchanged.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

#include "json_output.hpp"
#include "shmstream/worker.hpp"

namespace shmstream::cli {

class MultiLangProcessor : public RecordProcessor {
 public:
  explicit MultiLangProcessor(std::vector<std::string> command) : command_(std::move(command)) {}
  ~MultiLangProcessor() override;

  void initialize(std::string_view shard_id, const Checkpoint& starting_checkpoint) override;
  void process_records(std::span<const RecordView> records, Checkpointer& checkpointer,
                       int64_t millis_behind_latest) override;
  void lease_lost() override;
  void shard_ended(Checkpointer& checkpointer) override;
  void shutdown_requested(Checkpointer& checkpointer) override;

 private:
  void start();
  void send(const Json& message);
  // Reads the command's lines until its status for `action`, serving its checkpoint requests on the way
  // (with `checkpointer`; without one, every checkpoint is answered with an error). Lines that are not
  // JSON objects with an action are skipped, as the MultiLangDaemon does.
  void await_status(const std::string& action, Checkpointer* checkpointer);
  Json checkpoint(const Json& request, Checkpointer* checkpointer);
  void stop();

  std::vector<std::string> command_;
  std::string shard_id_;
  pid_t child_ = -1;
  int to_child_ = -1;
  FILE* from_child_ = nullptr;
  std::string line_;
};

}  // namespace shmstream::cli
