// A package on disk, read as pedcomm.files.inputs reads it: every path looked at with stat first, and
// anything that is not a regular file (a pipe, a device, a socket, a folder) or that is larger than its
// role allows refused before it is opened; links followed, and a declared path whose real place is
// outside the package folder refused.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import nodePath from 'node:path';
import { InputRefused, OsError, STRERROR, notRegular, tooLarge } from './files.mjs';
import { pathJoin, pathName, pathStr, suffix } from './py.mjs';

const CHUNK = 1 << 24;

function osError(e) {
  return new OsError(STRERROR[e.code] || e.code || String(e.message), e.code === 'ENOENT');
}

function kindOf(st) {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Python's Path.parent. */
function parent(p) {
  const parts = p.split('/');
  if (parts.length === 1) return '.';
  const up = parts.slice(0, -1).join('/');
  return up === '' ? '/' : up;
}

/** os.path.realpath(strict=False), with Path.resolve's refusal of a symlink loop (thrown). */
function realpath(p) {
  try {
    return fs.realpathSync.native(p);
  } catch (e) {
    if (e.code === 'ELOOP') throw e;
    if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw e;
    const abs = nodePath.resolve(p);
    const dir = nodePath.dirname(abs);
    if (dir === abs) return abs;
    return nodePath.join(realpath(dir), nodePath.basename(abs));
  }
}

export class NodeSource {
  constructor(given, facts) {
    this.facts = facts;
    this.given = pathStr(given);
    let isDir = false;
    try {
      isDir = fs.statSync(this.given).isDirectory();
    } catch { /* not there: the descriptor check says so */ }
    this.descPath = isDir ? pathJoin(this.given, 'datapackage.json') : this.given;
    this.root = parent(this.descPath);
    this.provenancePath = pathJoin(suffix(this.given) === '.json' ? parent(this.given) : this.given, 'provenance.json');
    this.limits = []; // every check runs here
  }

  descriptor() {
    const p = this.descPath;
    let exists = fs.existsSync(p);
    try {
      exists = exists || fs.lstatSync(p).isSymbolicLink();
    } catch { /* not there */ }
    let isFile = false;
    try {
      isFile = fs.statSync(p).isFile();
    } catch { /* not there */ }
    return { path: p, exists, isFile, name: pathName(p) };
  }

  stat(path, role) {
    let st;
    try {
      st = fs.statSync(path);
    } catch (e) {
      throw osError(e);
    }
    if (!st.isFile()) throw notRegular(kindOf(st), role);
    if (st.size > this.facts.inputs[role].limit) throw tooLarge(st.size, role, this.facts);
    return st;
  }

  async read(path, role) {
    this.stat(path, role);
    try {
      const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      try {
        return new Uint8Array(fs.readFileSync(fd));
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      if (e instanceof InputRefused) throw e;
      throw osError(e);
    }
  }

  async open(path, role) {
    const data = await this.read(path, role);
    return {
      size: data.length,
      async* chunks() {
        for (let i = 0; i < data.length; i += CHUNK) yield data.subarray(i, i + CHUNK);
      },
      async bytes() { return data; },
      data,
    };
  }

  async totalBytes(paths) {
    let n = 0;
    for (const p of paths) {
      try {
        n += fs.statSync(p).size;
      } catch { /* counted as 0 */ }
    }
    return n;
  }

  /** Whether a declared path's real place is outside the package folder (links followed). */
  escapes(raw) {
    try {
      const resolved = realpath(pathJoin(this.root, raw));
      const root = realpath(this.root);
      const rel = nodePath.relative(root, resolved);
      return rel === '..' || rel.startsWith(`..${nodePath.sep}`) || nodePath.isAbsolute(rel);
    } catch {
      return true;
    }
  }

  sha256(bytes) {
    return createHash('sha256').update(bytes).digest('hex');
  }

  hasher() {
    const h = createHash('sha256');
    return { update: (b) => h.update(b), hex: () => h.digest('hex') };
  }
}

/** How a file read by NodeSource becomes a file of DuckDB: its bytes, under its path. */
export const nodeFiles = {
  register(bindings, path, file) {
    bindings.registerFileBuffer(path, file.data);
    return path;
  },
};
