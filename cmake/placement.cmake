# Issue 13: placement policies end to end (docs/placement.md).
#
#   placement_replay   the text programs of corpus/placement/ (policy=
#                      modern, nextfit and the differential policy=all),
#                      each checked by the shadow's predictor (modern) or
#                      its generic policy rules (nextfit).
# The fuzz_nextfit target's replay and smoke run are cmake/fuzz.cmake's.
if(TARGET vmfuzz_cli)
  add_test(NAME placement_replay
           COMMAND vmfuzz_cli replay -q ${CMAKE_SOURCE_DIR}/corpus/placement)
  set_tests_properties(placement_replay PROPERTIES TIMEOUT 300)
endif()
