"""python -m pedcomm.docsgen [DOCS_DIR]: write the generated documentation pages (default: docs)."""

import sys

from . import generate

if __name__ == "__main__":
    changed = generate(sys.argv[1] if len(sys.argv) > 1 else "docs")
    print(f"pedcomm.docsgen: {len(changed)} generated files changed")
