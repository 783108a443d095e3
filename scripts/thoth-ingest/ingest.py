"""Feed documents to Thoth's own ingestion code and report what it made of them.

    python ingest.py MANIFEST.json      (with the venv.sh interpreter; prints a JSON report)

MANIFEST: {"sync": bool, "store": bool, "values": bool, "documents": [{"label": str, "kind": "analysis"|"solver"|"provenance"|
"buildlog", "path": str}, ...]}. For each document, with thoth-storages' code only (with
"sync": false, only the schema check, and no database is started):

- schema: the check Thoth's result store runs before it stores a document
  (`<Kind>ResultsStore.SCHEMA`, i.e. `result_schema.RESULT_SCHEMA`): "ok" or the voluptuous error;
- sync: the graph sync Thoth's graph-sync job runs (`thoth.storages.sync.sync_*_documents` with
  `is_local=True`, which reads the file and calls `GraphDatabase.sync_*_result`) into a database
  of its own, made from a template that `GraphDatabase().connect()` + `initialize_schema()`
  created: "ok", or the exception's type, message and the innermost thoth frame;
- rows: the row count of every non-empty table after the sync;
- values (with "values": true in the manifest): those tables' rows without surrogate keys;
- environment: the (external_)software_environment row the analysis sync made, column by column.

An entry with "add_package_license": true first gets, in every solver `tree` entry, the
`package_license` that thoth-solver's development line computes and its 1.10.2 release on PyPI
lacks (thoth-storages 0.74.2 requires it): `thoth.license_solver.detect_license(metadata,
package_name=, package_version=, raise_on_error=False)`, Thoth's own code; the file is rewritten.

Parsed build logs have no graph sync in Thoth: its build-analysis workflow stores them with
`BuildLogsParsedResultsStore.store_document` in its S3 object store (Ceph), whose only check is
the schema; so a buildlog document reports `sync: "not synced by Thoth"`. With "store": true in
the manifest, every buildlog document goes that path for real: a moto S3 server (`moto_server`,
.ci/pip-requirements) on a free loopback port stands in for Ceph, and the report's "store" is
`{"document_id", "round_trip", "listed"}` (the id Thoth stored it under, whether
`retrieve_document` gives back the same document, whether `get_document_listing` lists it) or
Thoth's error.

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


def sync_one(sock, admin, i, entry, item, manifest_values=False):
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
    if manifest_values:
        item["values"] = row_values(graph, item["rows"])
    item["environment"] = environment_row(graph)
    graph._engine.dispose()


def row_values(graph, counts):
    """Every row of the non-empty tables without its surrogate keys (`id`, `*_id`), as sorted
    JSON texts: what two syncs can be compared by, whatever ids the database handed out."""
    values = {}
    for table in counts:
        rows = []
        for row in graph._engine.execute('SELECT * FROM "%s"' % table).fetchall():
            row = {k: v for k, v in dict(row).items() if k != "id" and not k.endswith("_id")}
            rows.append(json.dumps(row, sort_keys=True, default=str))
        values[table] = sorted(rows)
    return values


def environment_row(graph):
    for table in ("external_software_environment", "software_environment"):
        row = graph._engine.execute('SELECT * FROM "%s" LIMIT 1' % table).fetchone()
        if row is not None:
            return {k: v for k, v in dict(row).items() if isinstance(v, (str, int, float, bool, type(None)))}
    return None


@contextlib.contextmanager
def s3_server():
    """moto's S3 server on a free loopback port; yields its endpoint URL."""
    import socket

    import boto3

    moto = shutil.which("moto_server")
    if moto is None:
        sys.exit("thoth-ingest: moto_server not found; pip install -r .ci/pip-requirements")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("thoth-ingest: moto_server did not listen on %s" % endpoint)
                time.sleep(0.1)
        boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=S3_KEY[0],
                     aws_secret_access_key=S3_KEY[1], region_name="us-east-1").create_bucket(Bucket=S3_BUCKET)
        yield endpoint
    finally:
        server.terminate()
        server.wait()


S3_BUCKET = "thoth"
S3_KEY = ("thoth-ingest", "thoth-ingest-secret")  # moto accepts any key: nothing secret here


def store_all(endpoint, pairs):
    """Thoth's store of parsed build logs: store each document, list them, retrieve each."""
    from thoth.storages import BuildLogsParsedResultsStore

    store = BuildLogsParsedResultsStore(
        "thoth-ingest-test", host=endpoint, key_id=S3_KEY[0], secret_key=S3_KEY[1],
        bucket=S3_BUCKET, region="us-east-1", prefix="data",
    )
    store.connect()
    stored = []
    for entry, item in pairs:
        document = json.load(open(entry["path"]))
        try:
            stored.append((item, document, store.store_document(document)))
        except Exception as exc:
            item["store"] = error_record(exc)
    listing = set(store.get_document_listing())
    for item, document, document_id in stored:
        try:
            item["store"] = {
                "document_id": document_id,
                "round_trip": store.retrieve_document(document_id) == document,
                "listed": document_id in listing,
            }
        except Exception as exc:
            item["store"] = error_record(exc)


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
                    sync_one(sock, admin, i, entry, item, manifest.get("values", False))
                else:
                    item["sync"] = "not synced by Thoth"
            admin.dispose()
    if manifest.get("store", False):
        with s3_server() as endpoint:
            store_all(endpoint, [(e, i) for e, i in zip(manifest["documents"], report) if e["kind"] == "buildlog"])
    json.dump({"schema_seconds": schema_seconds, "documents": report}, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
