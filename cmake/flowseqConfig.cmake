# CMake package of libflowseq: find_package(flowseq) defines flowseq::flowseq, the shared library
# with include/flowseq.h on its include path. Its own dependencies are linked into it.
include("${CMAKE_CURRENT_LIST_DIR}/flowseqTargets.cmake")
