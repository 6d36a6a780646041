# The layers of DESIGN.md, bottom up. Sources are globbed per layer folder.
#
# Files named *_avx2.cpp / *_avx512.cpp get the matching -m flags and are only ever
# called through run-time dispatch. GCC 12 warns falsely inside its own intrinsic
# headers (the `__Y = __Y` placeholders of _mm*_undefined_*, more so under the
# sanitizers), so those files build with -Wno-maybe-uninitialized -Wno-uninitialized.

function(ql_layer name)
  cmake_parse_arguments(L "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(ql_${name} STATIC ${srcs})
  target_include_directories(ql_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(ql_${name} PRIVATE ${QL_WARNINGS})
  target_link_libraries(ql_${name} PUBLIC ${L_DEPS})
  foreach(src ${srcs})
    if(src MATCHES "_avx512\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
        "$<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>;$<$<CXX_COMPILER_ID:GNU>:-Wno-uninitialized>;-mavx512f;-mavx512bw;-mavx512vl;-mavx512dq;-mavx512vnni;-mavx512bf16;-mavx512vbmi;-mfma;-mf16c;-mavx2;-mbmi2")
    elseif(src MATCHES "_avx2\\.cpp$")
      set_source_files_properties(${src} PROPERTIES COMPILE_OPTIONS
        "$<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>;$<$<CXX_COMPILER_ID:GNU>:-Wno-uninitialized>;-mavx2;-mfma;-mf16c;-mbmi2")
    endif()
  endforeach()
endfunction()

ql_layer(util DEPS Threads::Threads fmt::fmt)
ql_layer(quant DEPS ql_util)
# ggml's reference (de)quantization is compiled without FMA contraction; ours
# must round exactly as it does.
target_compile_options(ql_quant PRIVATE -ffp-contract=off)
ql_layer(gguf DEPS ql_quant)
ql_layer(kernels DEPS ql_quant)
# The scalar dot products must round as ggml's generic code does (no contraction).
target_compile_options(ql_kernels PRIVATE -ffp-contract=off)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
ql_layer(tokenizer DEPS ql_gguf PkgConfig::PCRE2)
ql_layer(model DEPS ql_gguf ql_kernels ql_tokenizer)
# Training's f32 matrix products run on OpenBLAS (Debian's pthread build),
# loaded at run time (train/blas.cpp says why): its headers at build time,
# its library path baked in. The corpus builder reads gzipped man pages
# (zlib) and writes a JSON manifest.
pkg_check_modules(OPENBLAS REQUIRED openblas)
pkg_get_variable(OPENBLAS_LIBDIR openblas libdir)
find_package(ZLIB REQUIRED)
ql_layer(train DEPS ql_model ${CMAKE_DL_LIBS} ZLIB::ZLIB nlohmann_json::nlohmann_json)
target_include_directories(ql_train PRIVATE ${OPENBLAS_INCLUDE_DIRS})
target_compile_definitions(ql_train PRIVATE QL_OPENBLAS_LIBRARY="${OPENBLAS_LIBDIR}/libopenblas.so.0")
ql_layer(alloc DEPS ql_model)
