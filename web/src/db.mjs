// One DuckDB-WASM database (blocking bindings: @duckdb/duckdb-wasm's node-blocking build under Node, its
// browser-blocking build in the page's Web Worker) and a fresh session per validation: a connection on
// its own in-memory catalog, with the engine's settings and prelude, dropped whole at the end.

export class Database {
  /** ``bindings``: an instantiated DuckDBBindings; ``files``: how a source's file becomes a DuckDB file. */
  constructor(bindings, files) {
    this.bindings = bindings;
    this.files = files;
    this.runs = 0;
  }

  version() {
    const c = this.bindings.connect();
    try {
      return rows(c.query('SELECT version()'))[0][0];
    } finally {
      c.close();
    }
  }

  open({ doc, reveal, maxListed }) {
    return new Session(this, `pedcomm_run_${++this.runs}`, doc, reveal, maxListed);
  }
}

function rows(table) {
  const cols = table.schema.fields.map((_, i) => table.getChildAt(i));
  const out = [];
  for (let r = 0; r < table.numRows; r++) out.push(cols.map((c) => c.get(r)));
  return out;
}

class Session {
  constructor(database, name, doc, reveal, maxListed) {
    this.database = database;
    this.name = name;
    this.conn = database.bindings.connect();
    this.registered = [];
    this.query(`ATTACH ':memory:' AS ${name}`);
    this.query(`USE ${name}`);
    // nothing fetched at run time (the page works offline), and no progress bar of DuckDB's
    this.query('SET autoinstall_known_extensions = false');
    this.query('SET autoload_known_extensions = false');
    this.query('SET enable_progress_bar = false');
    this.query(`SET VARIABLE reveal = ${reveal ? 'true' : 'false'}`);
    this.query(`SET VARIABLE max_listed = ${Number(maxListed)}`);
    this.query(doc.plan.prelude.join(';\n'));
    this.showStatement = this.conn.prepare('SELECT pc_show(?, ?)');
    this.show = (texts, flags) => texts.map((t, i) => rows(this.showStatement.query(t, Boolean(flags[i])))[0][0]);
    // the package's path in the report's header, through the engine's pc_path where the plan defines it (issue 27)
    const hasPath = rows(this.conn.query("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'pc_path'"))[0][0] > 0;
    this.pathStatement = hasPath ? this.conn.prepare('SELECT pc_path(?)') : null;
    this.path = (text) => (this.pathStatement ? rows(this.pathStatement.query(text))[0][0] : text);
  }

  query(sql) {
    return rows(this.conn.query(sql));
  }

  /** Make a source's file readable by read_csv; returns {path: the name to read it by, bytes()}. */
  register(path, file) {
    const name = this.database.files.register(this.database.bindings, path, file);
    this.registered.push([path, name]);
    return { path: name, bytes: () => file.bytes() };
  }

  /** Drop a file from DuckDB once its table is loaded (the table holds its rows). */
  release(path) {
    for (const [p, name] of this.registered) {
      if (p !== path) continue;
      try {
        this.database.bindings.dropFile(name);
      } catch { /* already gone */ }
    }
    this.registered = this.registered.filter(([p]) => p !== path);
  }

  close() {
    try {
      this.showStatement?.close();
      this.pathStatement?.close();
      this.query('USE memory');
      this.query(`DETACH ${this.name}`);
    } finally {
      for (const [, name] of this.registered) {
        try {
          this.database.bindings.dropFile(name);
        } catch { /* already gone */ }
      }
      this.conn.close();
    }
  }
}
