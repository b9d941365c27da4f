/* Registers Quiver on every connection the program opens, then indexes three
 * documents and asks for the two nearest to a query. */
#include <quiver.h>
#include <sqlite3.h>
#include <stdio.h>

static int print_row(void *unused, int n, char **values, char **names) {
  (void)unused;
  for (int i = 0; i < n; i++) printf("%s%s=%s", i ? "  " : "", names[i], values[i] ? values[i] : "NULL");
  printf("\n");
  return 0;
}

int main(void) {
  sqlite3_auto_extension((void (*)(void))sqlite3_quiver_init);
  sqlite3 *db;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
  const char *sql =
      "CREATE VIRTUAL TABLE docs USING quiver(embedding float[3] distance=cosine, title text);"
      "INSERT INTO docs(rowid, embedding, title) VALUES"
      "  (1, '[1, 0, 0]', 'refunds'), (2, '[0.9, 0.1, 0]', 'money back'), (3, '[0, 0, 1]', 'login');"
      "SELECT quiver_version() AS version, quiver_simd() AS kernels;"
      "SELECT rowid, title, round(distance, 4) AS distance FROM docs"
      "  WHERE embedding MATCH '[1, 0.05, 0]' AND k = 2 ORDER BY distance;";
  char *error = NULL;
  int rc = sqlite3_exec(db, sql, print_row, NULL, &error);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "error: %s\n", error);
    sqlite3_free(error);
  }
  sqlite3_close(db);
  return rc == SQLITE_OK ? 0 : 1;
}
