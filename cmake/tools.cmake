# The vmfuzz command-line tool, the seed corpora in the build tree, and the
# ctest tests that replay every corpus and every saved crash.
#
# corpus/<target>/*.txt   text programs (main target), encoded at build
#                         time by `vmfuzz encode` into
#                         build/<preset>/corpus/<target>/<name>.bin
# corpus/<target>/*.bin   binary seeds, copied as they are; a .txt beside a
#                         .bin of the same name is only its readable view
# crashes/<target>/       reproducers (binary + text, named after the
#                         signature), replayed as regression tests
#
# Everything here is deterministic: no timing, no randomness.

set(VMF_CORPUS_TARGETS main rbtree buddy mmu nextfit)

if(TARGET vmfuzz_harness)
  file(GLOB VMF_TOOL_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tools/vmfuzz*.c)
  add_executable(vmfuzz_cli ${VMF_TOOL_SRC})
  set_target_properties(vmfuzz_cli PROPERTIES OUTPUT_NAME vmfuzz)
  target_include_directories(vmfuzz_cli PRIVATE ${CMAKE_SOURCE_DIR}/tools
                             ${CMAKE_SOURCE_DIR}/harness)
  target_link_libraries(vmfuzz_cli PRIVATE vmfuzz_harness vmfuzz)
  # The minimiser's own unit test links the minimiser.
  if(TARGET test_minimize)
    target_sources(test_minimize PRIVATE ${CMAKE_SOURCE_DIR}/tools/vmfuzz_minimize.c
                   ${CMAKE_SOURCE_DIR}/tools/vmfuzz_run.c)
    target_include_directories(test_minimize PRIVATE ${CMAKE_SOURCE_DIR}/tools
                               ${CMAKE_SOURCE_DIR}/harness)
  endif()
endif()

# ---- corpora in the build tree -------------------------------------------
set(_vmf_corpus_targets "")
foreach(t ${VMF_CORPUS_TARGETS})
  set(_src ${CMAKE_SOURCE_DIR}/corpus/${t})
  set(_dst ${CMAKE_BINARY_DIR}/corpus/${t})
  set(_outputs "")
  file(MAKE_DIRECTORY ${_dst})
  file(GLOB _bins CONFIGURE_DEPENDS ${_src}/*.bin)
  file(GLOB _txts CONFIGURE_DEPENDS ${_src}/*.txt)
  set(_expected "")
  foreach(f ${_bins})
    get_filename_component(n ${f} NAME)
    add_custom_command(OUTPUT ${_dst}/${n}
                       COMMAND ${CMAKE_COMMAND} -E copy ${f} ${_dst}/${n}
                       DEPENDS ${f} VERBATIM)
    list(APPEND _outputs ${_dst}/${n})
    list(APPEND _expected ${n})
  endforeach()
  if(TARGET vmfuzz_cli)
    foreach(f ${_txts})
      get_filename_component(stem ${f} NAME_WE)
      if(EXISTS ${_src}/${stem}.bin)
        continue() # the view of a binary seed
      endif()
      add_custom_command(OUTPUT ${_dst}/${stem}.bin
                         COMMAND vmfuzz_cli encode ${f} -o ${_dst}/${stem}.bin
                         DEPENDS ${f} vmfuzz_cli VERBATIM)
      list(APPEND _outputs ${_dst}/${stem}.bin)
      list(APPEND _expected ${stem}.bin)
    endforeach()
  endif()
  # Seeds removed from corpus/ leave the build tree too.
  file(GLOB _have ${_dst}/*)
  foreach(f ${_have})
    get_filename_component(n ${f} NAME)
    if(NOT n IN_LIST _expected)
      file(REMOVE ${f})
    endif()
  endforeach()
  add_custom_target(corpus_${t} DEPENDS ${_outputs})
  list(APPEND _vmf_corpus_targets corpus_${t})
endforeach()
add_custom_target(corpus ALL DEPENDS ${_vmf_corpus_targets})
# The fuzz and replay binaries read their corpus: build it with them.
foreach(name ${VMF_FUZZ_TARGETS})
  string(REGEX REPLACE "^fuzz_" "" short ${name})
  if(TARGET corpus_${short})
    if(TARGET ${name})
      add_dependencies(${name} corpus_${short})
    endif()
    add_dependencies(${name}_replay corpus_${short})
  endif()
endforeach()

# ---- ctest ---------------------------------------------------------------
if(TARGET vmfuzz_cli)
  # Every main-target seed and every saved main-target crash must pass
  # (the tool prints the full report of any that does not).
  set(_args ${CMAKE_BINARY_DIR}/corpus/main)
  if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/crashes/main)
    list(APPEND _args ${CMAKE_SOURCE_DIR}/crashes/main)
  endif()
  add_test(NAME corpus_replay COMMAND vmfuzz_cli replay -q ${_args})
  set_tests_properties(corpus_replay PROPERTIES TIMEOUT 300)
  # The text seeds straight from the source tree (parser path).
  add_test(NAME corpus_replay_text
           COMMAND vmfuzz_cli replay -q ${CMAKE_SOURCE_DIR}/corpus/main)
  set_tests_properties(corpus_replay_text PROPERTIES TIMEOUT 300)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_cli.sh)
    add_test(NAME test_cli
             COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_cli.sh
                     $<TARGET_FILE:vmfuzz_cli> ${CMAKE_BINARY_DIR}/cli-test)
    set_tests_properties(test_cli PROPERTIES TIMEOUT 300)
  endif()
endif()

# OSS-Fuzz build.sh, run as OSS-Fuzz runs it (clang builds only: it needs
# -fsanitize=fuzzer).
if(CMAKE_C_COMPILER_ID MATCHES "Clang" AND VMF_FUZZ_SMOKE
   AND EXISTS ${CMAKE_SOURCE_DIR}/tests/test_ossfuzz_build.sh)
  add_test(NAME test_ossfuzz_build
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_ossfuzz_build.sh
                   ${CMAKE_BINARY_DIR}/ossfuzz-test)
  set_tests_properties(test_ossfuzz_build PROPERTIES TIMEOUT 600)
endif()

# Issue 16: the tools on bad input, crash triage by root cause, the fuzzing
# job script (progress, stats, cleanup, variable checks) with stand-in
# engines, vmfuzz plot, and the CI/OSS-Fuzz files.
if(TARGET vmfuzz_cli)
  foreach(_t cli_edges fuzz_job)
    if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_${_t}.sh)
      add_test(NAME test_${_t}
               COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_${_t}.sh
                       $<TARGET_FILE:vmfuzz_cli> ${CMAKE_BINARY_DIR}/${_t}-test)
      set_tests_properties(test_${_t} PROPERTIES TIMEOUT 300)
    endif()
  endforeach()
endif()
# tools/plant-build.sh against this tree (Ninja only: it reads the build's
# own commands); not in a tree with a plant of its own.
if(TARGET vmfuzz_cli AND NOT VMF_PLANT AND CMAKE_GENERATOR MATCHES "Ninja"
   AND EXISTS ${CMAKE_SOURCE_DIR}/tests/test_plant_build.sh)
  add_test(NAME test_plant_build
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_plant_build.sh
                   ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}
                   ${CMAKE_BINARY_DIR}/plant-build-test)
  set_tests_properties(test_plant_build PROPERTIES TIMEOUT 300)
endif()
# Triage by root cause needs failing inputs: a tool with a planted fault,
# in the planted-fault suite's build tree (after that fault's own test).
if(TARGET vmfuzz_cli AND VMF_PLANTED_SUITE AND NOT VMF_PLANT
   AND EXISTS ${CMAKE_SOURCE_DIR}/tests/test_triage_groups.sh)
  add_test(NAME test_triage_groups
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_triage_groups.sh
                   ${CMAKE_BINARY_DIR}/planted ${CMAKE_C_COMPILER} ${CMAKE_GENERATOR}
                   ${CMAKE_BINARY_DIR}/triage-groups-test)
  set_tests_properties(test_triage_groups PROPERTIES TIMEOUT 600
                       DEPENDS shadow_planted_CACHE_NOT_UPDATED_ON_FREE)
endif()
# make corpus-min's churn, on a small scale, with the libFuzzer smoke binary.
if(TARGET fuzz_main AND EXISTS ${CMAKE_SOURCE_DIR}/tests/test_corpus_min.sh)
  add_test(NAME test_corpus_min
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_corpus_min.sh
                   ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/corpus-min-test)
  set_tests_properties(test_corpus_min PROPERTIES TIMEOUT 600)
endif()
