# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build-rbtree
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test(test_machine "/work/main/build-rbtree/test_machine")
set_tests_properties(test_machine PROPERTIES  TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/cmake/tests.cmake;12;add_test;/work/main/cmake/tests.cmake;0;;/work/main/CMakeLists.txt;51;include;/work/main/CMakeLists.txt;0;")
add_test(test_page_alloc "/work/main/build-rbtree/test_page_alloc")
set_tests_properties(test_page_alloc PROPERTIES  TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/cmake/tests.cmake;12;add_test;/work/main/cmake/tests.cmake;0;;/work/main/CMakeLists.txt;51;include;/work/main/CMakeLists.txt;0;")
add_test(test_rbtree "/work/main/build-rbtree/test_rbtree")
set_tests_properties(test_rbtree PROPERTIES  TIMEOUT "300" _BACKTRACE_TRIPLES "/work/main/cmake/tests.cmake;12;add_test;/work/main/cmake/tests.cmake;0;;/work/main/CMakeLists.txt;51;include;/work/main/CMakeLists.txt;0;")
add_test(no_global_state "sh" "/work/main/tests/no_globals.sh" "/work/main/build-rbtree/libvmfuzz.a")
set_tests_properties(no_global_state PROPERTIES  _BACKTRACE_TRIPLES "/work/main/cmake/tests.cmake;21;add_test;/work/main/cmake/tests.cmake;0;;/work/main/CMakeLists.txt;51;include;/work/main/CMakeLists.txt;0;")
