#include <stdexcept>
#include <string>

#include "../transport.hpp"

namespace feed {

std::unique_ptr<Transport> make_transport(std::string_view name) {
  if (name == "shmstream") return make_shmstream_transport(false);
  if (name == "shmstream-x") return make_shmstream_transport(true);  // exclusive producer: --producers 1
  if (name == "spsc") return make_spsc_transport();
  if (name == "boost_mq") return make_boost_mq_transport();
  if (name == "zmq") return make_zmq_transport();
  if (name == "unix") return make_unix_transport();
  if (name == "pipe") return make_pipe_transport();
  throw std::invalid_argument("unknown transport '" + std::string(name) +
                              "' (shmstream, shmstream-x, spsc, boost_mq, zmq, unix, pipe)");
}

}  // namespace feed
