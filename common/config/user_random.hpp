#pragma once
// A user's own random numbers: its waits, the task it picks, its data rows, and what its
// templates draw (${random_int(...)}, ${uuid()}). One per user, so every user holds one: PCG
// (O'Neill's pcg64, Debian's libpcg-cpp-dev) takes 32 bytes where std::mt19937_64 took 2.5 KB
// of the user's stack, an eighth of what a keep-alive user costs (bench/README.md, "Many
// connections"). The standard library's small engines would not do: they take a seed modulo a
// prime of 31 bits, so users would share streams, and their UUIDs.
#include <pcg_random.hpp>

namespace swarmlet::config {

using user_random = pcg64;

}  // namespace swarmlet::config
