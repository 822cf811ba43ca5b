// Running flow scenarios (`batond --test-flow`): each scenario gets a fresh daemon_state on a
// fake clock, entirely in memory (an in-memory journal, no feed file), and drives the real
// pipeline: admission (ingest rules, schemas), the batch stage (order engine, exception desk,
// notices), its timers and people's actions, with a commit after every step. What a step
// relayed and what the desk did (read back from the exception.* and task.* messages) is
// compared with the step's `expect`; every mismatch is one readable line.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config.h"
#include "daemon_state.h"
#include "scenario.h"

namespace baton {

struct scenario_result {
    std::string name;
    std::string file;
    // One line per failed expectation: "step 3 (finance.credit.approved at 2h, line 25):
    // resolved: expected [credit_hold], got []".
    std::vector<std::string> failures;
    bool passed() const { return failures.empty(); }
};

// Runs one scenario. `in` is what load_inputs(cfg) gave; the scenario's flow and customers
// replace its flow and customers when the file has them. Never throws: a failure of the run
// itself is reported as a failure of the step it happened in.
scenario_result run_scenario(const scenario& sc, const config& cfg, loop_inputs in);

// `batond --test-flow PATH...`: loads every scenario file under `paths` (a file, or a folder's
// *.yaml sorted by name), runs them, prints `PASS name` / `FAIL name` with the failures and a
// summary line to `out`. Returns 0 when all pass, 1 when any fails, 2 when a file or the
// configuration is invalid (the reason, with file, key and line, goes to `err`; nothing runs).
int test_flow(const config& cfg, const std::vector<std::string>& paths, std::ostream& out,
              std::ostream& err);

}  // namespace baton
