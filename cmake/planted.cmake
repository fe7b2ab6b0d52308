# The planted-fault suite: proof that the shadow model's oracle bites.
#
# For every seed tests/planted/<NAME>.txt (one per fault of
# docs/planted-faults.md) a ctest test shadow_planted_<NAME> builds lib/ and
# harness/ with -DVMF_PLANT=<NAME> (Release, -O1, no sanitizers) in
# <build>/planted/<NAME> and checks that the seed fails with the signature
# of its "# expect:" line (tests/planted/run.sh). The same seeds passing on
# the correct library is tests/test_shadow_seeds.c. Cold, the whole suite
# takes about a minute and a half on 2 cores; a rerun only relinks.
#
# Include from the top-level CMakeLists.txt:
#   include(${CMAKE_SOURCE_DIR}/cmake/planted.cmake OPTIONAL)
# Runs when VMF_PLANTED_SUITE is on (the dev preset); a build that itself
# has a fault planted (VMF_PLANT set) skips the suite.
if(NOT VMF_PLANT AND VMF_PLANTED_SUITE)
  file(GLOB _vmf_planted_seeds CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/tests/planted/*.txt)
  foreach(_vmf_seed ${_vmf_planted_seeds})
    get_filename_component(_vmf_name ${_vmf_seed} NAME_WE)
    add_test(NAME shadow_planted_${_vmf_name}
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/planted/run.sh ${_vmf_name}
                     ${CMAKE_BINARY_DIR}/planted ${CMAKE_SOURCE_DIR}
                     ${CMAKE_C_COMPILER} ${CMAKE_GENERATOR})
    set_tests_properties(shadow_planted_${_vmf_name} PROPERTIES
                         TIMEOUT 600 LABELS planted)
  endforeach()
endif()
