#include "backdoor.hpp"

#include <sstream>

#include "buffered_reader.hpp"
#include "hub.hpp"
#include "serve.hpp"

namespace swarmlet::green {

backdoor::backdoor() {
  add("help", "list the commands", [this](const std::vector<std::string>&) {
    std::string out;
    for (const auto& [name, e] : commands_) out += name + " - " + e.help + "\n";
    out += "quit - close this console\n";
    return out;
  });
  add("threads", "green threads of this hub: id, state, what each is blocked on",
      [](const std::vector<std::string>&) {
        std::ostringstream out;
        int n = 0;
        hub::get().for_each_thread([&](const thread_record& t) {
          out << t.id() << " " << t.state_name();
          if (*t.blocked_on() != '\0') out << " on " << t.blocked_on();
          out << "\n";
          ++n;
        });
        out << n << " green threads\n";
        return out.str();
      });
}

void backdoor::add(const std::string& name, const std::string& help, command fn) {
  commands_[name] = entry{help, std::move(fn)};
}

std::string backdoor::run(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) return {};
  auto it = commands_.find(words[0]);
  if (it == commands_.end()) return "unknown command '" + words[0] + "': try help\n";
  try {
    return it->second.fn(std::vector<std::string>(words.begin() + 1, words.end()));
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what() + "\n";
  }
}

void backdoor::serve(socket& listener) {
  green::serve(
      listener,
      [this](socket& client) {
        buffered_reader in(client, 4096);
        client.sendall("swarmlet backdoor: type help\n> ");
        for (;;) {
          const std::string line = in.readline(4096);
          if (line.empty()) return;
          if (line.rfind("quit", 0) == 0 || line.rfind("exit", 0) == 0) return;
          client.sendall(run(line) + "> ");
        }
      },
      16);
}

}  // namespace swarmlet::green
