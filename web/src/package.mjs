// The package-level checks (pedcomm.validation.package, .declaration, .identity): the descriptor opened
// safely (PACKAGE_*, RESOURCE_*), a resource's declared schema against the standard's (SCHEMA_MODIFIED),
// the site declaration (SITE_DECLARATION, SCHEMA_VERSION_*) and the shipped example's identity
// (SITE_IDENTITY_EXAMPLE). The standard's tables, studies, patterns and the example's hashes come from
// the engine's export (its ``host`` key), never from a copy.
import { InputRefused, OsError, inputRefused } from './files.mjs';
import { JSONRefused, loads } from './pyjson.mjs';
import { PyDict, dumps, equal, get, isDict, isList, isStr, pathJoin, sorted, str, suffix } from './py.mjs';
import { bounded, neutralise } from './text.mjs';

const URL_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/|^\/\//;
const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/;

/** package.unsafe_reason: why a declared path must not be followed, or null. */
export function unsafeReason(source, raw) {
  if (raw.includes('\x00')) return 'not a valid path (it contains a NUL character)';
  if (URL_RE.test(raw)) return 'a URL (remote data are never fetched)';
  if (raw.startsWith('/') || WINDOWS_DRIVE.test(raw) || raw.startsWith('\\')) return 'an absolute path';
  if (raw.split(/[\\/]/).includes('..')) return "outside the package folder ('..')";
  if (source.escapes(raw)) return 'a link pointing outside the package folder';
  return null;
}

function shownPath(text, facts) {
  return neutralise(bounded(text, facts.report.max_shown));
}

/** package.read_descriptor: [descriptor's path, descriptor] or null with a finding. */
async function readDescriptor(source, report) {
  const facts = report.facts;
  const given = source.given; // str(path) as the user gave it
  report.ran('PACKAGE_UNREADABLE', null, null, 1);
  const d = source.descriptor(); // {path, exists, isFile, name}
  if (!d.exists) {
    report.add('PACKAGE_UNREADABLE', { value: given,
      detail: `'${shownPath(given, facts)}' is not a datapackage.json file or a folder containing one` });
    return null;
  }
  const kind = d.isFile ? facts.data_files[suffix(d.path).toLowerCase()] : undefined;
  if (kind) {
    report.add('PACKAGE_UNREADABLE', { value: given,
      detail: `'${shownPath(given, facts)}' is ${kind}, not a package descriptor: give the datapackage.json that `
        + 'lists the tables (or the folder holding it); a REDCap export becomes a package with pedcomm redcap import' });
    return null;
  }
  let raw;
  let desc;
  try {
    raw = await source.read(d.path, 'descriptor');
    desc = loads(raw);
  } catch (e) {
    if (e instanceof InputRefused) {
      inputRefused(report, e, { path: shownPath(d.path, facts) });
      return null;
    }
    if (e instanceof JSONRefused) {
      report.add('PACKAGE_UNREADABLE', { detail: e.message });
      return null;
    }
    if (e instanceof OsError) {
      report.add('PACKAGE_UNREADABLE', { detail: `it cannot be opened (${e.strerror})` });
      return null;
    }
    throw e;
  }
  if (!isDict(desc)) {
    report.add('PACKAGE_UNREADABLE', { detail: 'the JSON is not an object' });
    return null;
  }
  report.addInput(d.name, raw.length, source.sha256(raw));
  return [d.path, desc];
}

/** package.open_package: the package (its resources by name) or null. */
export async function openPackage(source, report) {
  const got = await readDescriptor(source, report);
  if (got === null) return null;
  const [, desc] = got;
  const facts = report.facts;
  const pkg = { descriptor: desc, resources: new Map() };
  const resources = get(desc, 'resources');
  report.ran('PACKAGE_INVALID', null, null, 1);
  if (!isList(resources) || !resources.length) {
    report.add('PACKAGE_INVALID', { detail: "it has no 'resources' list" });
    return pkg;
  }
  const known = new Set(Object.keys(facts.resources));
  const declared = new Set();
  resources.forEach((r, i) => {
    if (!isDict(r) || !isStr(get(r, 'name'))) {
      report.add('PACKAGE_INVALID', { detail: `resource number ${i + 1} has no name` });
      return;
    }
    const name = get(r, 'name');
    if (declared.has(name)) {
      report.add('PACKAGE_INVALID', { resource: name, detail: `the resource name '${name}' is used twice` });
      return;
    }
    declared.add(name);
    const raw = get(r, 'path');
    if (!isStr(raw) || !raw) {
      const why = isList(raw) ? 'several files per resource are not supported' : "it has no 'path'";
      report.add('PACKAGE_INVALID', { resource: name, detail: `resource '${name}': ${why}` });
      return;
    }
    report.ran('RESOURCE_PATH_UNSAFE', name, 'path', 1);
    const reason = unsafeReason(source, raw);
    if (reason) report.add('RESOURCE_PATH_UNSAFE', { resource: name, field: 'path', value: raw, detail: reason });
    let schema = r.has('schema') ? get(r, 'schema') : null;
    if (isStr(schema)) {
      report.ran('RESOURCE_PATH_UNSAFE', name, 'schema', 1);
      const sreason = unsafeReason(source, schema);
      if (sreason) {
        report.add('RESOURCE_PATH_UNSAFE', { resource: name, field: 'schema', value: schema, detail: sreason });
        schema = null;
      }
    }
    report.ran('RESOURCE_UNKNOWN', name, null, 1);
    if (!known.has(name)) {
      report.add('RESOURCE_UNKNOWN', { resource: name });
      return;
    }
    pkg.resources.set(name, { name, rawPath: raw, path: reason ? null : pathJoin(source.root, raw), schema });
  });
  const studyOf = (n) => facts.resources[n]?.study ?? null;
  const studies = sorted([...new Set([...declared].filter((n) => known.has(n)).map(studyOf).filter(Boolean))]);
  for (const study of studies) {
    for (const name of facts.studies.find((s) => s.name === study).resources) {
      report.ran('RESOURCE_MISSING', name, null, 1);
      if (!declared.has(name)) report.add('RESOURCE_MISSING', { resource: name, study });
    }
  }
  return pkg;
}

function schemaSummary(schema) {
  const fields = get(schema, 'fields');
  const out = [];
  for (const f of isList(fields) ? fields : []) {
    if (!isDict(f)) { // Python's summary fails on such a field; here it simply differs
      out.push([null, null, 'null']);
      continue;
    }
    out.push([get(f, 'name'), f.has('type') ? get(f, 'type') : 'string', dumps(f.has('constraints') ? get(f, 'constraints') : new PyDict(), true)]);
  }
  out.push(dumps(get(schema, 'primaryKey')), dumps(get(schema, 'foreignKeys')));
  return out;
}

/** package.compare_schema: SCHEMA_MODIFIED. */
export async function compareSchema(source, pkg, name, report) {
  let declared = pkg.resources.get(name).schema;
  if (declared === null) return;
  report.ran('SCHEMA_MODIFIED', name, 'schema', 1);
  if (isStr(declared)) {
    const path = declared;
    try {
      declared = loads(await source.read(pathJoin(source.root, path), 'schema'));
    } catch (e) {
      if (e instanceof InputRefused) {
        inputRefused(report, e, { resource: name, field: 'schema', path: report.label(path) });
        return;
      }
      if (e instanceof JSONRefused) {
        report.add('SCHEMA_MODIFIED', { resource: name, field: 'schema', detail: `its file cannot be read: ${e.message}` });
        return;
      }
      if (e instanceof OsError) {
        report.add('SCHEMA_MODIFIED', { resource: name, field: 'schema', detail: `its file cannot be read (${e.strerror})` });
        return;
      }
      throw e;
    }
  }
  if (!isDict(declared)) {
    report.add('SCHEMA_MODIFIED', { resource: name, field: 'schema', detail: 'it is not a JSON object' });
    return;
  }
  const a = schemaSummary(declared);
  const b = schemaSummary(loads(report.facts.resources[name].schema));
  if (JSON.stringify(a.map(key)) !== JSON.stringify(b.map(key))) {
    const names = (x) => new Map(x.filter(Array.isArray).map((t) => [key(t[0]), t[0]]));
    const na = names(a);
    const nb = names(b);
    let detail;
    if (na.size !== nb.size || [...na.keys()].some((k) => !nb.has(k))) {
      const diff = [...[...na].filter(([k]) => !nb.has(k)), ...[...nb].filter(([k]) => !na.has(k))].map(([, v]) => v);
      detail = `fields differ: ${sorted(diff, (v) => str(v)).slice(0, 5).map((v) => str(v)).join(', ')}`;
    } else detail = 'types, constraints or keys differ';
    report.add('SCHEMA_MODIFIED', { resource: name, field: 'schema', detail });
  }
}

function key(v) { // a value's identity for comparing summaries (1 and 1.0 are equal, as in Python)
  if (Array.isArray(v)) return v.map(key);
  if (v !== null && typeof v === 'object' && 'value' in v) return ['n', v.value];
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return ['n', Number(v)];
  return v;
}

// -- the site declaration (pedcomm.standard.declaration, pedcomm.validation.declaration) -------------

function parseVersion(text, facts) {
  if (!isStr(text)) return null;
  const m = new RegExp(`^(?:${facts.declaration.semver})$`).exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function readDeclaration(descriptor, facts) {
  const prop = facts.declaration.property;
  const siteId = new RegExp(`^(?:${facts.declaration.site_id})$`);
  const d = { site: null, sites: [], schemaVersion: null, problems: [] };
  const block = get(descriptor, prop);
  if (block === null) {
    d.problems.push(`missing (no '${prop}' property in datapackage.json)`);
    return d;
  }
  if (!isDict(block)) {
    d.problems.push(`invalid ('${prop}' must be an object)`);
    return d;
  }
  const site = get(block, 'site');
  const sites = get(block, 'sites');
  if (site === null && sites === null) d.problems.push("incomplete: no 'site'");
  else if (site !== null && sites !== null) d.problems.push("invalid: it has both 'site' and 'sites'");
  else if (site !== null) {
    if (isStr(site) && siteId.test(site)) d.site = site;
    else d.problems.push("invalid: 'site' must be a site id of letters, digits, '_', '.' and '-' (at most 24 characters)");
  } else {
    const ok = isList(sites) && sites.length && sites.every((s) => isStr(s) && siteId.test(s));
    if (ok && new Set(sites).size === sites.length) d.sites = [...sites];
    else d.problems.push("invalid: 'sites' must be a list of distinct site ids");
  }
  const version = get(block, 'schemaVersion');
  if (version === null) d.problems.push("incomplete: no 'schemaVersion'");
  else if (parseVersion(version, facts) === null) {
    d.problems.push(`invalid: 'schemaVersion' must be a semantic version such as ${facts.declaration.version}`);
  } else d.schemaVersion = version;
  return d;
}

function compatibility(a, b, facts) {
  const va = parseVersion(a, facts);
  const vb = parseVersion(b, facts);
  if (va === null || vb === null || va[0] !== vb[0]) return 'major';
  return va[0] === vb[0] && va[1] === vb[1] ? 'same' : 'minor';
}

/** declaration.check_declaration. */
export function checkDeclaration(descriptor, report, holdsSiteData) {
  const facts = report.facts;
  const prop = facts.declaration.property;
  const d = readDeclaration(descriptor, facts);
  report.meta.site = d.site ? d.site : (d.sites.length ? d.sites : null);
  report.meta.package_schema_version = d.schemaVersion;
  if (!holdsSiteData) report.notApplicable('SITE_DECLARATION', null, 'the package holds no site data, only shared definitions');
  else {
    report.ran('SITE_DECLARATION', null, prop, 1);
    if (d.problems.length) report.add('SITE_DECLARATION', { field: prop, detail: d.problems.join('; ') });
  }
  if (d.schemaVersion === null) {
    report.notApplicable('SCHEMA_VERSION_INCOMPATIBLE', null, 'the package declares no schemaVersion');
    report.notApplicable('SCHEMA_VERSION_DIFFERS', null, 'the package declares no schemaVersion');
    return d;
  }
  const mine = facts.declaration.version;
  const who = d.site ? `The package (site ${d.site})` : 'The package';
  report.ran('SCHEMA_VERSION_INCOMPATIBLE', null, prop, 1);
  report.ran('SCHEMA_VERSION_DIFFERS', null, prop, 1);
  const how = compatibility(d.schemaVersion, mine, facts);
  const pv = parseVersion(d.schemaVersion, facts) || [];
  const mv = parseVersion(mine, facts) || [];
  if (how === 'major') {
    report.add('SCHEMA_VERSION_INCOMPATIBLE', { field: prop, value: d.schemaVersion, who, detail: d.schemaVersion, expected: mine });
  } else if (how === 'minor' && (pv[0] > mv[0] || (pv[0] === mv[0] && pv[1] > mv[1]))) {
    report.add('SCHEMA_VERSION_DIFFERS', { field: prop, value: d.schemaVersion, who, detail: d.schemaVersion,
      expected: `${mine} (this pedcomm release's standard, older than the package's)` });
  }
  return d;
}

/** identity.example_marks. */
function exampleMarks(descriptor, facts) {
  const ex = facts.example;
  const sources = get(descriptor, 'sources');
  if (isList(sources) && sources.some((x) => isDict(x) && str(x.has('title') ? get(x, 'title') : '').startsWith(ex.synth_source))) return [];
  const marks = [];
  const site = readDeclaration(descriptor, facts).site;
  if (site && site === ex.site) marks.push(`site ${site}`);
  if (['name', 'id'].some((k) => ex[k] && equal(get(descriptor, k), ex[k]))) marks.push(`the name '${ex.name}'`);
  if (ex.description && equal(get(descriptor, 'description'), ex.description)) {
    marks.push("the example's description, which says all rows are SYNTHETIC");
  }
  return marks;
}

/** identity.identity_step: SITE_IDENTITY_EXAMPLE. */
export function checkIdentity(pkg, report) {
  const marks = exampleMarks(pkg.descriptor, report.facts);
  report.ran('SITE_IDENTITY_EXAMPLE', null, 'pedcomm', 1);
  if (!marks.length) return;
  const byPath = new Map(report.inputs.map((i) => [i.path, i.sha256]));
  const ours = new Map();
  for (const [name, ref] of pkg.resources) {
    const sha = byPath.get(report.label(ref.rawPath));
    if (sha) ours.set(name, sha);
  }
  const shipped = report.facts.example.sha256;
  const differ = sorted([...ours].filter(([n, sha]) => shipped[n] !== sha).map(([n]) => n));
  if (differ.length) {
    report.add('SITE_IDENTITY_EXAMPLE', { field: 'pedcomm', detail: `${marks.join('; ')}; ${differ.length} of its tables differ, e.g. ${differ[0]}` });
  }
}
