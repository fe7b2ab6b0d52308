# Issue 13: placement policies end to end (docs/placement.md).
#
#   placement_replay   the text programs of corpus/placement/ (policy=
#                      modern, nextfit and the differential policy=all)
#
# It needs the shadow's placement predictor and generic policy checks.
# Until that lands, harness/shadow/shadow_place_stub.c stands in for it
# and the shadow predicts every policy as legacy: the test is then
# registered but disabled (ctest lists it as "Not Run (Disabled)"). (The
# fuzz_nextfit target's replay and smoke run are cmake/fuzz.cmake's; with
# the stub, byte inputs run as legacy: harness/interp.c vmf_run.)
set(VMF_SHADOW_PLACE TRUE)
if(EXISTS ${CMAKE_SOURCE_DIR}/harness/shadow/shadow_place_stub.c)
  set(VMF_SHADOW_PLACE FALSE)
endif()

if(TARGET vmfuzz_cli)
  add_test(NAME placement_replay
           COMMAND vmfuzz_cli replay -q ${CMAKE_SOURCE_DIR}/corpus/placement)
  set_tests_properties(placement_replay PROPERTIES TIMEOUT 300)
  if(NOT VMF_SHADOW_PLACE)
    set_tests_properties(placement_replay PROPERTIES DISABLED TRUE)
  endif()
endif()
