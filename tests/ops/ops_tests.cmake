# The shipped operations configs checked by their own tools (tests/ops/ops_config_test.sh):
# Alertmanager's config, routing tree and notification templates with amtool, the Prometheus
# rules with promtool's unit tests, the example Prometheus config. Exit 77 (skipped) only when
# amtool or promtool is not installed.
foreach(case alertmanager_config alertmanager_routes alertmanager_templates prometheus_rules
             prometheus_config)
  add_test(NAME ops.${case}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/ops_config_test.sh ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(ops.${case} PROPERTIES LABELS unit TIMEOUT 60 SKIP_RETURN_CODE 77)
endforeach()
