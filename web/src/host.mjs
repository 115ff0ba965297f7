// The JavaScript host of the check engine: pedcomm.validation.run.validate for a package read through a
// ``source`` (files on disk under Node, files picked in a browser tab), on DuckDB-WASM. The five things a
// host does (docs/architecture.md, "The check engine"): the descriptor and file-level checks, the load of
// each CSV, the plan's steps, the render query, the report. Everything the plan, the registry and the
// standard say comes from the engine's export (``doc``); this module holds no check of its own.
import { Engine } from './engine.mjs';
import { checkHeader, checkHeaderLine, readData } from './files.mjs';
import { checkDeclaration, checkIdentity, compareSchema, openPackage } from './package.mjs';
import { get, sorted } from './py.mjs';
import { annotate } from './render.mjs';
import { Report } from './report.mjs';

/** Validate the package of ``source``; returns {report, origins}. ``progress``: called with
 * {phase: 'read', bytes, total} and {phase: 'checks', step, steps}. */
export async function validate({ doc, source, db, maxListed, reveal = false, progress = () => {} }) {
  maxListed = maxListed ?? doc.host.report.max_listed;
  const session = db.open({ doc, reveal, maxListed });
  try {
    const report = new Report({ registry: doc.registry, facts: doc.host, show: session.show, maxListed, reveal });
    report.meta = Object.fromEntries(doc.host.provenance);
    report.meta.package = session.path(source.given);
    const pkg = await openPackage(source, report);
    if (pkg !== null) {
      await check(pkg, { doc, source, session, report, progress });
    }
    for (const [code, reason] of source.limits || []) report.notApplicable(code, null, reason);
    const origins = await annotate(report, source);
    return { report, origins };
  } finally {
    session.close();
  }
}

async function check(pkg, { doc, source, session, report, progress }) {
  report.meta.package_version = get(pkg.descriptor, 'version');
  const engine = new Engine(session, doc, report);
  const why = new Map();
  const present = new Map();
  const rows = new Map();
  const total = await source.totalBytes?.([...pkg.resources.values()].map((r) => r.path).filter(Boolean));
  let read = 0;
  const onBytes = (n) => {
    read += n;
    progress({ phase: 'read', bytes: read, total });
  };
  for (const [name, ref] of pkg.resources) {
    progress({ phase: 'table', resource: name });
    const entry = doc.plan.resources[name];
    const fields = entry.fields.map((f) => f.name);
    let ok = true;
    await compareSchema(source, pkg, name, report);
    let data = null;
    if (ref.path === null) ok = false;
    else {
      data = await readData(source, ref.path, name, ref.rawPath, report, onBytes);
      ok = data !== null;
    }
    let header = null;
    if (ok) {
      header = checkHeaderLine(data.head, name, report, fields.length, fields);
      ok = header !== null && await engine.load(name, session.register(ref.path, data.file), header, data.size);
      if (ok) rows.set(name, engine.loaded.get(name).rows);
    }
    if (ok) {
      const got = checkHeader(name, { fields: entry.fields }, header, report);
      present.set(name, got);
      let reason = null;
      if (got.length < fields.length) {
        const absent = fields.filter((f) => !got.includes(f));
        reason = `'${name}' lacks the column${absent.length > 1 ? 's' : ''} `
          + absent.slice(0, 5).map((a) => `'${a}'`).join(', ') + (absent.length > 5 ? ' ...' : '')
          + ' (renamed or missing, see COLUMN_MISSING)';
        why.set(name, reason);
      }
      engine.columns(name, got, reason);
    } else {
      if (!why.has(name)) {
        const label = report.label(name);
        const failed = sorted([...report.counts.values()].filter((c) => c.n && c.resource === label).map((c) => c.code));
        why.set(name, `'${name}' could not be read` + (failed.length ? ` (see ${failed.slice(0, 3).join(', ')})` : ''));
      }
      engine.unread(name, why.get(name));
    }
    session.release?.(ref.path);
  }
  progress({ phase: 'checks', step: 0, steps: doc.plan.steps.length });
  engine.run(progress);
  if (pkg.resources.size) {
    const shared = new Set(doc.host.studies.flatMap((s) => s.definitions));
    const siteRows = [...rows].filter(([n]) => !shared.has(n)).reduce((a, [, n]) => a + n, 0);
    checkDeclaration(pkg.descriptor, report, siteRows > 0);
    checkIdentity(pkg, report);
  }
}
