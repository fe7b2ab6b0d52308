# Every bench/bench_*.c is a standalone program printing figures (no
# pass/fail); tools/bench.sh runs them all, then every bench/*.sh.
file(GLOB VMF_BENCH_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/bench_*.c)
foreach(src ${VMF_BENCH_SRC})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/lib ${VMF_HARNESS_INC})
  if(TARGET vmfuzz_harness)
    target_link_libraries(${name} PRIVATE vmfuzz_harness vmfuzz)
  else()
    target_link_libraries(${name} PRIVATE vmfuzz)
  endif()
endforeach()
