// A package picked in a browser tab (a folder chosen or dropped): the files the browser gave, by their
// path inside the chosen folder, read in the page's Web Worker and never sent anywhere. A browser is
// given regular files only and sees no links, so two checks of the command line cannot run here; they
// are listed in the report as checks that could not run, with the reason (``limits``).
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { InputRefused, OsError, tooLarge } from './files.mjs';
import { pathJoin, pathName, pathStr } from './py.mjs';

const CHUNK = 1 << 24;

/** The checks a browser cannot run, each with why (shown on the page and in the JSON report). */
export const LIMITS = [
  ['INPUT_NOT_REGULAR', 'a browser gives the page regular files only: a named pipe, a device or a folder in place of a '
    + 'file is not seen here (it is reported as a missing file); pedcomm validate checks it'],
  ['RESOURCE_PATH_UNSAFE', 'a browser shows the page no links: a file linked from outside the chosen folder is read as '
    + 'if it were inside it; pedcomm validate refuses such a link'],
];

function readSync(blob) {
  if (typeof FileReaderSync === 'function') return new Uint8Array(new FileReaderSync().readAsArrayBuffer(blob));
  return null;
}

async function readBlob(blob) {
  return readSync(blob) ?? new Uint8Array(await blob.arrayBuffer());
}

export class BrowserSource {
  /** ``entries``: [{path, file}] with paths relative to the place the person chose (folder/...). */
  constructor(entries, facts) {
    this.facts = facts;
    this.files = new Map(entries.map(({ path, file }) => [pathStr(path), file]));
    const tops = new Set(entries.map(({ path }) => pathStr(path).split('/')[0]));
    const folder = tops.size === 1 && entries.every(({ path }) => pathStr(path).includes('/')) ? [...tops][0] : '.';
    this.given = folder;
    this.descPath = pathJoin(folder, 'datapackage.json');
    this.root = folder;
    this.provenancePath = pathJoin(folder, 'provenance.json');
    this.limits = LIMITS;
  }

  descriptor() {
    const f = this.files.get(this.descPath);
    return { path: this.descPath, exists: Boolean(f), isFile: Boolean(f), name: pathName(this.descPath) };
  }

  file(path, role) {
    const f = this.files.get(pathStr(path));
    if (!f) throw new OsError('No such file or directory', true);
    if (f.size > this.facts.inputs[role].limit) throw tooLarge(f.size, role, this.facts);
    return f;
  }

  async read(path, role) {
    const f = this.file(path, role);
    try {
      return await readBlob(f);
    } catch (e) {
      if (e instanceof InputRefused) throw e;
      throw new OsError(e.name === 'NotReadableError' ? 'Permission denied' : String(e.message || e));
    }
  }

  async open(path, role) {
    const f = this.file(path, role);
    return {
      size: f.size,
      handle: f,
      async* chunks() {
        for (let i = 0; i < f.size; i += CHUNK) yield await readBlob(f.slice(i, i + CHUNK));
      },
      async bytes() { return readBlob(f); },
    };
  }

  async totalBytes(paths) {
    return paths.reduce((n, p) => n + (this.files.get(pathStr(p))?.size || 0), 0);
  }

  escapes() {
    return false; // no links in a browser (LIMITS)
  }

  sha256(bytes) {
    return bytesToHex(sha256(bytes));
  }

  hasher() {
    const h = sha256.create();
    return { update: (b) => h.update(b), hex: () => bytesToHex(h.digest()) };
  }
}

/** How a picked file becomes a file of DuckDB: read by DuckDB-WASM through the browser's file reader, in
 * place (nothing copied into the database's memory but the table it builds). */
export function browserFiles(protocol) {
  return {
    register(bindings, path, file) {
      bindings.registerFileHandle(path, file.handle, protocol, true);
      return path;
    },
  };
}
