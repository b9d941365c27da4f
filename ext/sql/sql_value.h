// Vectors in and out of SQLite values: the subtype rules of README "The vector format", shared
// by the SQL functions and the virtual table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sqlite_api.h"
#include "table_spec.h"
#include "vector.h"

namespace quiver {

// Subtype values match sqlite-vec's, so vectors pass between the two
// extensions inside one expression; the 16-bit types, which sqlite-vec
// lacks, take the next two.
constexpr unsigned kSubtypeFloat32 = 223;
constexpr unsigned kSubtypeBit = 224;
constexpr unsigned kSubtypeInt8 = 225;
constexpr unsigned kSubtypeFloat16 = 226;
constexpr unsigned kSubtypeBFloat16 = 227;

unsigned subtype_of(ElementType type);

// A decoded vector value: borrowed from SQLite's value, or from `parsed` /
// `owned` when it had to be parsed or converted. Not copyable: `view` may
// point into its own buffers.
struct DecodedVector {
  DecodedVector() = default;
  DecodedVector(const DecodedVector&) = delete;
  DecodedVector& operator=(const DecodedVector&) = delete;

  VectorView view;
  std::vector<float> parsed;
  std::vector<unsigned char> owned;
};

// Decodes a BLOB or JSON text value. A BLOB with one of Quiver's subtypes is
// of that type, a bare BLOB is of `bare_type`; JSON numbers are converted to
// `bare_type` (int8: exact integers; bit: by sign; float16, bfloat16:
// rounded, an error beyond their range). NULL is the caller's to
// handle. Out of memory throws std::bad_alloc.
Status decode_vector(sqlite3_value* value, ElementType bare_type, DecodedVector* out);

// A float32 vector given for a float16 or bfloat16 table (a row or a query)
// is rounded to the table's type, as vector_f16 / vector_bf16 round it; an
// element beyond the type's range is an error. Other vectors are left as
// they are.
Status convert_for_column(ElementType column_type, DecodedVector* v);

// True when `v` is an integer from min to max, given as 10 or as 10.0 (a
// bound parameter from a language without integers).
bool integer_in_range(sqlite3_value* v, int64_t min, int64_t max);
// The one check of an integer argument (k, probes, samples, ...): its value,
// or an SqlError "<name> must be an integer from <min> to <max>, got <v>";
// `name` begins the message ("quiver: k", "quiver_recall: samples").
int64_t integer_argument(sqlite3_value* v, const std::string& name, int64_t min, int64_t max);

// "integer", "real", "text", "blob" or "null".
const char* sql_type_name(int type);

// A distance as SQL sees it: a Hamming distance is a count (INTEGER, like
// hamming_distance()), every other one REAL.
void result_distance(sqlite3_context* ctx, Metric metric, double distance);

}  // namespace quiver
