// Consumer applications: describe-application (the lease table as JSON with the KCL lease-table attribute
// names), list-applications, delete-application (docs/CLI.md "Applications", docs/APPLICATIONS.md).
#include "application_commands.hpp"

#include "cli_errors.hpp"
#include "command_table.hpp"
#include "json_output.hpp"
#include "shmstream/application.hpp"

namespace shmstream::cli {

Json lease_json(const LeaseInfo& lease) {
  Json item{{"leaseKey", lease.lease_key}};
  item["leaseOwner"] = lease.lease_owner.empty() ? Json(nullptr) : Json(lease.lease_owner);
  item["leaseCounter"] = lease.lease_counter;
  item["checkpoint"] = lease.checkpoint.text();
  item["checkpointSubSequenceNumber"] = 0;
  if (lease.pending_checkpoint) item["pendingCheckpoint"] = lease.pending_checkpoint->text();
  item["ownerSwitchesSinceCheckpoint"] = lease.owner_switches_since_checkpoint;
  if (!lease.parent_shard_ids.empty()) item["parentShardId"] = lease.parent_shard_ids;
  item["MillisBehindLatest"] = lease.millis_behind_latest;
  item["RecordsBehindLatest"] = lease.records_behind_latest;
  item["BytesBehindLatest"] = lease.bytes_behind_latest;
  if (lease.owner_pid != 0) {
    item["OwnerPid"] = lease.owner_pid;
    item["OwnerAlive"] = lease.owner_alive;
  }
  if (lease.last_renewal_ns != 0) item["LastRenewal"] = aws_timestamp(lease.last_renewal_ns);
  return item;
}

namespace {

// The application a command acts on: --stream-name and --application-name, both required.
struct ApplicationFlags {
  std::string stream_name, application_name;
};

std::shared_ptr<ApplicationFlags> add_application_flags(CLI::App& sub) {
  auto flags = std::make_shared<ApplicationFlags>();
  sub.add_option("--stream-name", flags->stream_name, "Stream name")->required();
  sub.add_option("--application-name", flags->application_name, "Application name")->required();
  return flags;
}

void add_describe_application(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "describe-application", "DescribeApplication",
                               "Show a consumer application's lease table: owner, checkpoint and lag per shard");
  auto flags = add_application_flags(*command.subcommand);
  command.run = [flags, &global] {
    const auto stream = Stream::open(flags->stream_name, global.resolved_root());
    const ApplicationInfo info = describe_application(stream, flags->application_name);
    Json leases = Json::array();
    for (const LeaseInfo& lease : info.leases) leases.push_back(lease_json(lease));
    Json document{{"ApplicationName", info.name}, {"StreamName", stream->name()}};
    if (info.created_ns != 0) {
      document["InitialPosition"] = info.initial_position.text();
      if (info.initial_position.kind == Checkpoint::Kind::kAtTimestamp) {
        document["InitialTimestamp"] = aws_timestamp(info.initial_position.timestamp_ns);
      }
      document["CreationTimestamp"] = aws_timestamp(info.created_ns);
    }
    document["Leases"] = leases;
    print_json(document);
    return kExitSuccess;
  };
}

void add_list_applications(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command =
      table.add(app, "list-applications", "ListApplications", "List the consumer applications of a stream");
  CLI::App& sub = *command.subcommand;
  auto stream_name = std::make_shared<std::string>();
  sub.add_option("--stream-name", *stream_name, "Stream name")->required();
  command.run = [stream_name, &global] {
    print_json(Json{{"ApplicationNames", list_applications(*Stream::open(*stream_name, global.resolved_root()))}});
    return kExitSuccess;
  };
}

void add_delete_application(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  Command& command = table.add(app, "delete-application", "DeleteApplication",
                               "Delete a consumer application's lease table (its checkpoints); its workers stop");
  auto flags = add_application_flags(*command.subcommand);
  command.run = [flags, &global] {
    delete_application(*Stream::open(flags->stream_name, global.resolved_root()), flags->application_name);
    return kExitSuccess;  // prints nothing, like the AWS CLI's delete commands
  };
}

}  // namespace

void add_application_commands(CLI::App& app, CommandTable& table, const GlobalOptions& global) {
  add_describe_application(app, table, global);
  add_list_applications(app, table, global);
  add_delete_application(app, table, global);
}

}  // namespace shmstream::cli
