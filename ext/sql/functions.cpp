// The scalar and aggregate SQL functions. Each one decodes its arguments into
// VectorViews, calls the vector layer or a kernel, and encodes the result.
//
// Argument rules (README "The vector format"): a vector is a BLOB or JSON array text. A BLOB
// carrying one of Quiver's subtypes is of that type; a bare BLOB is of the
// function's "bare type" (float32 for most, int8 for vector_int8, bit for
// vector_bit and hamming_distance, float16 for vector_f16, bfloat16 for
// vector_bf16). JSON text is read as float32 numbers and converted to the
// bare type. Every vector returned carries its subtype.
#include <cmath>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "functions.h"
#include "kernels.h"
#include "sql_value.h"
#include "type_kernels.h"
#include "vector.h"
#include "vector_math.h"

#ifndef QUIVER_VERSION
#define QUIVER_VERSION "0.0.0"
#endif

namespace quiver {
namespace {

const char* function_name(sqlite3_context* ctx) { return static_cast<const char*>(sqlite3_user_data(ctx)); }

void result_error(sqlite3_context* ctx, const std::string& message) {
  std::string text = std::string(function_name(ctx)) + ": " + message;
  sqlite3_result_error(ctx, text.c_str(), static_cast<int>(text.size()));
}

bool any_null(int argc, sqlite3_value** argv) {
  for (int i = 0; i < argc; ++i)
    if (sqlite3_value_type(argv[i]) == SQLITE_NULL) return true;
  return false;
}

using Arg = DecodedVector;

// Decodes one argument; on failure sets the SQL error and returns false.
bool decode(sqlite3_context* ctx, sqlite3_value* value, ElementType bare_type, Arg* out) {
  Status s = decode_vector(value, bare_type, out);
  if (!s.ok()) result_error(ctx, s.message());
  return s.ok();
}

bool require_numeric(sqlite3_context* ctx, const VectorView& v) {
  if (v.type != ElementType::Bit) return true;
  result_error(ctx, "not defined for bit vectors");
  return false;
}

bool require_same_shape(sqlite3_context* ctx, const VectorView& a, const VectorView& b) {
  if (a.type != b.type) {
    result_error(ctx, std::string("type mismatch: ") + element_type_name(a.type) + " vs " + element_type_name(b.type));
    return false;
  }
  if (a.dims != b.dims) {
    result_error(ctx, "dimension mismatch: expected " + std::to_string(a.dims) + ", got " + std::to_string(b.dims));
    return false;
  }
  return true;
}

// A constant argument (a bound query vector, a JSON literal) is decoded once
// per statement, not once per row. SQLite keeps auxiliary data only for
// constant arguments, so a marker still there on the next call shows the
// argument is constant; its decoded copy is cached from then on.
char constant_marker;

struct CachedVector {
  std::vector<unsigned char> bytes;
  VectorView view;
};

bool decode_cached(sqlite3_context* ctx, sqlite3_value** argv, int i, ElementType bare_type, Arg* scratch,
                   VectorView* out) {
  void* aux = sqlite3_get_auxdata(ctx, i);
  if (aux && aux != &constant_marker) {
    *out = static_cast<CachedVector*>(aux)->view;
    return true;
  }
  if (!decode(ctx, argv[i], bare_type, scratch)) return false;
  *out = scratch->view;
  if (!aux) {
    sqlite3_set_auxdata(ctx, i, &constant_marker, nullptr);
    return true;
  }
  auto* cached = new CachedVector;
  const unsigned char* data = static_cast<const unsigned char*>(scratch->view.data);
  cached->bytes.assign(data, data + scratch->view.bytes());
  cached->view = VectorView{scratch->view.type, scratch->view.dims, cached->bytes.data()};
  // On failure SQLite frees `cached` at once; this call still uses scratch.
  sqlite3_set_auxdata(ctx, i, cached, [](void* p) { delete static_cast<CachedVector*>(p); });
  return true;
}

// Result memory comes from sqlite3_malloc64 and is handed to SQLite.
class ResultBuffer {
 public:
  explicit ResultBuffer(size_t bytes) : bytes_(bytes), data_(sqlite3_malloc64(bytes)) {}
  ~ResultBuffer() { sqlite3_free(data_); }
  ResultBuffer(const ResultBuffer&) = delete;
  ResultBuffer& operator=(const ResultBuffer&) = delete;
  void* data() { return data_; }
  float* floats() { return static_cast<float*>(data_); }
  // Hands the buffer to SQLite as a vector of `type`.
  void commit(sqlite3_context* ctx, ElementType type) {
    sqlite3_result_blob64(ctx, data_, bytes_, sqlite3_free);
    sqlite3_result_subtype(ctx, subtype_of(type));
    data_ = nullptr;
  }

 private:
  size_t bytes_;
  void* data_;
};

// Sets a vector result, copying `v`; or NOMEM.
void result_vector(sqlite3_context* ctx, const VectorView& v) {
  ResultBuffer out(v.bytes());
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  std::memcpy(out.data(), v.data, v.bytes());
  out.commit(ctx, v.type);
}

// ---- constructors and conversions -------------------------------------

void fn_vector(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a)) return;
  if (a.view.type == ElementType::Float32) return result_vector(ctx, a.view);
  ResultBuffer out(encoded_size(ElementType::Float32, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  widen_to_float(a.view, out.floats());
  out.commit(ctx, ElementType::Float32);
}

void fn_vector_int8(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (any_null(argc, argv)) return;
  Int8Scale scale = Int8Scale::Max;
  if (argc == 2) {
    const char* mode = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
    if (mode && std::strcmp(mode, "unit") == 0) {
      scale = Int8Scale::Unit;
    } else if (mode && std::strcmp(mode, "max") == 0) {
      scale = Int8Scale::Max;
    } else {
      return result_error(ctx, std::string("unknown scaling \"") + (mode ? mode : "") +
                                   "\" (expected 'max' or 'unit')");
    }
  }
  // With a scaling argument the input is always floats to quantize.
  Arg a;
  if (!decode(ctx, argv[0], argc == 2 ? ElementType::Float32 : ElementType::Int8, &a)) return;
  if (a.view.type == ElementType::Int8 && argc == 1) return result_vector(ctx, a.view);
  if (!require_numeric(ctx, a.view)) return;
  ResultBuffer out(encoded_size(ElementType::Int8, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  Status s = quantize_int8(a.view, scale, out.data());
  if (!s.ok()) return result_error(ctx, s.message());
  out.commit(ctx, ElementType::Int8);
}

void fn_vector_bit(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Bit, &a)) return;
  if (a.view.type == ElementType::Bit) return result_vector(ctx, a.view);
  if (a.view.dims % 8 != 0)
    return result_error(ctx, "a bit vector needs a multiple of 8 dimensions, got " + std::to_string(a.view.dims));
  ResultBuffer out(encoded_size(ElementType::Bit, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  quantize_bit(a.view, out.data());
  out.commit(ctx, ElementType::Bit);
}

// vector_f16 and vector_bf16: a bare blob is already of the type; any other
// numeric vector is rounded to it.
template <ElementType T>
void fn_vector_half(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], T, &a) || !require_numeric(ctx, a.view)) return;
  if (a.view.type == T) return result_vector(ctx, a.view);
  ResultBuffer out(encoded_size(T, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  Status s = narrow_to_half(a.view, T, out.data());
  if (!s.ok()) return result_error(ctx, s.message());
  out.commit(ctx, T);
}

void fn_vector_to_json(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a)) return;
  std::string json = to_json(a.view);
  sqlite3_result_text64(ctx, json.data(), json.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// ---- inspection --------------------------------------------------------

void fn_vector_dims(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a)) return;
  sqlite3_result_int64(ctx, a.view.dims);
}

void fn_vector_type(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a)) return;
  sqlite3_result_text(ctx, element_type_name(a.view.type), -1, SQLITE_STATIC);
}

void fn_vector_norm(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a) || !require_numeric(ctx, a.view)) return;
  DistanceKernel dot = type_kernels(active_kernels(), a.view.type).dot;
  sqlite3_result_double(ctx, std::sqrt(dot(a.view.data, a.view.data, a.view.dims)));
}

// ---- arithmetic --------------------------------------------------------

void fn_vector_normalize(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a) || !require_numeric(ctx, a.view)) return;
  ResultBuffer out(encoded_size(ElementType::Float32, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  Status s = vector_normalize(a.view, out.floats());
  if (!s.ok()) return result_error(ctx, s.message());
  out.commit(ctx, ElementType::Float32);
}

template <Status (*Op)(const VectorView&, const VectorView&, float*)>
void fn_elementwise(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a, b;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a) ||
      !decode(ctx, argv[1], ElementType::Float32, &b) || !require_numeric(ctx, a.view) ||
      !require_same_shape(ctx, a.view, b.view))
    return;
  ResultBuffer out(encoded_size(ElementType::Float32, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  Status s = Op(a.view, b.view, out.floats());
  if (!s.ok()) return result_error(ctx, s.message());
  out.commit(ctx, ElementType::Float32);
}

void fn_vector_scale(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a) || !require_numeric(ctx, a.view)) return;
  int t = sqlite3_value_type(argv[1]);
  if (t != SQLITE_INTEGER && t != SQLITE_FLOAT)
    return result_error(ctx, std::string("scale factor must be a number, got ") + sql_type_name(t));
  ResultBuffer out(encoded_size(ElementType::Float32, a.view.dims));
  if (!out.data()) return sqlite3_result_error_nomem(ctx);
  Status s = vector_scale(a.view, sqlite3_value_double(argv[1]), out.floats());
  if (!s.ok()) return result_error(ctx, s.message());
  out.commit(ctx, ElementType::Float32);
}

void fn_vector_slice(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg a;
  if (any_null(argc, argv) || !decode(ctx, argv[0], ElementType::Float32, &a)) return;
  for (int i = 1; i <= 2; ++i)
    if (sqlite3_value_type(argv[i]) != SQLITE_INTEGER)
      return result_error(ctx, std::string(i == 1 ? "start" : "end") + " must be an integer, got " +
                                   sql_type_name(sqlite3_value_type(argv[i])));
  VectorView slice;
  Status s = vector_slice(a.view, sqlite3_value_int64(argv[1]), sqlite3_value_int64(argv[2]), &slice);
  if (!s.ok()) return result_error(ctx, s.message());
  result_vector(ctx, slice);
}

// ---- distances ---------------------------------------------------------

enum class Measure { CosineSimilarity, CosineDistance, Dot, L2 };

template <Measure M>
void fn_distance(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg scratch_a, scratch_b;
  VectorView a, b;
  if (any_null(argc, argv) || !decode_cached(ctx, argv, 0, ElementType::Float32, &scratch_a, &a) ||
      !decode_cached(ctx, argv, 1, ElementType::Float32, &scratch_b, &b) || !require_same_shape(ctx, a, b))
    return;
  if (a.type == ElementType::Bit) return result_error(ctx, "not defined for bit vectors (use hamming_distance)");
  TypeKernels k = type_kernels(active_kernels(), a.type);
  size_t n = a.dims;
  switch (M) {
    case Measure::Dot:
      return sqlite3_result_double(ctx, k.dot(a.data, b.data, n));
    case Measure::L2:
      return sqlite3_result_double(ctx, std::sqrt(k.l2sq(a.data, b.data, n)));
    case Measure::CosineSimilarity:
    case Measure::CosineDistance: {
      double d = k.cosine(a.data, b.data, n);
      if (std::isnan(d)) return result_error(ctx, "undefined for a zero vector");
      return sqlite3_result_double(ctx, M == Measure::CosineDistance ? d : 1 - d);
    }
  }
}

void fn_hamming_distance(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  Arg scratch_a, scratch_b;
  VectorView a, b;
  if (any_null(argc, argv) || !decode_cached(ctx, argv, 0, ElementType::Bit, &scratch_a, &a) ||
      !decode_cached(ctx, argv, 1, ElementType::Bit, &scratch_b, &b))
    return;
  for (const VectorView* v : {&a, &b})
    if (v->type != ElementType::Bit)
      return result_error(ctx, std::string("expects bit vectors, got ") + element_type_name(v->type) +
                                   " (convert with vector_bit)");
  if (!require_same_shape(ctx, a, b)) return;
  double d = active_kernels().bit_hamming(a.data, b.data, a.bytes());
  sqlite3_result_int64(ctx, static_cast<sqlite3_int64>(d));
}

// ---- vector_mean aggregate ---------------------------------------------

// Lives in SQLite's aggregate context (zero-filled on first use).
struct MeanState {
  double* sums;  // sqlite3_malloc64'd, dims entries
  uint32_t dims;
  ElementType type;
  int64_t count;
};

void mean_step(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (any_null(argc, argv)) return;
  auto* state = static_cast<MeanState*>(sqlite3_aggregate_context(ctx, sizeof(MeanState)));
  if (!state) return sqlite3_result_error_nomem(ctx);
  Arg a;
  if (!decode(ctx, argv[0], ElementType::Float32, &a) || !require_numeric(ctx, a.view)) return;
  if (!state->sums) {
    state->sums = static_cast<double*>(sqlite3_malloc64(sizeof(double) * a.view.dims));
    if (!state->sums) return sqlite3_result_error_nomem(ctx);
    std::memset(state->sums, 0, sizeof(double) * a.view.dims);
    state->dims = a.view.dims;
    state->type = a.view.type;
  } else if (a.view.type != state->type) {
    return result_error(ctx, std::string("type mismatch: ") + element_type_name(state->type) + " vs " +
                                 element_type_name(a.view.type));
  } else if (a.view.dims != state->dims) {
    return result_error(ctx, "dimension mismatch: expected " + std::to_string(state->dims) + ", got " +
                                 std::to_string(a.view.dims));
  }
  for (uint32_t i = 0; i < a.view.dims; ++i) state->sums[i] += a.view.element(i);
  state->count++;
}

void mean_final(sqlite3_context* ctx) {
  auto* state = static_cast<MeanState*>(sqlite3_aggregate_context(ctx, 0));
  if (!state || !state->sums) return;  // no rows: NULL
  ResultBuffer out(encoded_size(ElementType::Float32, state->dims));
  if (out.data()) {
    for (uint32_t i = 0; i < state->dims; ++i) out.floats()[i] = static_cast<float>(state->sums[i] / state->count);
    out.commit(ctx, ElementType::Float32);
  } else {
    sqlite3_result_error_nomem(ctx);
  }
  sqlite3_free(state->sums);
  state->sums = nullptr;
}

// ---- about -------------------------------------------------------------

void fn_quiver_version(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_text(ctx, QUIVER_VERSION, -1, SQLITE_STATIC);
}

void fn_quiver_simd(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_text(ctx, active_kernels().name, -1, SQLITE_STATIC);
}

// ---- registration ------------------------------------------------------

using ScalarFn = void (*)(sqlite3_context*, int, sqlite3_value**);

// No C++ exception may cross into SQLite.
template <ScalarFn F>
void guarded(sqlite3_context* ctx, int argc, sqlite3_value** argv) noexcept {
  try {
    F(ctx, argc, argv);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (...) {
    sqlite3_result_error(ctx, "quiver: internal error", -1);
  }
}

void guarded_mean_final(sqlite3_context* ctx) noexcept {
  try {
    mean_final(ctx);
  } catch (...) {
    sqlite3_result_error_nomem(ctx);
  }
}

constexpr int kPure = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
constexpr int kTakesVector = kPure | SQLITE_SUBTYPE;
constexpr int kMakesVector = kTakesVector | SQLITE_RESULT_SUBTYPE;

struct FunctionDef {
  const char* name;
  int nargs;
  int flags;
  ScalarFn fn;
};

const FunctionDef kFunctions[] = {
    {"vector", 1, kMakesVector, guarded<fn_vector>},
    {"vector_int8", 1, kMakesVector, guarded<fn_vector_int8>},
    {"vector_int8", 2, kMakesVector, guarded<fn_vector_int8>},
    {"vector_bit", 1, kMakesVector, guarded<fn_vector_bit>},
    {"vector_f16", 1, kMakesVector, guarded<fn_vector_half<ElementType::Float16>>},
    {"vector_bf16", 1, kMakesVector, guarded<fn_vector_half<ElementType::BFloat16>>},
    {"vector_to_json", 1, kTakesVector, guarded<fn_vector_to_json>},
    {"vector_dims", 1, kTakesVector, guarded<fn_vector_dims>},
    {"vector_type", 1, kTakesVector, guarded<fn_vector_type>},
    {"vector_norm", 1, kTakesVector, guarded<fn_vector_norm>},
    {"vector_normalize", 1, kMakesVector, guarded<fn_vector_normalize>},
    {"vector_add", 2, kMakesVector, guarded<fn_elementwise<vector_add>>},
    {"vector_sub", 2, kMakesVector, guarded<fn_elementwise<vector_sub>>},
    {"vector_scale", 2, kMakesVector, guarded<fn_vector_scale>},
    {"vector_slice", 3, kMakesVector, guarded<fn_vector_slice>},
    {"cosine_similarity", 2, kTakesVector, guarded<fn_distance<Measure::CosineSimilarity>>},
    {"cosine_distance", 2, kTakesVector, guarded<fn_distance<Measure::CosineDistance>>},
    {"dot_product", 2, kTakesVector, guarded<fn_distance<Measure::Dot>>},
    {"l2_distance", 2, kTakesVector, guarded<fn_distance<Measure::L2>>},
    {"hamming_distance", 2, kTakesVector, guarded<fn_hamming_distance>},
    {"quiver_version", 0, kPure, guarded<fn_quiver_version>},
    {"quiver_simd", 0, kPure, guarded<fn_quiver_simd>},
};

}  // namespace

int register_functions(sqlite3* db) {
  active_kernels();  // choose the kernel family once, at load
  for (const FunctionDef& f : kFunctions) {
    int rc = sqlite3_create_function_v2(db, f.name, f.nargs, f.flags, const_cast<char*>(f.name), f.fn, nullptr,
                                        nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return sqlite3_create_function_v2(db, "vector_mean", 1, kMakesVector, const_cast<char*>("vector_mean"), nullptr,
                                    guarded<mean_step>, guarded_mean_final, nullptr);
}

}  // namespace quiver
