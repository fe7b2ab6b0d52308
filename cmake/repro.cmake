# From a crash to the kernel (docs/fuzzing.md): the tests of vmfuzz prog2c
# (C reproducers, compiled against this build's library and run), kmod
# (kernel modules, compiled against Debian's kernel headers, never
# loaded) and map (the picture, rendered to PNG).
if(TARGET vmfuzz_cli)
  set(_vmf_repro_flags -std=c11 -D_POSIX_C_SOURCE=200809L)
  if(VMF_SANITIZE)
    list(APPEND _vmf_repro_flags -fsanitize=address,undefined
         -fno-sanitize-recover=all)
  endif()
  add_test(NAME test_prog2c
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_prog2c.sh
                   $<TARGET_FILE:vmfuzz_cli> $<TARGET_FILE:vmfuzz>
                   ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/prog2c-test
                   ${CMAKE_C_COMPILER} ${_vmf_repro_flags})
  set_tests_properties(test_prog2c PROPERTIES TIMEOUT 900)
  add_test(NAME test_kmod
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_kmod.sh
                   $<TARGET_FILE:vmfuzz_cli> ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/kmod-test)
  set_tests_properties(test_kmod PROPERTIES TIMEOUT 900)
  add_test(NAME test_map
           COMMAND bash ${CMAKE_SOURCE_DIR}/tests/test_map.sh
                   $<TARGET_FILE:vmfuzz_cli> ${CMAKE_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR}/map-test)
  set_tests_properties(test_map PROPERTIES TIMEOUT 600)
endif()

# The reproducer of a planted fault reproduces it (and only there): uses
# the planted suite's builds, after their own tests.
if(TARGET vmfuzz_cli AND NOT VMF_PLANT AND VMF_PLANTED_SUITE)
  set(_vmf_p2c_faults FIT_OFF_BY_ONE CACHE_HIT_IGNORES_ALIGN NO_RETRY_AFTER_OVERFLOW)
  string(REPLACE ";" " " _vmf_p2c_faults_str "${_vmf_p2c_faults}")
  add_test(NAME test_prog2c_planted
           COMMAND ${CMAKE_COMMAND} -E env PROG2C_FAULTS=${_vmf_p2c_faults_str}
                   bash ${CMAKE_SOURCE_DIR}/tests/test_prog2c_planted.sh
                   ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/planted
                   ${CMAKE_BINARY_DIR}/prog2c-planted-test ${CMAKE_C_COMPILER}
                   ${CMAKE_GENERATOR} $<TARGET_FILE:vmfuzz> ${_vmf_repro_flags})
  set(_deps "")
  foreach(n ${_vmf_p2c_faults})
    list(APPEND _deps shadow_planted_${n})
  endforeach()
  set_tests_properties(test_prog2c_planted PROPERTIES TIMEOUT 900
                       LABELS planted DEPENDS "${_deps}")
endif()
