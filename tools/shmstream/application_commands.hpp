// JSON of a lease, shared by describe-application and stat.
#pragma once

#include "json_output.hpp"
#include "shmstream/application.hpp"

namespace shmstream::cli {

// One lease-table item with the KCL attribute names (leaseKey, leaseOwner, leaseCounter, checkpoint,
// ownerSwitchesSinceCheckpoint, parentShardId, ...) plus MillisBehindLatest and BytesBehindLatest.
Json lease_json(const LeaseInfo& lease);

}  // namespace shmstream::cli
