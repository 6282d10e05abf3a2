"""Runs ClickHouse statements on a current ClickHouse (chdb, in process) over
given rows, for the differential test of the ClickHouse engine: the same
statements Touchpoint sent to Debian's 18.16 must run here with the same
answers.

Usage: chdb_run.py SPEC.json OUT.json
SPEC: {"ddl": [statements], "data": {"db.table": "rows.tsv"}, "queries": [statements]}
OUT:  {"version": "...", "results": [{"ok": "tsv"} | {"error": "message"}]}
"""

import json
import sys
import tempfile

import chdb
from chdb import session

SUFFIX = " FORMAT TabSeparated"


def main(spec_path: str, out_path: str) -> None:
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    results = []
    with tempfile.TemporaryDirectory() as d:
        s = session.Session(d)
        for ddl in spec["ddl"]:
            s.query(ddl)
        for table, path in spec["data"].items():
            with open(path, encoding="utf-8") as f:
                rows = f.read()
            if rows:
                s.query(f"INSERT INTO {table} FORMAT TabSeparated\n{rows}")
        version = str(s.query("SELECT version()", "TabSeparated")).strip()
        for q in spec["queries"]:
            if q.endswith(SUFFIX):
                q = q[: -len(SUFFIX)]
            try:
                results.append({"ok": str(s.query(q, "TabSeparated"))})
            except Exception as e:  # the message is the result
                results.append({"error": str(e)})
        s.close()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"version": version, "results": results}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
