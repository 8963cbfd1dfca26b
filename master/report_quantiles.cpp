#include "report_quantiles.hpp"

#include <fmt/format.h>

namespace swarmlet::master {

std::string quantile_label(double q) {
  return fmt::format("{}", q * 100);
}

}  // namespace swarmlet::master
