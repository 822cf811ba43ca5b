# Runs batond --test-flow and checks its exit code and output, for ctest (a plain add_test can
# check one or the other, not both):
#   cmake -DBATOND=... -DCONFIG=... -DSCENARIOS=... -DEXIT=1 -DOUTPUT=<regex> -P expect_exit.cmake
execute_process(COMMAND ${BATOND} --test-flow ${SCENARIOS} -c ${CONFIG}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc STREQUAL "${EXIT}")
  message(FATAL_ERROR "batond exited ${rc}, expected ${EXIT}\n${out}${err}")
endif()
if(NOT out MATCHES "${OUTPUT}")
  message(FATAL_ERROR "the output does not match '${OUTPUT}':\n${out}${err}")
endif()
message(STATUS "${out}")
