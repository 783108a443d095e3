"""Feed documents to Thoth's own ingestion code and report what it made of them.

    python ingest.py MANIFEST.json      (with the venv.sh interpreter; prints a JSON report)

MANIFEST: {"sync": bool, "documents": [{"label": str, "kind": "analysis"|"solver"|"provenance"|
"buildlog", "path": str}, ...]}. For each document, with thoth-storages' code only (with
"sync": false, only the schema check, and no database is started):

- schema: the check Thoth's result store runs before it stores a document
  (`<Kind>ResultsStore.SCHEMA`, i.e. `result_schema.RESULT_SCHEMA`): "ok" or the voluptuous error;
- sync: the graph sync Thoth's graph-sync job runs (`thoth.storages.sync.sync_*_documents` with
  `is_local=True`, which reads the file and calls `GraphDatabase.sync_*_result`) into a database
  of its own, made from a template that `GraphDatabase().connect()` + `initialize_schema()`
  created: "ok", or the exception's type, message and the innermost thoth frame;
- rows: the row count of every non-empty table after the sync;
- environment: the (external_)software_environment row the analysis sync made, column by column.

An entry with "add_package_license": true first gets, in every solver `tree` entry, the
`package_license` that thoth-solver's development line computes and its 1.10.2 release on PyPI
lacks (thoth-storages 0.74.2 requires it): `thoth.license_solver.detect_license(metadata,
package_name=, package_version=, raise_on_error=False)`, Thoth's own code; the file is rewritten.

Parsed build logs have no graph sync in Thoth: its build-analysis workflow stores them with
`BuildLogsParsedResultsStore.store_document`, whose only check is the schema; so a buildlog
document reports `sync: "not synced by Thoth"` and its schema result.

PostgreSQL (the machine's, found by `pg_config --bindir` or under /usr/lib/postgresql) runs for
the duration of the script on a private socket directory with TCP off, as user `nobody` when the
script runs as root (postgres refuses root), and is stopped and removed at the end.
"""
import contextlib
import glob
import json
import logging
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

# Python 3.8 end-of-life notices and SQLAlchemy 1.3's column-label warnings, from Thoth's
# dependencies: not about the documents.
warnings.filterwarnings("ignore")

PORT = "5432"  # only names the socket file: TCP is off
TEMPLATE_DB = "thoth_schema"

SYNC_FUNCTIONS = {
    "analysis": "sync_analysis_documents",
    "solver": "sync_solver_documents",
    "provenance": "sync_provenance_checker_documents",
}

STORES = {
    "analysis": ("thoth.storages.analyses", "AnalysisResultsStore"),
    "solver": ("thoth.storages.solvers", "SolverResultsStore"),
    "provenance": ("thoth.storages.provenance", "ProvenanceResultsStore"),
    "buildlog": ("thoth.storages.buildlogs_parsed", "BuildLogsParsedResultsStore"),
}


def pg_bindir():
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        bindir = out.stdout.strip()
        if os.path.exists(os.path.join(bindir, "initdb")):
            return bindir
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        sys.exit("thoth-ingest: PostgreSQL's initdb not found; install Debian's postgresql package")
    return os.path.dirname(found[-1])


@contextlib.contextmanager
def postgres():
    """A throwaway PostgreSQL cluster; yields the socket directory."""
    bindir = pg_bindir()
    root = tempfile.mkdtemp(prefix="thoth-ingest-pg-")
    run_as = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chmod(root, 0o755)
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        run_as = ["runuser", "-u", "nobody", "--"]
    data, sock, log = (os.path.join(root, n) for n in ("data", "sock", "log"))
    for d in (data, sock):
        os.mkdir(d, 0o700)
        if run_as:
            os.chown(d, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    try:
        subprocess.run(
            run_as + [os.path.join(bindir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL, env=env,
        )
        subprocess.run(
            run_as + [os.path.join(bindir, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60",
                      "-o", f"-k {sock} -p {PORT} -c listen_addresses='' -c fsync=off "
                            "-c synchronous_commit=off -c full_page_writes=off",
                      "start"],
            check=True, stdout=subprocess.DEVNULL, env=env,
        )
    except subprocess.CalledProcessError:
        if os.path.exists(log):
            sys.stderr.write(open(log).read())
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield sock
    finally:
        subprocess.run(run_as + [os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        shutil.rmtree(root, ignore_errors=True)


def use_database(sock, name):
    """Points thoth-storages' connection string at database `name` over the private socket."""
    os.environ.update(
        KNOWLEDGE_GRAPH_HOST="",  # empty host: libpq takes the socket directory from PGHOST
        KNOWLEDGE_GRAPH_PORT=PORT,
        KNOWLEDGE_GRAPH_USER="postgres",
        KNOWLEDGE_GRAPH_PASSWORD="postgres",
        KNOWLEDGE_GRAPH_DATABASE=name,
        PGHOST=sock,
    )


def graph_for(sock, name):
    from thoth.storages import GraphDatabase

    use_database(sock, name)
    graph = GraphDatabase()
    graph.connect()
    return graph


def error_record(exc):
    """Type, message and the innermost frame in Thoth's code: enough to tell two failures apart."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/thoth/" in f.filename]
    where = None
    if frames:
        f = frames[-1]
        where = "%s:%s:%s" % (f.filename.split("/thoth/", 1)[1], f.name, (f.line or "").strip())
    return {"type": type(exc).__name__, "message": str(exc), "where": where}


def schema_check(kind, document):
    import importlib

    module, name = STORES[kind]
    store = getattr(importlib.import_module(module), name)
    try:
        store.SCHEMA(document)
        return "ok"
    except Exception as exc:  # voluptuous.MultipleInvalid and friends
        return {"type": type(exc).__name__, "message": str(exc)}


def row_counts(graph):
    rows = graph._engine.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version'"
    ).fetchall()
    counts = {}
    for (table,) in rows:
        n = graph._engine.execute('SELECT count(*) FROM "%s"' % table).scalar()
        if n:
            counts[table] = n
    return dict(sorted(counts.items()))


def sync_one(sock, admin, i, entry, item):
    from thoth.storages import sync

    db = "doc_%d" % i
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (db, TEMPLATE_DB))
    graph = graph_for(sock, db)
    try:
        getattr(sync, SYNC_FUNCTIONS[entry["kind"]])(
            document_ids=[entry["path"]], is_local=True, graph=graph, force=True
        )
        item["sync"] = "ok"
    except Exception as exc:
        item["sync"] = error_record(exc)
    item["rows"] = row_counts(graph)
    item["environment"] = environment_row(graph)
    graph._engine.dispose()


def environment_row(graph):
    for table in ("external_software_environment", "software_environment"):
        row = graph._engine.execute('SELECT * FROM "%s" LIMIT 1' % table).fetchone()
        if row is not None:
            return {k: v for k, v in dict(row).items() if isinstance(v, (str, int, float, bool, type(None)))}
    return None


def add_package_license(path):
    from thoth.license_solver import detect_license

    document = json.load(open(path))
    for entry in document["result"].get("tree", []):
        entry["package_license"] = detect_license(
            entry["importlib_metadata"]["metadata"],
            package_name=entry["package_name"],
            package_version=entry["package_version"],
            raise_on_error=False,
        )
    with open(path, "w") as f:
        json.dump(document, f)


def main():
    logging.basicConfig(level=logging.ERROR)
    manifest = json.load(open(sys.argv[1]))
    report = []
    for entry in manifest["documents"]:
        if entry.get("add_package_license"):
            add_package_license(entry["path"])
        document = json.load(open(entry["path"]))
        report.append({"label": entry["label"], "kind": entry["kind"],
                       "schema": schema_check(entry["kind"], document)})
    schema_seconds = None
    if manifest.get("sync", True):
        from sqlalchemy import create_engine
        from thoth.storages import GraphDatabase

        with postgres() as sock:
            started = time.monotonic()
            template = graph_for(sock, TEMPLATE_DB)
            template.initialize_schema()
            template._engine.dispose()
            schema_seconds = round(time.monotonic() - started, 1)
            use_database(sock, "postgres")
            admin = create_engine(GraphDatabase.construct_connection_string())
            for i, (entry, item) in enumerate(zip(manifest["documents"], report)):
                if entry["kind"] in SYNC_FUNCTIONS:
                    sync_one(sock, admin, i, entry, item)
                else:
                    item["sync"] = "not synced by Thoth"
            admin.dispose()
    json.dump({"schema_seconds": schema_seconds, "documents": report}, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
