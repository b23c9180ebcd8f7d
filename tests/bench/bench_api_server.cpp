// The OneRoster service of the tests (tests/connectors/oneroster_rest/oneroster_api.hpp) as a
// program, for tests/bench/bench_api.sh: it serves a ferry-gen-oneroster export over HTTPS on
// 127.0.0.1 until its standard input closes.
//
//   bench_api_server EXPORT_DIR CA_FILE [one-page]
//
// With one-page, every answer holds all the records from its offset on, whatever the limit.
// Prints "base_url token_url" on one line once it listens, and writes its CA certificate to
// CA_FILE. Client id and secret are OneRosterApi::kClientId and kClientSecret.
#include <iostream>
#include <string>

#include "tests/connectors/oneroster_rest/oneroster_api.hpp"

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 4 && std::string(argv[3]) == "one-page")) {
    std::cerr << "usage: bench_api_server EXPORT_DIR CA_FILE [one-page]\n";
    return 2;
  }
  ferry::test::OneRosterApi api(argv[1]);
  api.ignore_limit(argc == 4);
  api.write_ca_file(argv[2]);
  std::cout << api.base_url() << " " << api.token_url() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}
