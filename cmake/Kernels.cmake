# Which SIMD kernel files to build, each with its own ISA flags. The baseline
# flags of the rest of the build are untouched, so one binary runs on any CPU
# of the architecture and picks its kernels at run time (ext/core/kernels.cpp).
set(QUIVER_KERNEL_SOURCES "")
set(QUIVER_KERNEL_DEFINITIONS "")

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  list(APPEND QUIVER_KERNEL_SOURCES ext/core/kernels_sse42.cpp ext/core/kernels_avx2.cpp ext/core/kernels_avx512.cpp)
  list(APPEND QUIVER_KERNEL_DEFINITIONS QUIVER_KERNELS_X86)
  set_source_files_properties(ext/core/kernels_sse42.cpp PROPERTIES COMPILE_OPTIONS "-msse4.2;-mpopcnt")
  set_source_files_properties(ext/core/kernels_avx2.cpp PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma;-mf16c;-mpopcnt")
  # GCC 12 warns inside its own AVX-512 headers (_mm512_undefined_*).
  set_source_files_properties(ext/core/kernels_avx512.cpp PROPERTIES COMPILE_OPTIONS "-mavx512f;-mavx512dq;-mavx512bw;-mfma;-mpopcnt;-Wno-uninitialized;-Wno-maybe-uninitialized")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  list(APPEND QUIVER_KERNEL_SOURCES ext/core/kernels_neon.cpp)
  list(APPEND QUIVER_KERNEL_DEFINITIONS QUIVER_KERNELS_NEON)
endif()
