#pragma once
// A load generator's descriptors are its connections: a worker holds one per user and a master
// two per worker. The soft open-file limit is often 1,024 while the hard one allows far more;
// like Go's runtime (since 1.19) and nginx's worker_rlimit_nofile, swarmlet raises the soft
// limit to the hard one when it starts, so that a thousand users do not fail for a default.
// A limit set on purpose with `ulimit -n N` (both limits) stays as it is.
#include <cstdint>

namespace swarmlet::app {

struct open_file_limit {
  std::uint64_t before = 0;  ///< the soft limit found
  std::uint64_t now = 0;     ///< the soft limit after (the hard one, unless the kernel said no)
};

/// Raises this process's soft RLIMIT_NOFILE to its hard limit (to the kernel's nr_open when
/// the hard limit is unlimited). Never fails: the limits stay as they were if refused.
open_file_limit raise_open_file_limit() noexcept;

}  // namespace swarmlet::app
