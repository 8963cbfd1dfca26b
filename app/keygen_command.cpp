#include <iostream>
#include <memory>

#include "flag_checks.hpp"
#include "proto/curve_keys.hpp"
#include "run_command.hpp"

namespace swarmlet::app {

void add_keygen_command(CLI::App& app, int& exit_code) {
  auto name = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "keygen", "Make a CURVE key pair: NAME.key (secret) and NAME.pub (share it)");
  // An empty NAME wrote the hidden files .key and .pub, a secret easily left behind.
  cmd->add_option("name", *name, "Where to write, without extension (e.g. keys/master)")
      ->required()
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            return value.empty() ? "is empty: give a name, e.g. keys/master" : std::string();
          },
          "", "not empty"));
  add_version_flag(*cmd);
  cmd->callback([name, &exit_code] {
    try {
      proto::write_curve_key_files(*name, proto::generate_curve_keypair());
      std::cout << "wrote " << *name << ".key (keep it secret) and " << *name
                << ".pub: " << proto::public_key_from(*name + ".pub") << "\n";
      exit_code = 0;
    } catch (const proto::key_error& e) {
      std::cerr << "swarmlet keygen: " << e.what() << "\n";
      exit_code = 2;
    }
  });
}

}  // namespace swarmlet::app
