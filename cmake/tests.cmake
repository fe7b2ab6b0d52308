# Every tests/test_*.c is one executable and one ctest test.
file(GLOB VMF_TEST_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${VMF_TEST_SRC})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib)
  if(TARGET vmfuzz_harness)
    target_link_libraries(${name} PRIVATE vmfuzz_harness vmfuzz)
  else()
    target_link_libraries(${name} PRIVATE vmfuzz)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 300)
endforeach()

# No writable global or static state in lib/ or harness/.
set(VMF_STATE_ARCHIVES $<TARGET_FILE:vmfuzz>)
if(TARGET vmfuzz_harness)
  list(APPEND VMF_STATE_ARCHIVES $<TARGET_FILE:vmfuzz_harness>)
endif()
add_test(NAME no_global_state
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/no_globals.sh ${VMF_STATE_ARCHIVES})
# ... and the check must be able to fail: a canary archive with state.
add_library(vmf_state_canary STATIC ${CMAKE_SOURCE_DIR}/tests/state_canary.c)
add_test(NAME no_global_state_bites
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/no_globals.sh $<TARGET_FILE:vmf_state_canary>)
set_tests_properties(no_global_state_bites PROPERTIES WILL_FAIL TRUE)

# The house rules (docs/architecture.md "Rooms"): no file over 1,000
# lines, no include circle, layers look down by #include and by symbol.
add_test(NAME house_layers
         COMMAND python3 ${CMAKE_SOURCE_DIR}/tools/check-layers.py -v
                 --root ${CMAKE_SOURCE_DIR} --objects ${CMAKE_BINARY_DIR})
# ... and the check must be able to fail.
add_test(NAME house_layers_bites
         COMMAND sh ${CMAKE_SOURCE_DIR}/tests/check_layers_bites.sh
                 ${CMAKE_SOURCE_DIR}/tools/check-layers.py ${CMAKE_C_COMPILER})

# The ClusterFuzzLite workflows and the OSS-Fuzz project files parse and
# name the right modes and sanitizers (python3 with yaml).
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_ci_files.sh)
  add_test(NAME test_ci_files COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_ci_files.sh)
endif()

# docs/shadow-outcomes.md (issue 12): a section per command of the command
# table, and only check names the code reports; the _bites test shows the
# check refusing a doc with a section removed or a made-up check name.
if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_outcomes_doc.sh)
  add_test(NAME outcomes_doc
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_outcomes_doc.sh)
  add_test(NAME outcomes_doc_bites
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_outcomes_doc.sh --bites)
endif()
