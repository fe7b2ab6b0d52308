# Fuzz targets: every fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput
# (and maybe LLVMFuzzerInitialize) and is built as
#   fuzz_<name>          libFuzzer binary (VMF_LIBFUZZER, or VMF_FUZZ_SMOKE)
#                        or AFL++ persistent binary (VMF_AFL, with
#                        fuzz/driver_afl.c; build with afl-clang-fast)
#   fuzz_<name>_replay   always: plain replay driver (fuzz/driver_replay.c)
# with ctest tests:
#   fuzz_replay_<name>   the replay binary over the target's corpus and its
#                        saved crashes (every build, gcc included)
#   fuzz_smoke_<name>    a short deterministic libFuzzer run (-seed=1,
#                        -runs, capped by -max_total_time) from the corpus,
#                        new finds into the build dir (libFuzzer builds)
#
# The libFuzzer binaries link their own copies of lib/ and harness/ built
# with -fsanitize=fuzzer-no-link, so coverage feedback reaches the library
# while the tests, tools and replay binaries keep the plain archives.
#
# The target's corpus is build/<preset>/corpus/<name> (cmake/tools.cmake
# fills it from corpus/<name>/), its crashes crashes/<name>/.
#
# A target's helper sources (its flat model, checker probes, ...) live in
# fuzz/<name>/ and are built into each of its binaries, with fuzz/<name> on
# the include path (for the target's internal header).

file(GLOB VMF_FUZZ_SRC CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/fuzz_*.c)

set(_vmf_is_clang FALSE)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(_vmf_is_clang TRUE)
endif()
set(_vmf_smoke_default OFF)
if(_vmf_is_clang AND VMF_SANITIZE AND NOT VMF_AFL AND NOT VMF_LIBFUZZER)
  set(_vmf_smoke_default ON)
endif()
option(VMF_FUZZ_SMOKE
       "Build libFuzzer binaries in a clang sanitizer build for ctest smoke runs"
       ${_vmf_smoke_default})
set(VMF_FUZZ_SMOKE_RUNS 4000 CACHE STRING "libFuzzer runs per smoke test")
set(VMF_FUZZ_SMOKE_SECONDS 5 CACHE STRING "time cap per smoke test")

set(_vmf_libfuzzer FALSE)
if((VMF_LIBFUZZER OR VMF_FUZZ_SMOKE) AND NOT VMF_AFL)
  if(NOT _vmf_is_clang)
    message(WARNING "vmfuzz: libFuzzer needs clang; fuzz targets are built "
                    "as replay binaries only")
  else()
    set(_vmf_libfuzzer TRUE)
  endif()
endif()

# Instrumented copies of the libraries for the libFuzzer binaries. With
# VMF_FUZZ_TRACE_CMP OFF the copies get edge counters only: comparison
# tracing in the per-page loops of lib/ and harness/ costs most of an
# execution, and the structured input format (symbolic operands plus the
# dictionary) leaves little for it to solve.
option(VMF_FUZZ_TRACE_CMP "libFuzzer builds: comparison tracing in lib/ and harness/" OFF)
set(_vmf_fz_flags -fsanitize=fuzzer-no-link)
if(NOT VMF_FUZZ_TRACE_CMP)
  list(APPEND _vmf_fz_flags -fno-sanitize-coverage=trace-cmp)
endif()
if(NOT VMF_FUZZ_COVER_ORACLE) # CMakeLists.txt
  list(APPEND _vmf_fz_flags
       -fsanitize-coverage-ignorelist=${CMAKE_SOURCE_DIR}/fuzz/coverage-ignore.txt)
endif()
if(_vmf_libfuzzer)
  add_library(vmfuzz_fz STATIC ${VMF_LIB_SRC})
  target_include_directories(vmfuzz_fz PRIVATE ${CMAKE_SOURCE_DIR}/lib)
  target_compile_options(vmfuzz_fz PRIVATE ${_vmf_fz_flags})
  set(_vmf_fz_libs vmfuzz_fz)
  if(TARGET vmfuzz_harness)
    add_library(vmfuzz_harness_fz STATIC ${VMF_HARNESS_SRC})
    target_include_directories(vmfuzz_harness_fz PUBLIC ${VMF_HARNESS_INC})
    target_compile_options(vmfuzz_harness_fz PRIVATE ${_vmf_fz_flags})
    target_link_libraries(vmfuzz_harness_fz PUBLIC vmfuzz_fz)
    set(_vmf_fz_libs vmfuzz_harness_fz vmfuzz_fz)
  endif()
endif()
set(_vmf_plain_libs vmfuzz)
if(TARGET vmfuzz_harness)
  set(_vmf_plain_libs vmfuzz_harness vmfuzz)
endif()

set(VMF_FUZZ_TARGETS "")
foreach(src ${VMF_FUZZ_SRC})
  get_filename_component(name ${src} NAME_WE)       # fuzz_main
  string(REGEX REPLACE "^fuzz_" "" short ${name})   # main
  # A target written against harness/ needs it to exist.
  file(STRINGS ${src} _vmf_uses_harness REGEX "#include \"(interp|cmd)\\.h\"")
  if(_vmf_uses_harness AND NOT TARGET vmfuzz_harness)
    message(STATUS "vmfuzz: ${name} skipped (harness/ has no sources yet)")
    continue()
  endif()
  list(APPEND VMF_FUZZ_TARGETS ${name})

  set(_incs ${CMAKE_SOURCE_DIR}/lib ${VMF_HARNESS_INC} ${CMAKE_SOURCE_DIR}/fuzz
            ${CMAKE_SOURCE_DIR}/fuzz/${short})
  file(GLOB _helpers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/${short}/*.c)
  set(_srcs ${src} ${_helpers})
  set(_corpus ${CMAKE_BINARY_DIR}/corpus/${short})
  set(_crashes ${CMAKE_SOURCE_DIR}/crashes/${short})

  # Targets that do not use harness/ link lib/ alone.
  if(_vmf_uses_harness)
    set(_plain ${_vmf_plain_libs})
    set(_fz ${_vmf_fz_libs})
  else()
    set(_plain vmfuzz)
    set(_fz vmfuzz_fz)
  endif()

  # Replay driver: every build.
  add_executable(${name}_replay ${_srcs} ${CMAKE_SOURCE_DIR}/fuzz/driver_replay.c)
  target_include_directories(${name}_replay PRIVATE ${_incs})
  target_link_libraries(${name}_replay PRIVATE ${_plain})

  if(_vmf_libfuzzer)
    add_executable(${name} ${_srcs})
    target_include_directories(${name} PRIVATE ${_incs})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${_fz})
  elseif(VMF_AFL)
    add_executable(${name} ${_srcs} ${CMAKE_SOURCE_DIR}/fuzz/driver_afl.c)
    target_include_directories(${name} PRIVATE ${_incs})
    target_link_libraries(${name} PRIVATE ${_plain})
  endif()

  # ctest: replay the corpus and the saved crashes of this target.
  set(_replay_args ${_corpus})
  if(IS_DIRECTORY ${_crashes})
    list(APPEND _replay_args ${_crashes})
  endif()
  add_test(NAME fuzz_replay_${short} COMMAND ${name}_replay ${_replay_args})
  set_tests_properties(fuzz_replay_${short} PROPERTIES TIMEOUT 300
                       FAIL_REGULAR_EXPRESSION "SIGNATURE:")

  # ctest: a short, deterministic libFuzzer run (new finds stay in the
  # build dir; the committed corpus is only read).
  if(_vmf_libfuzzer)
    set(_flags -seed=1 -runs=${VMF_FUZZ_SMOKE_RUNS}
               -max_total_time=${VMF_FUZZ_SMOKE_SECONDS}
               -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=4096
               -print_final_stats=1)
    if(EXISTS ${CMAKE_SOURCE_DIR}/fuzz/${name}.dict)
      list(APPEND _flags -dict=${CMAKE_SOURCE_DIR}/fuzz/${name}.dict)
    endif()
    if(EXISTS ${CMAKE_SOURCE_DIR}/fuzz/${name}.options)
      file(STRINGS ${CMAKE_SOURCE_DIR}/fuzz/${name}.options _ml
           REGEX "^[ \t]*max_len[ \t]*=")
      if(_ml)
        string(REGEX REPLACE ".*=[ \t]*([0-9]+).*" "\\1" _ml "${_ml}")
        list(APPEND _flags -max_len=${_ml})
      endif()
    endif()
    set(_work ${CMAKE_BINARY_DIR}/fuzz-smoke/${short})
    list(JOIN _flags " " _flags_str)
    add_test(NAME fuzz_smoke_${short}
             COMMAND sh -c "rm -rf '${_work}' && mkdir -p '${_work}/new' && exec '$<TARGET_FILE:${name}>' ${_flags_str} -artifact_prefix='${_work}/' '${_work}/new' '${_corpus}'")
    set_tests_properties(fuzz_smoke_${short} PROPERTIES TIMEOUT 120
                         ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
  endif()
endforeach()

# The structure-aware mutator (fuzz/mutator/, docs/mutator.md), one
# source for both engines:
#   fuzz_main_sm             libFuzzer binary: fuzz_main with
#                            LLVMFuzzerCustomMutator/CustomCrossOver
#                            (VMF_CUSTOM_MUTATOR); fuzz_smoke_main_sm
#   libvmf_afl_mutator.so    AFL++ custom mutator library
#                            (AFL_CUSTOM_MUTATOR_LIBRARY), in libFuzzer and
#                            AFL++ builds
#   test_mutator             links the mutator and the AFL++ entry points
set(VMF_MUTATOR_DIR ${CMAKE_SOURCE_DIR}/fuzz/mutator)
set(VMF_MUTATOR_SRC ${VMF_MUTATOR_DIR}/vmf_mutator.c
    ${VMF_MUTATOR_DIR}/vmf_operand.c)
if(_vmf_libfuzzer AND TARGET vmfuzz_harness_fz)
  add_executable(fuzz_main_sm ${CMAKE_SOURCE_DIR}/fuzz/fuzz_main.c
                 ${VMF_MUTATOR_SRC} ${VMF_MUTATOR_DIR}/mutator_libfuzzer.c)
  target_include_directories(fuzz_main_sm PRIVATE ${CMAKE_SOURCE_DIR}/lib
                             ${VMF_HARNESS_INC} ${CMAKE_SOURCE_DIR}/fuzz
                             ${VMF_MUTATOR_DIR})
  target_compile_definitions(fuzz_main_sm PRIVATE VMF_CUSTOM_MUTATOR=1)
  target_compile_options(fuzz_main_sm PRIVATE -fsanitize=fuzzer)
  target_link_options(fuzz_main_sm PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_main_sm PRIVATE ${_vmf_fz_libs})
  set(_work ${CMAKE_BINARY_DIR}/fuzz-smoke/main_sm)
  add_test(NAME fuzz_smoke_main_sm
           COMMAND sh -c "rm -rf '${_work}' && mkdir -p '${_work}/new' && exec '$<TARGET_FILE:fuzz_main_sm>' -seed=1 -runs=${VMF_FUZZ_SMOKE_RUNS} -max_total_time=${VMF_FUZZ_SMOKE_SECONDS} -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=4096 -print_final_stats=1 -dict=${CMAKE_SOURCE_DIR}/fuzz/fuzz_main.dict -max_len=2600 -artifact_prefix='${_work}/' '${_work}/new' '${CMAKE_BINARY_DIR}/corpus/main'")
  set_tests_properties(fuzz_smoke_main_sm PROPERTIES TIMEOUT 120
                       ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endif()

# The AFL++ library is loaded into afl-fuzz itself, so it is built by a
# plain compiler: no sanitizer runtime, no AFL++ instrumentation (the afl
# preset's compiler is afl-clang-fast).
if((_vmf_libfuzzer OR VMF_AFL) AND TARGET vmfuzz_harness)
  find_program(VMF_PLAIN_CC NAMES clang gcc cc)
  set(_so ${CMAKE_BINARY_DIR}/libvmf_afl_mutator.so)
  set(_so_src ${VMF_MUTATOR_SRC} ${VMF_MUTATOR_DIR}/mutator_afl.c
      ${CMAKE_SOURCE_DIR}/harness/format/codec.c
      ${CMAKE_SOURCE_DIR}/harness/format/cmd_table.c
      ${CMAKE_SOURCE_DIR}/lib/kernel/config.c)
  add_custom_command(OUTPUT ${_so}
    COMMAND ${VMF_PLAIN_CC} -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -fPIC
            -shared -fvisibility=hidden -Wall -Wextra -Werror
            -I${CMAKE_SOURCE_DIR}/include -I${CMAKE_SOURCE_DIR}/lib
            -I${CMAKE_SOURCE_DIR}/harness/format -I${VMF_MUTATOR_DIR}
            ${_so_src} -Wl,--no-undefined -o ${_so}
    DEPENDS ${_so_src} ${VMF_MUTATOR_DIR}/vmf_mutator.h
            ${CMAKE_SOURCE_DIR}/harness/format/cmd.h
            ${CMAKE_SOURCE_DIR}/harness/format/cmd_table.h
    COMMENT "AFL++ custom mutator library libvmf_afl_mutator.so"
    VERBATIM)
  add_custom_target(vmf_afl_mutator ALL DEPENDS ${_so})
  # ... and it loads and mutates as afl-fuzz would call it (dlopen).
  add_test(NAME afl_mutator_loads
           COMMAND sh -c "exec python3 '${CMAKE_SOURCE_DIR}/tests/afl_mutator_loads.py' '${_so}' '${CMAKE_BINARY_DIR}'/corpus/main/*")
endif()

if(TARGET test_mutator)
  target_sources(test_mutator PRIVATE ${VMF_MUTATOR_SRC}
                 ${VMF_MUTATOR_DIR}/mutator_afl.c)
  target_include_directories(test_mutator PRIVATE ${VMF_MUTATOR_DIR})
  target_compile_definitions(test_mutator PRIVATE
                             VMF_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
