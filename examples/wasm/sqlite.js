// A small wrapper over the SQLite C API that quiver-sqlite.js exports: open
// a database with Quiver registered on it, run statements with bound
// parameters, read rows as objects. A Float32Array parameter binds as a
// float32 vector blob, the format Quiver stores.
"use strict";

const SQLITE_OK = 0;
const SQLITE_ROW = 100;
const SQLITE_DONE = 101;
const SQLITE_INTEGER = 1;
const SQLITE_FLOAT = 2;
const SQLITE_TEXT = 3;
const SQLITE_BLOB = 4;
const SQLITE_TRANSIENT = -1;  // SQLite copies bound values

class Database {
  constructor(module) {
    this.m = module;
    const slot = module._malloc(4);
    const name = this.cString(":memory:");
    const rc = module._sqlite3_open(name, slot);
    this.db = module.getValue(slot, "i32");
    module._free(name);
    module._free(slot);
    if (rc !== SQLITE_OK) throw new Error("sqlite3_open failed: " + rc);
    this.check(module._quiver_register(this.db));
  }

  // Runs one statement with its parameters (an array: numbers, strings,
  // null, Float32Array) and returns its rows as objects keyed by column name.
  query(sql, params = []) {
    const m = this.m;
    const text = this.cString(sql);
    const slot = m._malloc(4);
    let stmt = 0;
    try {
      this.check(m._sqlite3_prepare_v2(this.db, text, -1, slot, 0));
      stmt = m.getValue(slot, "i32");
      if (stmt === 0) return [];  // only a comment or white space
      params.forEach((value, i) => this.bind(stmt, i + 1, value));
      const rows = [];
      const columns = m._sqlite3_column_count(stmt);
      for (;;) {
        const rc = m._sqlite3_step(stmt);
        if (rc === SQLITE_DONE) break;
        if (rc !== SQLITE_ROW) this.check(rc);
        const row = {};
        for (let c = 0; c < columns; c++) row[m.UTF8ToString(m._sqlite3_column_name(stmt, c))] = this.column(stmt, c);
        rows.push(row);
      }
      return rows;
    } finally {
      if (stmt) m._sqlite3_finalize(stmt);
      m._free(slot);
      m._free(text);
    }
  }

  bind(stmt, index, value) {
    const m = this.m;
    let rc;
    if (value === null || value === undefined) {
      rc = m._sqlite3_bind_null(stmt, index);
    } else if (value instanceof Float32Array) {
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      const p = m._malloc(bytes.length);
      m.HEAPU8.set(bytes, p);
      rc = m._sqlite3_bind_blob(stmt, index, p, bytes.length, SQLITE_TRANSIENT);
      m._free(p);
    } else if (typeof value === "number") {
      rc = Number.isInteger(value) && Math.abs(value) < 2 ** 31 ? m._sqlite3_bind_int(stmt, index, value)
                                                                : m._sqlite3_bind_double(stmt, index, value);
    } else {
      const p = this.cString(String(value));
      rc = m._sqlite3_bind_text(stmt, index, p, -1, SQLITE_TRANSIENT);
      m._free(p);
    }
    this.check(rc);
  }

  column(stmt, c) {
    const m = this.m;
    switch (m._sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER:  // exact up to 2^53, enough for rowids here
      case SQLITE_FLOAT: return m._sqlite3_column_double(stmt, c);
      case SQLITE_TEXT: return m.UTF8ToString(m._sqlite3_column_text(stmt, c));
      case SQLITE_BLOB: {
        const p = m._sqlite3_column_blob(stmt, c);
        return m.HEAPU8.slice(p, p + m._sqlite3_column_bytes(stmt, c));
      }
      default: return null;
    }
  }

  check(rc) {
    if (rc !== SQLITE_OK) throw new Error(this.m.UTF8ToString(this.m._sqlite3_errmsg(this.db)));
  }

  cString(s) {
    const size = this.m.lengthBytesUTF8(s) + 1;
    const p = this.m._malloc(size);
    this.m.stringToUTF8(s, p, size);
    return p;
  }

  close() {
    this.m._sqlite3_close_v2(this.db);
  }
}

// Loads the module (QuiverSQLite, from quiver-sqlite.js) and opens an
// in-memory database.
async function openDatabase() {
  return new Database(await QuiverSQLite());
}
